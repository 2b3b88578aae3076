"""Freshness: FAQ sheets may say when an entry must be reviewed and which rule it rests on;
entries past their review date (or a default age) are reported, old sheets load as before."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from knowledge.documents import KnowledgeUnit, UnitKind
from knowledge.freshness import freshness_report, is_stale, review_due
from knowledge.loaders import load_source
from tests.utils.files import FAQ_HEADER, write_csv, write_jsonl, write_xlsx

TODAY = date(2026, 12, 6)


def faq(
    unit_id: str, *, updated: date | None, review_by: date | None = None, basis: str = ""
) -> KnowledgeUnit:
    return KnowledgeUnit(
        id=unit_id,
        kind=UnitKind.FAQ,
        source="faq.csv",
        title=f"question {unit_id}",
        text="answer",
        questions=[f"question {unit_id}"],
        updated_at=updated,
        review_by=review_by,
        basis=basis,
    )


def test_an_explicit_review_date_decides_whatever_the_last_update() -> None:
    recent_but_due = faq("a", updated=date(2026, 11, 1), review_by=date(2026, 12, 1))
    old_but_reviewed = faq("b", updated=date(2023, 1, 1), review_by=date(2027, 6, 30))

    assert review_due(recent_but_due) == date(2026, 12, 1)
    assert is_stale(recent_but_due, TODAY)
    assert not is_stale(old_but_reviewed, TODAY)


def test_without_a_review_date_the_default_age_counts_from_the_last_update() -> None:
    unit = faq("a", updated=date(2025, 12, 6))

    assert review_due(unit, 365) == date(2026, 12, 6)
    assert not is_stale(unit, TODAY, 365), "fresh through its last day"
    assert is_stale(unit, date(2026, 12, 7), 365)
    assert is_stale(unit, TODAY, 30)


def test_an_entry_with_no_dates_is_undated_not_stale() -> None:
    unit = faq("a", updated=None)

    assert review_due(unit) is None
    assert not is_stale(unit, TODAY)
    assert freshness_report([unit], today=TODAY).undated == ["a"]


def test_the_report_lists_stale_faq_entries_most_overdue_first_with_their_basis() -> None:
    chunk = KnowledgeUnit(
        id="doc::0", kind=UnitKind.CHUNK, source="guide.md", title="guide", text="text"
    )
    units = [
        faq("fresh", updated=date(2026, 10, 1)),
        faq(
            "late", updated=date(2025, 6, 1), basis="深交所《创业板投资者适当性管理实施办法》(2020)"
        ),
        faq("later", updated=date(2026, 1, 1), review_by=date(2024, 12, 31)),
        faq("undated", updated=None),
        chunk,
    ]

    report = freshness_report(units, today=TODAY, max_age_days=365)

    assert (report.entries, report.stale_count) == (4, 2)
    assert [entry.id for entry in report.stale] == ["later", "late"]
    later, late = report.stale
    assert (later.due, later.days_overdue, later.review_by) == (
        date(2024, 12, 31),
        (TODAY - date(2024, 12, 31)).days,
        date(2024, 12, 31),
    )
    assert (late.due, late.review_by) == (date(2026, 6, 1), None)
    assert late.basis == "深交所《创业板投资者适当性管理实施办法》(2020)"
    assert late.title == "question late"
    assert report.undated == ["undated"]


def test_sheets_carry_review_dates_and_rule_sources_in_english_or_chinese_headers(
    tmp_path: Path,
) -> None:
    english = write_csv(
        tmp_path / "en.csv",
        [["e-1", "Q?", "A.", "", "fees", "en", "2026-01-05", "2027-01-31", "CSRC rule (2023)"]],
        header=[*FAQ_HEADER, "review_by", "source"],
    )
    chinese = write_csv(
        tmp_path / "zh.csv",
        [["z-1", "问？", "答。", "2026-01-05", "2027/03/01", "上交所《科创板股票交易特别规定》"]],
        header=["编号", "问题", "答案", "更新时间", "复核日期", "依据"],
    )
    workbook = write_xlsx(
        tmp_path / "faq.xlsx",
        [["x-1", "问？", "答。", date(2027, 5, 1), "中国结算规定"]],
        header=["id", "问题", "答案", "复核日期", "依据"],
    )
    lines = write_jsonl(
        tmp_path / "faq.jsonl",
        [{"id": "j-1", "question": "Q?", "answer": "A.", "review_by": "2027-02-01", "source": "R"}],
    )

    units = {
        unit.id: unit
        for path in (english, chinese, workbook, lines)
        for unit in load_source(path, path.name).units
    }

    assert (units["e-1"].review_by, units["e-1"].basis) == (date(2027, 1, 31), "CSRC rule (2023)")
    assert (units["z-1"].review_by, units["z-1"].basis) == (
        date(2027, 3, 1),
        "上交所《科创板股票交易特别规定》",
    )
    assert units["z-1"].source == "zh.csv", "the unit's source is still its file"
    assert (units["x-1"].review_by, units["x-1"].basis) == (date(2027, 5, 1), "中国结算规定")
    assert (units["j-1"].review_by, units["j-1"].basis) == (date(2027, 2, 1), "R")


def test_a_sheet_without_the_new_columns_loads_as_before_and_keeps_its_content_hash(
    tmp_path: Path,
) -> None:
    sheet = write_csv(
        tmp_path / "old.csv", [["o-1", "问？", "答。", "", "fees", "zh", "2025-03-01"]]
    )

    (unit,) = load_source(sheet, "old.csv").units

    assert (unit.review_by, unit.basis) == (None, "")
    # The hash as it was computed before the freshness fields existed: nothing re-embeds.
    payload = unit.model_dump(mode="json", exclude={"position", "review_by", "basis", "handoff"})
    before = hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()[:32]
    assert unit.content_hash == before
    reviewed = KnowledgeUnit.model_validate({**unit.model_dump(), "review_by": date(2027, 1, 1)})
    assert reviewed.content_hash != unit.content_hash


@pytest.mark.parametrize("value", ["next spring", "2027-13-01"])
def test_a_bad_review_date_rejects_the_row_naming_the_column(tmp_path: Path, value: str) -> None:
    sheet = write_csv(
        tmp_path / "bad.csv",
        [["b-1", "问一？", "答。", value], ["b-2", "问二？", "答。", ""]],
        header=["id", "question", "answer", "review_by"],
    )

    loaded = load_source(sheet, "bad.csv")

    assert [unit.id for unit in loaded.units] == ["b-2"]
    (error,) = loaded.row_errors
    assert error.row == 2
    assert "review_by" in error.message
