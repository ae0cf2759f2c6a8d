"""The Cabinet Office return: the autumn figures (F22)."""

from __future__ import annotations

from typing import Any

from store import framework as fw
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import PERCENT, TITLE, Counted, header, styled, widths

# F22: payments made - an award a DG approved that waits for the Chief Secretary is not paid.
IN_YEAR_PAYMENTS = (
    "Non-consolidated payments in-year (in-year awards approved and final; not those "
    "awaiting the Chief Secretary's approval)"
)


def fill(book: Book, ws: Any) -> None:
    tally = book.tally
    ret = fw.cabinet_office_return(
        tally.overall.elements(),
        in_year_payments=book.in_year_payments,
        end_year_payments=tally.bonus_eligible,
        on_poor_performance_measures=tally.poor_performance,
    )
    widths(ws, MEASURE_WIDTH, 14, 12)
    ws.freeze_panes = "A4"
    put = Counted(ws)
    put([styled(ws, f"Cabinet Office return, {book.label}", font=TITLE)])
    put([f"{book.config.department.name}: final ratings of {ret.rated} people."])
    put(header(ws, "Measure", "Number", "%"))
    for measure, number, share in (
        ("Rated Exceeding or High Performing", ret.top_two, ret.top_two_share),
        ("Rated Partially Met", ret.partially_met, ret.partially_met_share),
        (IN_YEAR_PAYMENTS, ret.in_year_payments, None),
        (
            "People eligible for an end-year non-consolidated payment (an eligibility "
            "count, not payments made: perfbot does not record bonus payments)",
            ret.end_year_payments,
            None,
        ),
        ("On formal poor-performance measures", ret.on_poor_performance_measures, None),
    ):
        shown = [styled(ws, share, fmt=PERCENT)] if share is not None else []
        put.wrapped([measure, number, *shown], MEASURE_WIDTH)


MEASURE_WIDTH = 60


SPEC = SheetSpec("Cabinet Office return", "Cabinet Office return: the autumn figures.", fill=fill)
