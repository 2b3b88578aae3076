"""Whether an entry is due for review: rules change, and a stale answer is worse than none.

An FAQ entry may say when it must be checked again (the sheet's ``review_by`` /
复核日期 column). One that does not is due a default age after its
``updated_at``. An entry with neither date cannot be judged and is reported as
*undated*, never as fresh. Dates are compared with the caller's ``today`` (the
exchange's date in the product), so the functions here are pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, Field

from knowledge.documents import KnowledgeUnit, UnitKind

DEFAULT_MAX_AGE_DAYS = 365
"""How long an entry without ``review_by`` stays fresh after its ``updated_at``."""


def review_due(unit: KnowledgeUnit, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> date | None:
    """The last day the unit counts as fresh: its ``review_by``, else ``updated_at`` plus
    ``max_age_days``; ``None`` when it has neither date."""
    if unit.review_by is not None:
        return unit.review_by
    if unit.updated_at is not None:
        return unit.updated_at + timedelta(days=max_age_days)
    return None


def is_stale(unit: KnowledgeUnit, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> bool:
    """True once ``today`` is past the unit's review date; an undated unit is not stale."""
    due = review_due(unit, max_age_days)
    return due is not None and today > due


class StaleEntry(BaseModel):
    """An entry past its review date, with what a curator needs to find and fix it."""

    id: str
    title: str
    source: str = Field(description="the file the entry comes from")
    lang: str
    category: str
    updated_at: date | None
    review_by: date | None = Field(description="as written in the sheet; None: the default age")
    due: date = Field(description="the last day the entry counted as fresh")
    days_overdue: int
    basis: str = Field(description="the rule the entry rests on, when the sheet names it")


class FreshnessReport(BaseModel):
    """Which FAQ entries are past their review date on ``checked_on``."""

    checked_on: date
    max_age_days: int = Field(description="the default age for entries without review_by")
    entries: int = Field(description="FAQ entries checked")
    stale_count: int
    stale: list[StaleEntry] = Field(description="most overdue first")
    undated: list[str] = Field(description="ids of entries with neither updated_at nor review_by")


def freshness_report(
    units: Iterable[KnowledgeUnit], *, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS
) -> FreshnessReport:
    """The FAQ entries among ``units`` that are stale or undated on ``today``."""
    checked = 0
    stale: list[StaleEntry] = []
    undated: list[str] = []
    for unit in units:
        if unit.kind is not UnitKind.FAQ:
            continue
        checked += 1
        due = review_due(unit, max_age_days)
        if due is None:
            undated.append(unit.id)
        elif today > due:
            stale.append(
                StaleEntry(
                    id=unit.id,
                    title=unit.title,
                    source=unit.source,
                    lang=unit.lang,
                    category=unit.category,
                    updated_at=unit.updated_at,
                    review_by=unit.review_by,
                    due=due,
                    days_overdue=(today - due).days,
                    basis=unit.basis,
                )
            )
    stale.sort(key=lambda entry: (entry.due, entry.id))
    return FreshnessReport(
        checked_on=today,
        max_age_days=max_age_days,
        entries=checked,
        stale_count=len(stale),
        stale=stale,
        undated=sorted(undated),
    )
