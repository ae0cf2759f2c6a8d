"""The moderation packs: one sheet per business unit, grade by grade (F19), with the yellow
Moderated rating column a panel fills from a drop-down of the four boxes. Only the people
this department moderates (F18) appear."""

from __future__ import annotations

import re
from typing import Any

from openpyxl.worksheet.datavalidation import DataValidation

from store.framework import Rating
from store.workbook.base import PACK_NOTE, PACK_PREFIX, PACK_RATING, STAFF_ID, Book, Person
from store.workbook.cells import Column, Sheet

COLUMNS = (
    Column(STAFF_ID, 10),
    Column("Name", 24),
    Column("Grade", 8),
    Column("Line manager", 22),
    Column("Q1", 15),
    Column("Q2 (mid-year)", 15),
    Column("Q3", 15),
    Column("Q4", 15),
    Column("End-year recommendation", 17),
    Column("Rating after the gates", 15),
    Column("Why the gates changed it", 40, wrap=True),
    Column("Evidence items", 10),
    Column(PACK_RATING, 18, editable=True),
    Column(PACK_NOTE, 40, editable=True),
    Column("Ready to moderate", 40, wrap=True),
)
HOW_TO_READ = (
    "Mod sheets: one moderation pack per business unit, grade by grade. Choose a box "
    "in the yellow 'Moderated rating' column (and a note if you like), save, and run "
    "'perfbot moderation import FILE'. Do not rename sheets or move columns."
)
BOXES = tuple(Rating)


def title_for(unit: str, taken: set[str]) -> str:
    """A sheet name for a business unit: Excel allows 31 characters and no []:*?/\\."""
    base = PACK_PREFIX + re.sub(r"[\[\]:*?/\\]", "-", unit).strip("'")
    title = base[:31]
    n = 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


def person_row(book: Book, person: Person) -> list[Any]:
    row, d = person.row, person.derived
    return [
        row.staff_id,
        row.name,
        row.grade,
        row.line_manager,
        *d.quarters,
        d.recommended,
        d.gated,
        d.reasons,
        row.evidence,
        d.moderated,
        None,
        "Yes" if d.why_no_final is None else f"Not yet: {_lower_first(d.why_no_final)}",
    ]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def add_drop_down(pack: Sheet) -> None:
    """The four boxes as a list in the Moderated rating column; anything else is refused."""
    boxes = DataValidation(
        type="list",
        formula1='"' + ",".join(r.label for r in BOXES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a box rating",
        error="Choose one of the four boxes: " + ", ".join(r.label for r in BOXES),
    )
    column = pack.column_letter(PACK_RATING)
    boxes.add(f"{column}{pack.first_data_row}:{column}{pack.header_row + max(pack.rows, 1)}")
    pack.ws.data_validations.append(boxes)
