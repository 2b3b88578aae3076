"""Brokerage concepts: what a question or an entry is about, in either language.

The lexicon (``data/lexicon.yaml``) lists concepts (创业板, 交易密码, 逆回购, ...) with the
ways investors write them in Chinese and English. :meth:`Lexicon.concepts` finds them in a
text, leftmost-longest, so 国债逆回购 is one concept (reverse repo) and not 国债 (bonds).

Two uses: answerability compares a question's concepts with an entry's (an English question
about ChiNext shares a concept with a Chinese entry about 创业板, while a question about 逆回购
does not share one with an entry about bond fees), and a follow-up that names another concept
of the same kind ("那科创板呢" after a ChiNext question) takes its place in the topic.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from text.language import has_cjk

_BUNDLED = "lexicon.yaml"
_REGEX_PREFIX = "re:"  # a surface written as a regular expression (lower-case text)
_LONGEST_ABBREVIATION = 4  # "rzrq" is 融资融券; "faceid" is a word


@dataclass(frozen=True)
class Concept:
    """One thing an investor may ask about, and the broader things it counts as."""

    id: str
    kind: str
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    generic: bool = False
    outside: bool = False
    not_offered: bool = False
    """A securities firm offers nothing of the kind (crypto, mortgages): say so plainly."""


@dataclass(frozen=True)
class ConceptMatch:
    """Where a concept was found in a text."""

    concept: Concept
    start: int
    end: int
    surface: str


@dataclass(frozen=True)
class ConceptSet:
    """The concepts of a text: those named, and those implied by them."""

    named: frozenset[str] = frozenset()
    implied: frozenset[str] = frozenset()
    matches: tuple[ConceptMatch, ...] = field(default=(), compare=False)

    @property
    def all(self) -> frozenset[str]:
        return self.named | self.implied

    def __bool__(self) -> bool:
        return bool(self.named)


class Lexicon:
    """Finds concepts in text. Immutable once built; safe to share between threads."""

    def __init__(
        self,
        concepts: Iterable[Concept],
        asks: Mapping[str, str] | None = None,
        variants: Mapping[str, str] | None = None,
    ) -> None:
        self._asks = {name: re.compile(pattern) for name, pattern in (asks or {}).items()}
        self._variants = dict(variants or {})
        for written, meant in self._variants.items():
            if len(written) != len(meant):
                # Matches are reported at their place in the text as written.
                raise ValueError(f"variant {written!r} -> {meant!r} changes the text's length")
        self._variant_pattern = (
            re.compile("|".join(map(re.escape, sorted(self._variants, key=len, reverse=True))))
            if self._variants
            else None
        )
        self.concepts: dict[str, Concept] = {}
        surfaces: dict[str, Concept] = {}
        self._patterns: list[tuple[re.Pattern[str], Concept]] = []
        for concept in concepts:
            if concept.id in self.concepts:
                raise ValueError(f"concept {concept.id!r} is defined twice")
            self.concepts[concept.id] = concept
            for surface in (*concept.zh, *concept.en):
                if surface.startswith(_REGEX_PREFIX):
                    self._patterns.append((re.compile(surface[len(_REGEX_PREFIX) :]), concept))
                    continue
                key = self._normalised(surface.lower())
                if key in surfaces and surfaces[key].id != concept.id:
                    raise ValueError(
                        f"{surface!r} names both {surfaces[key].id!r} and {concept.id!r}"
                    )
                surfaces[key] = concept
        unknown = {i for c in self.concepts.values() for i in c.implies} - set(self.concepts)
        if unknown:
            raise ValueError(f"implied concepts not defined: {sorted(unknown)}")
        self._by_surface = surfaces
        self._initials = frozenset(key for key, c in surfaces.items() if _is_abbreviation(key, c))
        self._pattern = _compile(surfaces, [p for p, _ in self._patterns])

    def __len__(self) -> int:
        return len(self.concepts)

    def digest(self) -> str:
        """Changes with any concept, surface, implication or ask pattern."""
        content = repr(
            (
                [self.concepts[c] for c in sorted(self.concepts)],
                sorted(self._asks.items()),
                sorted(self._variants.items()),
            )
        )
        return hashlib.sha256(content.encode()).hexdigest()

    def find(self, text: str) -> list[ConceptMatch]:
        """Every concept named in ``text``, leftmost-longest, in order."""
        matches: list[ConceptMatch] = []
        lowered = text.lower()
        for match in self._pattern.finditer(self._normalised(lowered)):
            concept = self._surface_concept(match.group(0))
            # The surface as the investor wrote it ("信用帐户"), where a follow-up replaces it.
            written = lowered[match.start() : match.end()]
            matches.append(ConceptMatch(concept, match.start(), match.end(), written))
        return matches

    def _normalised(self, text: str) -> str:
        """``text`` with the variant spellings investors type ("帐户", "登陆") as the lexicon
        writes them, each in the same number of characters."""
        if self._variant_pattern is None:
            return text
        return self._variant_pattern.sub(lambda m: self._variants[m.group(0)], text)

    def concepts_of(self, text: str) -> ConceptSet:
        """The concepts ``text`` names, with everything they imply."""
        matches = tuple(self.find(text))
        named = frozenset(m.concept.id for m in matches)
        return ConceptSet(named, self._closure(named) - named, matches)

    def _surface_concept(self, surface: str) -> Concept:
        """The concept behind a matched surface, with an English plural ending taken off."""
        for candidate in (surface, surface[:-1], surface[:-2]):
            if candidate in self._by_surface:
                return self._by_surface[candidate]
        for pattern, concept in self._patterns:
            if pattern.fullmatch(surface):
                return concept
        raise KeyError(surface)

    def spelled_out(self, text: str) -> str:
        """``text`` with the pinyin abbreviations Chinese investors type ("cyb", "ggt", "kzz")
        replaced by the concept's name, which an embedding model knows: "cyb涨跌幅" is
        创业板涨跌幅, and in a text without Chinese the English name ("saw ppl call it nhg" asks
        about the reverse repo). Latin names a concept has in English too (ETF, LOF) stay.
        Variant spellings ("帐户") are written as the lexicon writes them."""
        text = self._normalised(text)
        parts: list[str] = []
        end = 0
        english = not has_cjk(text)  # "kzz申购 max how many lots": a Chinese name still
        for match in self.find(text):
            if match.surface.lower() in self._initials:
                names = match.concept.en if english and match.concept.en else match.concept.zh
                parts += [text[end : match.start], names[0]]
                end = match.end
        return "".join(parts) + text[end:] if parts else text

    def expand(self, text: str) -> str:
        """``text`` followed by the first Chinese and English name of every concept it names,
        so keyword search finds 创业板 for "cyb" and Chinese entries for "ChiNext" (and 账户
        for "帐户": variant spellings are written as the lexicon writes them)."""
        text = self._normalised(text)
        names: list[str] = []
        for match in self.find(text):
            concept = match.concept
            names += [
                name
                for name in (concept.zh[:1] + concept.en[:1])
                if not name.startswith(_REGEX_PREFIX)
            ]
        extra = [name for name in dict.fromkeys(names) if name not in text.lower()]
        return f"{text} {' '.join(extra)}" if extra else text

    def asks(self, text: str) -> frozenset[str]:
        """What ``text`` asks for (how long, how many, why, where, ...), by the lexicon's
        ``asks`` patterns; empty when it says nothing of the kind."""
        lowered = text.lower()
        return frozenset(name for name, pattern in self._asks.items() if pattern.search(lowered))

    def kind(self, concept_id: str) -> str:
        return self.concepts[concept_id].kind

    def _closure(self, ids: frozenset[str]) -> frozenset[str]:
        seen: set[str] = set()
        stack = list(ids)
        while stack:
            for implied in self.concepts[stack.pop()].implies:
                if implied not in seen and implied not in ids:
                    seen.add(implied)
                    stack.append(implied)
        return frozenset(seen | ids)


def _compile(surfaces: Mapping[str, Concept], patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    """The longest surface at the leftmost place, then the patterns; Latin words only at word
    boundaries.

    The surfaces go in as a trie (``创业板|创业板指`` as ``创业板(?:指)?``): at each place the
    engine follows the text down one path, longest first, instead of trying every surface
    in turn, which made matching a long passage cost milliseconds per thousand surfaces.
    """
    trie: dict[str, Any] = {}
    for surface in surfaces:
        node = trie
        for char in surface:
            node = node.setdefault(char, {})
        node[_END] = _ending(surface)
    branches = [
        (r"(?<![a-z0-9])" if char.isascii() and char.isalnum() else "")
        + re.escape(char)
        + _trie_pattern(child)
        for char, child in trie.items()
    ]
    parts = [f"(?:{'|'.join(branches)})"] if branches else []
    parts += [f"(?:{p.pattern})" for p in patterns]
    return re.compile("|".join(parts) or "(?!)")


_END = ""  # the trie key marking where a surface ends (no character is empty)


def _ending(surface: str) -> str:
    """What must follow ``surface``: an optional plural and no more letters after a Latin
    word, no more digits after a number, nothing after the rest."""
    if surface[-1:].isascii() and surface[-1:].isalpha():
        return "(?:s|es)?(?![a-z])"
    if surface[-1:].isascii() and surface[-1:].isdigit():
        return "(?![0-9])"
    return ""


def _trie_pattern(node: Mapping[str, Any]) -> str:
    """``node``'s continuations, longer ones first: where a surface ends is tried last."""
    branches = [re.escape(char) + _trie_pattern(child) for char, child in node.items() if char]
    if _END in node:
        branches.append(node[_END])
    if len(branches) == 1:
        return branches[0]
    return f"(?:{'|'.join(branches)})"


def _concept(raw: Mapping[str, object]) -> Concept:
    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            raise ValueError(f"concept {raw.get('id')!r}: {key} must be a list")
        return tuple(str(v) for v in value)

    return Concept(
        id=str(raw["id"]),
        kind=str(raw["kind"]),
        zh=strings("zh"),
        en=strings("en"),
        implies=strings("implies"),
        generic=bool(raw.get("generic", False)),
        outside=bool(raw.get("outside", False)),
        not_offered=bool(raw.get("not_offered", False)),
    )


def load_lexicon(path: Path | None = None) -> Lexicon:
    """The lexicon in ``path``, or the bundled brokerage lexicon."""
    if path is not None:
        text = path.read_text("utf-8")
    else:
        text = resources.files("knowledge.data").joinpath(_BUNDLED).read_text("utf-8")
    try:  # libyaml's parser, ten times faster than PyYAML's, with the same safe constructor
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError:  # said as PyYAML's own parser says it
        data = yaml.safe_load(text) or {}
    asks = {str(name): str(pattern) for name, pattern in (data.get("asks") or {}).items()}
    variants = {str(k): str(v) for k, v in (data.get("variants") or {}).items()}
    return Lexicon((_concept(raw) for raw in data.get("concepts", [])), asks, variants)


_lock = threading.Lock()


def _is_abbreviation(surface: str, concept: Concept) -> bool:
    """Whether ``surface`` is a pinyin abbreviation of ``concept``: Latin letters listed among
    its Chinese names and not among its English ones (plural "s" allowed), four at most
    (longer ones are words: "faceid")."""
    key = surface.lower()
    english = {name.lower() for name in concept.en}
    return (
        key.isascii()
        and key.isalpha()
        and len(key) <= _LONGEST_ABBREVIATION
        and key in {name.lower() for name in concept.zh}
        and not english & {key, key.removesuffix("s")}
        and not concept.zh[0].isascii()
    )


@lru_cache(maxsize=1)
def _bundled() -> Lexicon:
    return load_lexicon()


def bundled_lexicon() -> Lexicon:
    """The bundled lexicon, built once per process."""
    with _lock:
        return _bundled()
