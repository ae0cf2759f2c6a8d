"""Distribution: final ratings per box, overall, by grade and by business unit, beside the
expected curve (F20), with two charts."""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, Reference

from store.framework import Grade, Rating
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import BOLD, PERCENT, TITLE, Counted, header, styled, widths

BOXES = tuple(Rating)


def fill(book: Book, ws: Any) -> None:
    tally = book.tally
    widths(ws, 28, 18, 18, 18, 18, 10)
    ws.freeze_panes = "A2"
    put = Counted(ws)  # the charts' references are counted as rows are written

    put([styled(ws, f"Distribution of final ratings, {book.label}", font=TITLE)])
    put.paragraph(
        "People moderated by this department with a final rating (moderated, else the "
        "recommendation after the gates). There is no forced distribution; expect most in "
        "Achieving and about 5% Partially Met.",
        100,
    )
    put([])
    head = put(header(ws, "Box", "People", "Share", "Expected share", "Guidance"))
    rated = sum(tally.overall.values())
    expected = book.config.reporting.expected_percent
    for r in BOXES:
        count = tally.overall[r]
        share = styled(ws, count / rated if rated else 0, fmt=PERCENT)
        aim = expected.get(r.value)
        aim_cell = styled(ws, aim / 100, fmt=PERCENT) if aim is not None else None
        note = "The largest box" if r is Rating.ACHIEVING and aim is None else None
        last = put([r.label, count, share, aim_cell, note])
    put([styled(ws, "Total", font=BOLD), rated])
    chart = BarChart()
    chart.title = "Share of people per box, against the expected curve"
    chart.y_axis.title = "Share"
    chart.y_axis.numFmt = "0%"
    chart.add_data(
        Reference(ws, min_col=3, max_col=4, min_row=head, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=last))
    chart.legend.position = "b"
    chart.height, chart.width = 7, 14
    ws.add_chart(chart, "H2")
    for title, groups in (
        ("By grade", sorted(tally.by_grade.items(), key=lambda kv: Grade(kv[0]).value)),
        ("By business unit", sorted(tally.by_unit.items())),
    ):
        put([])
        head = put(header(ws, title, *[f"{r.label} %" for r in BOXES], "People"))
        for name, counts in groups:
            people = sum(counts.values())
            last = put(
                [name] + [styled(ws, counts[r] / people, fmt=PERCENT) for r in BOXES] + [people]
            )
        if title == "By grade" and groups:
            stacked = BarChart()
            stacked.type = "col"
            stacked.grouping = "percentStacked"
            stacked.overlap = 100
            stacked.title = "Boxes by grade"
            stacked.add_data(
                Reference(ws, min_col=2, max_col=1 + len(BOXES), min_row=head, max_row=last),
                titles_from_data=True,
            )
            stacked.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=last))
            stacked.height, stacked.width = 7, 14
            ws.add_chart(stacked, "H18")


SPEC = SheetSpec(
    "Distribution",
    "Distribution: final ratings per box against the expected curve.",
    fill=fill,
)
