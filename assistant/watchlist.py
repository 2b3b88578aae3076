"""AML / sanctions screening of a name against the brokerage's watch list.

Screening favours recall over precision within one name: a miss lets a
listed person open an account, a false hit only sends the case to a person
(the investor is never told why). Still, common names must not hit unless
they are listed, so each comparison is strict for its script:

* **Chinese vs Chinese**: equal after folding traditional characters to
  simplified (a small table, :data:`TRADITIONAL_TO_SIMPLIFIED`; swap in
  OpenCC for full coverage), or one character apart. For a two-character
  name one character is half the name, so there the differing character must
  sound the same (贾测 / 假测), otherwise 张伟 would hit a listed 张三.
* **Chinese vs Latin** (either way round): the Chinese name is spelled in
  pinyin with pypinyin (every reading of a heteronym, so 单 is dan or shan),
  surname first and last, and compared letters-only with the Latin spelling,
  so spacing, hyphens, case, tone marks and order ("Zhang Wei",
  "zhangwei", "Wei Zhang", "Zhāng-Wěi") do not matter. This is deliberately
  phonetic: sanctions lists are often Latin-only, so a Chinese applicant
  must be compared by sound, and a homophone of a listed name that has a
  pinyin alias hits too. Wade-Giles and Cantonese spellings are not
  generated; list them as aliases.
* **Latin vs Latin**: the same letters in any word order, or rapidfuzz
  ``token_sort_ratio`` at least :data:`SPELLING_THRESHOLD` (90) when both
  names have at least :data:`MIN_FUZZY_LETTERS` letters. 90 lets one typo
  through in a name of about twelve letters ("Ivan Examplov" / "Ivan
  Exampelov") while a different given name with the same surname ("Igor
  Examplov") stays below it; short names are too close to one another for
  fuzzy matching to mean anything.
"""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from assistant.errors import AssistantError
from text.language import has_cjk

SPELLING_THRESHOLD = 90.0
PINYIN_SCORE = 95.0
MIN_FUZZY_LETTERS = 8
_MAX_READINGS = 64  # heteronym combinations per name; beyond that only the usual reading

_COLUMNS = ("name", "aliases", "list")
MatchKind = Literal["exact", "variant", "pinyin", "spelling"]

# Common name characters and those of the sample list; not a full converter.
TRADITIONAL_TO_SIMPLIFIED = str.maketrans(
    "張陳劉黃趙吳鄭馬楊許孫錢衛蔣韓馮鄧謝盧羅譚賈鍾陸葉蘇齊萬歐陽聶龐嚴鄒湯蕭閻偉國軍"
    "強紅麗龍鵬傑輝濤華東寶鳳靜艷曉雲慶興廣長書愛貴義勝儀園軒豐倫測試單員虛構樣擬設範",
    "张陈刘黄赵吴郑马杨许孙钱卫蒋韩冯邓谢卢罗谭贾钟陆叶苏齐万欧阳聂庞严邹汤萧阎伟国军"
    "强红丽龙鹏杰辉涛华东宝凤静艳晓云庆兴广长书爱贵义胜仪园轩丰伦测试单员虚构样拟设范",
)

# Two-character surnames: "欧阳虚构" is Ouyang + Xugou, so "Xugou Ouyang" is the reversed order.
_COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯"}
)
_NAME_PUNCTUATION = re.compile(r"[\s·•・.\-_'’,，()（）]+")
_NOT_LETTER = re.compile(r"[^a-z]+")


class WatchListError(AssistantError):
    """The watch list cannot be read; screening must not silently run against nothing."""

    code = "watchlist_unavailable"
    internal = True


class WatchListEntry(BaseModel):
    """One listed person or entity."""

    model_config = ConfigDict(frozen=True)

    name: str
    aliases: tuple[str, ...] = ()
    list_name: str = Field(description="the CSV column `list`: internal-aml, un-sanctions ...")
    note: str = ""

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class WatchListHit(BaseModel):
    """A screened name matched an entry. For compliance staff only; never shown to the investor."""

    entry: WatchListEntry
    matched: str = Field(description="the entry's spelling that matched")
    kind: MatchKind
    score: float = Field(ge=0, le=100)


@dataclass(frozen=True)
class _Name:
    """A spelling prepared once for every comparison it takes part in."""

    original: str
    chinese: str | None  # simplified, punctuation removed; None for Latin names
    sounds: frozenset[str]  # letters-only spellings in every plausible order
    latin: str  # lower case, words sorted, for fuzzy comparison; "" for Chinese names

    @property
    def letters(self) -> int:
        return min((len(sound) for sound in self.sounds), default=0)


def _prepare(name: str) -> _Name:
    cleaned = unicodedata.normalize("NFKC", name).strip()
    if has_cjk(cleaned):
        chinese = _NAME_PUNCTUATION.sub("", cleaned).translate(TRADITIONAL_TO_SIMPLIFIED)
        return _Name(name, chinese, frozenset(_pinyin_orders(chinese)), "")
    words = _latin_words(cleaned)
    orders = (
        itertools.permutations(words) if len(words) <= 4 else [tuple(words)]
    )  # 4 words = 24 orders; longer names are entities, whose word order is stable
    return _Name(name, None, frozenset("".join(order) for order in orders), " ".join(sorted(words)))


def _latin_words(text: str) -> list[str]:
    stripped = "".join(
        char
        for char in unicodedata.normalize("NFKD", text.lower())
        if not unicodedata.combining(char)
    )
    return [word for word in _NOT_LETTER.split(stripped.replace("ü", "u")) if word]


def _pinyin_orders(chinese: str) -> Iterable[str]:
    """Letters-only pinyin of a Chinese name, surname first and surname last."""
    split = 2 if chinese[:2] in _COMPOUND_SURNAMES else 1
    for syllables in _readings(chinese):
        surname, given = "".join(syllables[:split]), "".join(syllables[split:])
        for spelling in {surname + given, given + surname}:
            yield spelling
            if "v" in spelling:  # pypinyin writes ü as v: 吕 is lv, spelled lu or lyu
                yield spelling.replace("v", "u")
                yield spelling.replace("v", "yu")


def _readings(chinese: str) -> list[tuple[str, ...]]:
    # pypinyin's dictionaries take 0.4 s to import; only a screening needs them.
    from pypinyin import Style, lazy_pinyin, pinyin

    usual = tuple(lazy_pinyin(chinese, style=Style.NORMAL))
    per_char = [pinyin(char, style=Style.NORMAL, heteronym=True)[0] for char in chinese]
    count = 1
    for options in per_char:
        count *= len(options)
    if count > _MAX_READINGS:
        return [usual]
    return [usual, *itertools.product(*per_char)]


def _sound(char: str) -> set[str]:
    from pypinyin import Style, pinyin

    return set(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


class WatchList:
    """The names to screen against, prepared once, at the first screening, for fast
    repeated screening (most turns screen no one, so a start-up spends nothing on it)."""

    def __init__(
        self,
        entries: Sequence[WatchListEntry],
        *,
        spelling_threshold: float = SPELLING_THRESHOLD,
    ) -> None:
        self._entries = tuple(entries)
        self._threshold = spelling_threshold

    @cached_property
    def _prepared(self) -> list[tuple[WatchListEntry, list[_Name]]]:
        return [
            (entry, [_prepare(spelling) for spelling in entry.spellings]) for entry in self._entries
        ]

    @classmethod
    def from_csv(cls, path: Path, *, spelling_threshold: float = SPELLING_THRESHOLD) -> WatchList:
        """Read columns ``name, aliases, list, note``; aliases are separated by ``|``."""
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = set(_COLUMNS) - set(reader.fieldnames or ())
                if missing:
                    raise WatchListError(f"{path}: missing column(s) {sorted(missing)}")
                rows = list(reader)
        except OSError as error:
            raise WatchListError(f"{path}: {error}") from error
        entries = [
            WatchListEntry(
                name=row["name"].strip(),
                aliases=tuple(
                    alias.strip() for alias in (row["aliases"] or "").split("|") if alias.strip()
                ),
                list_name=(row["list"] or "").strip(),
                note=(row.get("note") or "").strip(),
            )
            for row in rows
            if (row["name"] or "").strip()
        ]
        return cls(entries, spelling_threshold=spelling_threshold)

    def __len__(self) -> int:
        return len(self._entries)

    def screen(self, name: str) -> WatchListHit | None:
        """The strongest match for ``name``, or ``None`` when nothing on the list resembles it."""
        if not name.strip():
            return None
        query = _prepare(name)
        best: WatchListHit | None = None
        for entry, spellings in self._prepared:
            for spelling in spellings:
                found = self._compare(query, spelling)
                if found is not None and (best is None or found[1] > best.score):
                    kind, score = found
                    best = WatchListHit(
                        entry=entry, matched=spelling.original, kind=kind, score=score
                    )
        return best

    def _compare(self, query: _Name, listed: _Name) -> tuple[MatchKind, float] | None:
        if query.chinese is not None and listed.chinese is not None:
            return _compare_chinese(query.chinese, listed.chinese)
        if query.sounds & listed.sounds:
            cross_script = (query.chinese is None) != (listed.chinese is None)
            # A shared sound across scripts is a homophone, not proof of the same characters.
            return ("pinyin", PINYIN_SCORE) if cross_script else ("spelling", 100.0)
        if query.chinese is None and listed.chinese is None:
            if min(query.letters, listed.letters) < MIN_FUZZY_LETTERS:
                return None
            score = fuzz.token_sort_ratio(query.latin, listed.latin)
            if score >= self._threshold:
                return "spelling", float(score)
        return None


def _compare_chinese(query: str, listed: str) -> tuple[MatchKind, float] | None:
    if query == listed:
        return "exact", 100.0
    if Levenshtein.distance(query, listed) != 1:
        return None
    if min(len(query), len(listed)) >= 3:
        return "variant", 90.0
    if len(query) == len(listed):
        differing = [(a, b) for a, b in zip(query, listed, strict=True) if a != b]
        if all(_sound(a) & _sound(b) for a, b in differing):
            return "variant", 85.0
    return None
