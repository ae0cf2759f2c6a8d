"""Distribution: final ratings per box, overall, by grade and by business unit, beside the
expected curve (F20), with two charts."""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, Reference

from store import framework as fw
from store.framework import Grade, Rating
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import BOLD, PERCENT, TITLE, append, header, styled, widths

BOXES = tuple(Rating)


def fill(book: Book, ws: Any) -> None:
    tally = book.tally
    widths(ws, 26, 15, 15, 15, 15, 10)
    ws.freeze_panes = "A3"
    append(ws, [styled(ws, f"Distribution of final ratings, {book.label}", font=TITLE)])
    append(
        ws,
        [
            "People moderated by this department with a final rating (moderated, else "
            "the recommendation after the gates). There is no forced distribution; expect most "
            "in Achieving and about 5% Partially Met."
        ],
    )
    append(ws, [])
    append(ws, header(ws, "Box", "People", "Share", "Expected share"))
    top = 5
    rated = sum(tally.overall.values())
    expected = {
        Rating.ACHIEVING: "The largest box",
        Rating.PARTIALLY_MET: styled(ws, fw.EXPECTED_PARTIALLY_MET_SHARE, fmt=PERCENT),
    }
    for r in BOXES:
        count = tally.overall[r]
        share = styled(ws, count / rated if rated else 0, fmt=PERCENT)
        append(ws, [r.label, count, share, expected.get(r)])
    append(ws, [styled(ws, "Total", font=BOLD), rated])
    chart = BarChart()
    chart.title = "Share of people per box"
    chart.y_axis.title = "Share"
    chart.y_axis.numFmt = "0%"
    chart.legend = None
    chart.add_data(
        Reference(ws, min_col=3, min_row=top - 1, max_row=top + 3), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=top, max_row=top + 3))
    chart.height, chart.width = 7, 14
    ws.add_chart(chart, "G2")
    row = top + 5
    for title, groups in (
        ("By grade", sorted(tally.by_grade.items(), key=lambda kv: Grade(kv[0]).value)),
        ("By business unit", sorted(tally.by_unit.items())),
    ):
        row += 1
        append(ws, [])
        append(ws, header(ws, title, *[f"{r.label} %" for r in BOXES], "People"))
        first = row + 2
        for name, counts in groups:
            people = sum(counts.values())
            append(
                ws, [name] + [styled(ws, counts[r] / people, fmt=PERCENT) for r in BOXES] + [people]
            )
        row = first + len(groups) - 1
        if title == "By grade" and groups:
            stacked = BarChart()
            stacked.type = "col"
            stacked.grouping = "percentStacked"
            stacked.overlap = 100
            stacked.title = "Boxes by grade"
            stacked.add_data(
                Reference(ws, min_col=2, max_col=5, min_row=first - 1, max_row=row),
                titles_from_data=True,
            )
            stacked.set_categories(Reference(ws, min_col=1, min_row=first, max_row=row))
            stacked.height, stacked.width = 7, 14
            ws.add_chart(stacked, "G18")


SPEC = SheetSpec(
    "Distribution",
    "Distribution: final ratings per box against the expected curve.",
    fill=fill,
)
