"""The consistency check (F21): counts of people per box by protected characteristic, small
cells hidden and further cells hidden so none can be worked out from the totals. Only
``store.aggregates`` reads protected characteristics; only its counts arrive here."""

from __future__ import annotations

from typing import Any

from store import aggregates
from store.framework import Rating
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import BOLD, TITLE, append, header, styled, widths

BOXES = tuple(Rating)


def fill(book: Book, ws: Any) -> None:
    threshold = book.config.reporting.suppression_threshold
    tables = aggregates.consistency_check(book.session, book.codes, threshold=threshold)
    widths(ws, 34)
    widths(ws, *([13] * 13), first=2)
    ws.freeze_panes = "A4"
    append(ws, [styled(ws, f"Consistency check, {book.label}", font=TITLE)])
    append(
        ws,
        [
            f"Counts of people per box by protected characteristic. Cells with fewer than "
            f"{threshold} people are hidden (shown as *), with further cells hidden where "
            "a count could otherwise be worked out from the totals; groups under "
            f"{threshold} are pooled as Other. Zeros are shown."
        ],
    )
    append(ws, [])
    if not tables:
        append(ws, ["The roster holds no protected characteristics (pc_ columns)."])
    for mid, end in tables:
        append(ws, [styled(ws, mid.characteristic, font=TITLE)])
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
                append(ws, [group] + ["*" if c is None else c for c in cells] + [total])
            append(ws, [styled(ws, "Total", font=BOLD)] + table.column_totals + [table.total])
            append(ws, [])


SPEC = SheetSpec(
    "Consistency check",
    "Consistency check: protected characteristics as counts only, small cells hidden.",
    fill=fill,
)
