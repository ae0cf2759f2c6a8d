"""The consistency check (F21): counts of people per box by protected characteristic, small
cells hidden and further cells hidden so none can be worked out from the totals. Only
``store.aggregates`` reads protected characteristics; only its counts arrive here."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import select

from store import aggregates
from store.config import Milestone, milestone_dates
from store.framework import Rating
from store.models import ConsistencyRecord
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import BOLD, RIGHT, TITLE, Counted, append, header, styled, widths

BOXES = tuple(Rating)
MID_YEAR = "Mid-year (Q2 indicative)"


def _mid_year(
    book: Book, tables: list[tuple[aggregates.ConsistencyTable, aggregates.ConsistencyTable]]
) -> list[tuple[aggregates.ConsistencyTable, aggregates.ConsistencyTable]]:
    """F21 (guidance §83, §88): the mid-year table is kept as a record when HR runs the check
    (the first export on or after the check date) and shown as kept from then on, so the
    end-year table is compared with what the check saw, not with later changes."""
    kept = {
        r.characteristic: r
        for r in book.session.exec(
            select(ConsistencyRecord).where(ConsistencyRecord.year == book.year)
        ).all()
    }
    check = milestone_dates(book.config, book.year)[Milestone.CONSISTENCY_CHECK]
    local_now = book.local(book.now)
    assert local_now is not None
    if not kept and local_now.date() < check:
        stage = f"{MID_YEAR}, as of today (kept as the record from {check.day} {check:%B %Y})"
        return [(_restage(mid, stage), end) for mid, end in tables]
    if not kept:  # the check is due or past: this export keeps the record
        book.mid_year_record = [mid for mid, _end in tables]
        stage = f"{MID_YEAR}, kept as the record today"
        return [(_restage(mid, stage), end) for mid, end in tables]
    ends = {end.characteristic: end for _mid, end in tables}
    shown = []
    for name in sorted(set(kept) | set(ends)):
        record = kept.get(name)
        if record is None:
            mid = aggregates.ConsistencyTable(
                name, MID_YEAR, [], [], [], [], withheld="Not in the mid-year record."
            )
        else:
            recorded = book.local(record.recorded_at)
            assert recorded is not None
            stage = f"{MID_YEAR}, as kept on {recorded.day} {recorded:%B %Y}"
            mid = aggregates.from_published(name, stage, record.published)
        end = ends.get(name) or aggregates.ConsistencyTable(
            name, "End-year (final rating)", [], [], [], [], withheld="No end-year figures."
        )
        shown.append((mid, end))
    return shown


def _restage(table: aggregates.ConsistencyTable, stage: str) -> aggregates.ConsistencyTable:
    return replace(table, stage=stage)


def fill(book: Book, ws: Any) -> None:
    threshold = book.config.reporting.suppression_threshold
    tables = _mid_year(
        book, aggregates.consistency_check(book.session, book.codes, threshold=threshold)
    )
    widths(ws, 34)
    widths(ws, *([17] * 13), first=2)
    ws.freeze_panes = "A2"  # the title; the tables below vary in place
    append(ws, [styled(ws, f"Consistency check, {book.label}", font=TITLE)])
    Counted(ws).paragraph(
        f"Counts of people per box by protected characteristic. Cells with fewer than "
        f"{threshold} people are hidden (shown as *), with further cells hidden where a count "
        "could otherwise be worked out from the totals, or where everyone in a box would be "
        f"shown to share one group; groups under {threshold} are pooled as Other. The mid-year "
        "table is kept as it stood when the check was run.",
        110,
    )
    append(ws, [])
    if not tables:
        stored = aggregates.characteristics_present(book.session)
        append(
            ws,
            [
                "No one has a Q2 indicative or a final rating for this year yet, so there is "
                f"nothing to compare across {', '.join(stored)}."
                if stored
                else "The roster holds no protected characteristics (pc_ columns)."
            ],
        )
    for mid, end in tables:
        name = mid.characteristic.replace("_", " ").capitalize()  # age_band: "Age band"
        append(ws, [styled(ws, name, font=TITLE)])
        for table in (mid, end):
            append(ws, [styled(ws, table.stage, font=BOLD)])
            if table.withheld:
                append(ws, [table.withheld])
                append(ws, [])
                continue
            append(ws, header(ws, "Group", *[r.label for r in BOXES], "Total"))
            for group, cells, total in zip(
                table.groups, table.cells, table.row_totals, strict=True
            ):
                shown = [styled(ws, "*", alignment=RIGHT) if c is None else c for c in cells]
                append(ws, [group, *shown, total])  # a hidden cell's * lines up with numbers
            append(ws, [styled(ws, "Total", font=BOLD)] + table.column_totals + [table.total])
            append(ws, [])


SPEC = SheetSpec(
    "Consistency check",
    "Consistency check: protected characteristics as counts only, small cells hidden.",
    fill=fill,
)
