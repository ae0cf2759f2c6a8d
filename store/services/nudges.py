"""What a person may do to their own reminders: snooze one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from store.config import DepartmentConfig
from store.errors import InvalidInput, NotFound, PermissionDenied
from store.models import Outbox, OutboxStatus, Person
from store.services.base import Actor, audited
from store.worktime import WorkingTime


def snooze(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    outbox_id: int,
    working_days: int,
    now: datetime,
) -> Outbox:
    """The recipient pushes their own nudge back N working days. Escalations to others are
    separate nudges, so the deadline logic still escalates on time."""
    if not 1 <= working_days <= 20:
        raise InvalidInput("Snooze for 1 to 20 working days.", field="working_days")
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound("That reminder no longer exists.", field="nudge")
    if actor.person_id != row.recipient_id:
        raise PermissionDenied("You can't snooze someone else's reminder.")
    recipient = session.get(Person, row.recipient_id)
    assert recipient is not None
    work = WorkingTime(config)
    day = work.add_working_days(work.today(now), working_days, recipient.location)
    old = {"due_at": row.due_at.isoformat(), "status": row.status.value}
    row.due_at = work.opening(day)
    row.status = OutboxStatus.PENDING  # a snoozed nudge comes back, even once sent
    row.lease_owner = row.lease_until = row.next_attempt_at = None
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="nudge.snooze",
        subject_id=row.subject_id,
        new={"due_at": row.due_at.isoformat(), "working_days": working_days},
        old=old,
    )
