"""What a person may do with their own reminders: snooze one, or - told of someone else's
overdue task - ask its owner, once, with a reminder that names who asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from store.config import DepartmentConfig
from store.errors import InvalidInput, NotFound, PermissionDenied
from store.models import Outbox, OutboxStatus, Person
from store.notices import Notice, tell, version
from store.services.base import Actor, audit, audited
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


ASK_AGAIN_AFTER = timedelta(days=2)  # one reminder per owner and task in this long
ESCALATED = ("overdue_", "escalated_")  # steps that tell someone other than the task's owner


@dataclass(frozen=True)
class Asked:
    owners: list[Person]  # who will be reminded
    escalation: Outbox


def escalation_owners(session: Session, *, actor: Actor, outbox_id: int) -> Asked:
    """Who owns the overdue task an escalation told ``actor`` of: the people its own reminders
    went to (its line manager, the job holder, the award's decider). Only the escalation's
    reader may ask."""
    row = session.get(Outbox, outbox_id)
    if row is None or not row.step.startswith(ESCALATED):
        raise NotFound("That reminder no longer exists.", field="nudge")
    if actor.person_id != row.recipient_id:
        raise PermissionDenied("You can't act on a reminder sent to someone else.")
    owners = session.exec(
        select(Person)
        .join(Outbox, col(Outbox.recipient_id) == col(Person.id))
        .where(
            Outbox.kind == row.kind,
            Outbox.subject_key == row.subject_key,
            Outbox.milestone == row.milestone,
            Outbox.year == row.year,
            ~col(Outbox.step).startswith(ESCALATED[0]),
            ~col(Outbox.step).startswith(ESCALATED[1]),
            col(Person.left_on).is_(None),
            col(Person.id) != actor.person_id,
        )
        .distinct()
    ).all()
    return Asked(list(owners), row)


def ask_owner(
    session: Session,
    *,
    actor: Actor,
    escalation: Outbox,
    owner: Person,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """One polite reminder to the task's owner, naming who asked; False when they were
    reminded in the last two days (asked by anyone)."""
    recent = session.exec(
        select(Outbox.id).where(
            Outbox.kind == Notice.REMINDED.value,
            Outbox.recipient_id == owner.id,
            Outbox.subject_key == escalation.subject_key,
            Outbox.milestone == escalation.milestone,
            Outbox.year == escalation.year,
            col(Outbox.created_at) > now - ASK_AGAIN_AFTER,
        )
    ).first()
    if recent is not None:
        return False
    tell(
        session, recipient_id=owner.id, notice=Notice.REMINDED,
        subject_id=escalation.subject_id or 0, milestone=escalation.milestone,
        step=f"{escalation.kind}_{version(now)}", year=escalation.year, now=now,
        payload=payload,
    )  # fmt: skip
    audit(
        session, actor=actor, now=now, action="nudge.remind_owner", entity="outbox",
        entity_id=escalation.id, subject_id=escalation.subject_id,
        new={"owner_id": owner.id, "kind": escalation.kind},
    )  # fmt: skip
    return True
