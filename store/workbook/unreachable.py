"""People perfbot cannot reach: in post, with no chat with perfbot in Slack or Teams, so no
reminder gets to them - each with why, when perfbot's try to install itself in their Teams
said (for HR to chase, or to ask IT to install perfbot for them)."""

from __future__ import annotations

from typing import Any

from store.queries import unreachable_people
from store.services import INSTALL_OUTCOMES
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import Column, Sheet

COLUMNS = (
    Column("Staff ID", 10),
    Column("Name", 24),
    Column("Email", 30),
    Column("Business unit", 28, wrap=True),
    Column("Why", 60, wrap=True),
)
NO_CHAT = "They have not opened perfbot in Slack or Teams"


def fill(book: Book, ws: Any) -> None:
    sheet = Sheet(ws, COLUMNS)
    sheet.start()
    for person in unreachable_people(book.session):
        words = INSTALL_OUTCOMES[person.why] if person.why else NO_CHAT
        sheet.add([person.staff_id, person.name, person.email, person.business_unit, words])
    sheet.finish()


SPEC = SheetSpec(
    "Unreachable people",
    "Unreachable people: everyone in post with no chat with perfbot in Slack or Teams, so no "
    "reminder reaches them, and why.",
    columns=COLUMNS,
    fill=fill,
)
