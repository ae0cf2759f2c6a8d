"""The Ratings sheet: one row per person employed during the year, with everything the
framework derives for them (gates F8/F9, final rating F7, F10, F16, F18)."""

from __future__ import annotations

from typing import Any

from store.framework import MinimumStandard, Rating
from store.workbook.base import Book, Person, SheetSpec
from store.workbook.cells import GBP, Column
from store.workbook.population import (
    PLAN_LABELS,
    agreement,
    objectives_agreed,
    temporary_promotion,
)

COLUMNS = (
    Column("Staff ID", 10),
    Column("Name", 24),
    Column("Email", 30),
    Column("Grade", 8),
    Column("Business unit", 28),
    Column("Location", 16),
    Column("Line manager", 22),
    Column("Director General", 22),
    Column("Start date", 11),
    Column("Left on", 11),
    Column("Temporary promotion into the SCS", 24, wrap=True),  # F25
    Column("Objectives", 10),
    Column("Objectives agreed", 26, wrap=True),  # F11
    Column("Q1", 15),
    Column("Q2 (mid-year)", 15),
    Column("Q3", 15),
    Column("Q4", 15),
    Column("Mid-year write-up", 26, wrap=True),  # F23: where its agreement stands
    Column("End-year write-up", 26, wrap=True),
    Column("End-year recommendation", 17),
    *[Column(s.label, 14) for s in MinimumStandard],
    Column("Finance objective", 12),
    Column("Rating after the gates", 15),
    Column("Why the gates changed it", 40, wrap=True),
    Column("Moderated rating", 15),
    Column("Final rating", 15),
    Column("Why there is no final rating yet", 40, wrap=True),
    Column("Review of the rating", 40, wrap=True),  # F27
    Column("Development plan", 14),
    Column("Under-performance step", 22, wrap=True),
    Column("On poor-performance measures", 12),
    Column("Moderation", 16),
    Column("Moderated by", 24, wrap=True),
    Column("End-year bonus", 18),
    Column("Evidence items", 10),
    Column("Awards approved", 10),
    Column("Awards total", 12, GBP),
)


def review(book: Book, row: Any) -> str | None:
    """F27: where a review of the final rating stands, with its reason."""
    if row.review_opened_at is None:
        return None
    if row.review_closed_at is None:
        opened = book.local(row.review_opened_at)
        return f"Under review since {opened:%d %b %Y}: {row.review_reason}"
    closed = book.local(row.review_closed_at)
    outcome = Rating(row.review_outcome).label
    return f"Reviewed {closed:%d %b %Y}, final rating {outcome}: {row.review_outcome_reason}"


def person_row(book: Book, person: Person) -> list[Any]:
    row, d = person.row, person.derived
    return [
        row.staff_id,
        row.name,
        row.email,
        row.grade,
        row.business_unit,
        row.location,
        row.line_manager,
        row.dg,
        row.start_date,
        row.left_on,
        temporary_promotion(row),
        row.objectives,
        objectives_agreed(row, book.local),
        *d.quarters,
        agreement(row, "mid"),
        agreement(row, "end"),
        d.recommended,
        *d.standards,
        d.finance,
        d.gated,
        d.reasons,
        d.moderated,
        d.final.label if d.final else None,
        d.why_no_final,
        review(book, row),
        PLAN_LABELS[row.plan_status],
        d.step,
        "Yes" if row.poor_performance_measures else "No",
        person.placement,
        person.moderated_by,
        d.bonus,
        row.evidence,
        row.awards,
        row.award_pence / 100,
    ]


SPEC = SheetSpec(
    "Ratings",
    "Ratings: one row per person employed during the year. The rating after the gates is "
    "derived from the recommendation, the four minimum standards and the finance "
    "objective; the final rating is the moderated one where there is one, once "
    "the write-up is agreed and every gate assessed, and never above what the gates allow.",
    columns=COLUMNS,
    person_row=person_row,
)
