"""Undelivered nudges: reminders that could not reach someone - no Slack or Teams account
matched their email (undeliverable), or the platform kept failing (dead) - for HR to chase."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from store.models import OutboxStatus
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import DATETIME, Column, Sheet
from store.workbook.population import tables

COLUMNS = (
    Column("Staff ID", 10),
    Column("Recipient", 24),
    Column("Email", 30),
    Column("Nudge", 22),
    Column("Step", 16),
    Column("Due", 16, DATETIME),
    Column("Status", 14),
    Column("Why", 50, wrap=True),
)
UNDELIVERABLE = OutboxStatus.UNDELIVERABLE.value


def fill(book: Book, ws: Any) -> None:
    t = tables()
    o, p = t["Outbox"], t["Person"]
    rows = book.session.connection().execute(
        sa.select(
            p.c.staff_id, p.c.name, p.c.email, o.c.kind, o.c.step, o.c.due_at, o.c.status,
            o.c.last_error,
        )
        .join(p, p.c.id == o.c.recipient_id)
        .where(
            o.c.year.in_((book.year, 0)),
            o.c.status.in_((UNDELIVERABLE, OutboxStatus.DEAD.value)),
        )
        .order_by(p.c.name, o.c.due_at)
    )  # fmt: skip
    sheet = Sheet(ws, COLUMNS)
    sheet.start()
    for r in rows:
        why = r.last_error or (
            "No Slack or Teams account matches this email" if r.status == UNDELIVERABLE else None
        )
        sheet.add(
            [
                r.staff_id,
                r.name,
                r.email,
                r.kind.replace("_", " ").capitalize(),
                r.step.replace("_", " "),
                book.local(r.due_at),
                r.status.capitalize(),
                why,
            ]
        )
    sheet.finish()


SPEC = SheetSpec(
    "Undelivered nudges",
    "Undelivered nudges: reminders that could not reach someone (no chat account matched "
    "their email, or the platform kept failing), to chase by hand.",
    columns=COLUMNS,
    fill=fill,
)
