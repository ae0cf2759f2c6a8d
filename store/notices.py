"""Closing the loop: when someone's action concerns another person, that person is told, once.

A service that records such an action writes the message into the outbox in the same
transaction, so it is told exactly when the action is stored (and never when it is not).
Delivery sends it in the recipient's working hours; the scheduler's nudge kinds of the same
names word it, and drop it if what it tells has changed before it went (a rating re-recorded,
an award decision undone).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from store.db import inserts_ignoring_conflicts
from store.models import Outbox, OutboxStatus

OUTBOX: sa.Table = Outbox.__table__  # type: ignore[attr-defined]
OUTBOX_KEY = ["recipient_id", "kind", "subject_key", "milestone", "year", "step"]
# A message is written once per key: a second identical one is no message.
OUTBOX_INSERTS = inserts_ignoring_conflicts(OUTBOX, OUTBOX_KEY)


class Notice(StrEnum):
    RATING = "rating_recorded"  # job holder: their line manager recorded an indicative rating
    PLAN = "plan_recorded"  # job holder: their development plan was recorded (F10)
    AWARD = "award_decided"  # nominator: the decider approved or rejected (F15)
    AGREED = "write_up_agreed"  # line manager: the job holder agreed their write-up (F23)
    REMINDED = "reminded"  # a task's owner: someone told it is overdue asked them to do it
    OBJECTIVES_CHANGED = "objectives_changed"  # line manager: agreed objectives changed (F11)


def version(moment: datetime) -> str:
    """A step name per version of what is told: a later change is told afresh."""
    return str(int(moment.timestamp()))


def tell(
    session: Session,
    *,
    recipient_id: int | None,
    notice: Notice,
    subject_id: int,
    milestone: str,
    step: str,
    year: int,
    now: datetime,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> None:
    """One message to ``recipient_id`` (nobody: no message), at most once per step."""
    if recipient_id is None:
        return
    row = {
        "recipient_id": recipient_id,
        "kind": notice.value,
        "subject_key": f"p:{subject_id}",
        "subject_id": subject_id,
        "milestone": milestone,
        "step": step,
        "year": year,
        "due_at": due_at or now,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "payload": payload,
    }
    connection = session.connection()
    connection.execute(OUTBOX_INSERTS[connection.dialect.name], row)
