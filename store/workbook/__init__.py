"""The HR workbook: the population (one query and what the framework derives from it), the
cell and sheet helpers, one module per sheet, and the moderation import that reads the
panels' choices back. ``book.SHEETS`` lists the sheets in order."""

from store.workbook.base import (
    EXPORT_ACTION,
    EXPORT_REFUSED,
    META_SHEET,
    PACK_NOTE,
    PACK_RATING,
    STAFF_ID,
)
from store.workbook.book import SHEETS, ExportResult, export_workbook

__all__ = [
    "EXPORT_ACTION",
    "EXPORT_REFUSED",
    "META_SHEET",
    "PACK_NOTE",
    "PACK_RATING",
    "SHEETS",
    "STAFF_ID",
    "ExportResult",
    "export_workbook",
]
