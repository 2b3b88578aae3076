"""Watch-list screening: Chinese, pinyin and English spellings of listed names, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.watchlist import SPELLING_THRESHOLD, WatchList, WatchListEntry, WatchListError
from tests.utils.files import write_csv

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "watchlist" / "watchlist.csv"


@pytest.fixture(scope="module")
def watchlist() -> WatchList:
    return WatchList.from_csv(SHIPPED)


def test_the_shipped_list_holds_only_fictional_entries(watchlist: WatchList) -> None:
    entries = [
        hit.entry for name in ("测试名单人员", "Ivan Examplov") if (hit := watchlist.screen(name))
    ]

    assert 8 <= len(watchlist) <= 12
    assert {entry.list_name for entry in entries} == {"internal-aml", "un-sanctions"}
    rows = SHIPPED.read_text("utf-8").splitlines()[1:]
    assert all("FICTIONAL" in row for row in rows)


@pytest.mark.parametrize(
    ("name", "listed", "kind"),
    [
        ("测试名单人员", "测试名单人员", "exact"),
        ("測試名單人員", "测试名单人员", "exact"),  # traditional characters
        (" 司马 样例 ", "司马样例", "exact"),  # spacing inside a Chinese name
        ("司馬樣例", "司马样例", "exact"),
        ("测试名单人丙", "测试名单人员", "variant"),  # one character different
        ("测试名单人", "测试名单人员", "variant"),  # one character missing
        ("假测", "贾测", "variant"),  # two characters: only a homophone counts
        ("Jia Ce", "贾测", "pinyin"),  # a Chinese-only entry, spelled in pinyin
        ("jiace", "贾测", "pinyin"),  # without spaces
        ("CE JIA", "贾测", "pinyin"),  # given name first, upper case
        ("Xugou Ouyang", "欧阳虚构", "pinyin"),  # compound surname, reversed
        ("ou-yang xu-gou", "欧阳虚构", "pinyin"),  # hyphens
        ("Zhēn Jiāmíng", "甄假名", "pinyin"),  # tone marks
        ("虚拟人物", "Xuni Renwu", "pinyin"),  # a Latin-only entry, screened in Chinese
        ("Renyuan Ceshi Mingdan", "测试名单人员", "spelling"),  # its pinyin alias, reordered
        ("Examplov, Ivan", "Ivan Examplov", "spelling"),  # reordered English name
        ("IVAN EXAMPELOV", "Ivan Examplov", "spelling"),  # one typo
        ("Fictitia Maria", "Maria Fictitia", "spelling"),
        ("占位空壳控股有限公司", "Placeholder Shell Holdings Ltd", "exact"),  # an alias
    ],
)
def test_a_listed_name_is_found_in_its_many_spellings(
    watchlist: WatchList, name: str, listed: str, kind: str
) -> None:
    hit = watchlist.screen(name)

    assert hit is not None, name
    assert (hit.entry.name, hit.kind) == (listed, kind)


@pytest.mark.parametrize(
    "name",
    [
        "张伟",
        "王芳",
        "李明",
        "Zhang Wei",
        "Wang Fang",
        "Wei Zhang",
        "贾伟",  # one character from 贾测, but two-character names need a homophone
        "测试",
        "Igor Examplov",  # same surname, different person
        "Maria",
        "",
    ],
)
def test_ordinary_names_do_not_hit(watchlist: WatchList, name: str) -> None:
    assert watchlist.screen(name) is None


def test_a_hit_tells_compliance_which_list_and_spelling_matched(watchlist: WatchList) -> None:
    hit = watchlist.screen("Xugou Ouyang")

    assert hit is not None
    assert (hit.entry.list_name, hit.matched) == ("un-sanctions", "欧阳虚构")
    assert hit.score < 100  # a sound-alike across scripts is not an identity


def test_the_spelling_threshold_is_configurable(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [["Ivan Examplov", "", "un-sanctions", "fictional"]],
        header=["name", "aliases", "list", "note"],
    )

    assert WatchList.from_csv(path).screen("Ivan Exampelov") is not None
    assert WatchList.from_csv(path, spelling_threshold=99).screen("Ivan Exampelov") is None
    assert SPELLING_THRESHOLD == 90


def test_an_entry_can_be_built_in_code() -> None:
    watchlist = WatchList([WatchListEntry(name="样例丁", list_name="internal-aml")])

    assert watchlist.screen("Liding Yang") is not None
    assert watchlist.screen("Yang Lidong") is None


def test_short_latin_names_are_not_matched_fuzzily() -> None:
    """Two short names one letter apart are usually two people; only exact spellings count."""
    watchlist = WatchList([WatchListEntry(name="Tom Oxo", list_name="internal-aml")])

    assert watchlist.screen("Oxo Tom") is not None
    assert watchlist.screen("Tom Oxon") is None


def test_a_list_missing_a_column_is_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv", [["测试名单人员", "internal-aml"]], header=["name", "list"]
    )

    with pytest.raises(WatchListError, match="aliases"):
        WatchList.from_csv(path)


def test_a_missing_list_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WatchListError):
        WatchList.from_csv(tmp_path / "absent.csv")


def test_names_are_spelled_out_at_the_first_screening_not_when_the_list_is_read() -> None:
    fresh = WatchList.from_csv(SHIPPED)
    assert "_prepared" not in vars(fresh)  # a start that screens no one spells no one

    hit = fresh.screen("Xugou Ouyang")  # 欧阳虚构, listed in Chinese only

    assert "_prepared" in vars(fresh)
    assert hit is not None and hit.kind == "pinyin"
