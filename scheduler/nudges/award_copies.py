"""Once a nomination is decided or withdrawn, every message that asked someone to decide it
is edited in place to say what happened: no Approve button is left standing in anyone's chat
(F15). Planned after the Undo window, so an undone decision never needs taking back."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from scheduler.nudges.base import Kind, Nudge, NudgeKind, Tick, Words, insert_rows, money
from store.config import DepartmentConfig
from store.models import Award, AwardStatus, Outbox, OutboxStatus, Person

LOOK_BACK = timedelta(days=400)  # a nomination's messages are at most a year old


def _decision(award: Award, by: str, zone: str) -> str:
    """'Approved by Dee Gee on 3 March 2027 at 10:15' (what the copy now says)."""
    verb = {
        AwardStatus.AWAITING_CST: "Approved",
        AwardStatus.WITHDRAWN: "Withdrawn",
    }.get(award.status, award.status.label)
    said = f"{verb} by {by}"
    if award.decided_at is not None:
        local = award.decided_at.astimezone(ZoneInfo(zone))
        said += f" on {local.day} {local:%B %Y} at {local:%H:%M}"
    if award.status is AwardStatus.AWAITING_CST:
        said += "; it now waits for the Chief Secretary's approval"
    return said


def plan(tick: Tick) -> None:
    session = tick.session
    sent = session.execute(
        sa.select(
            col(Outbox.id),
            col(Outbox.recipient_id),
            col(Outbox.subject_id),
            col(Outbox.milestone),
            col(Outbox.year),
            col(Outbox.message_ref),
        ).where(
            col(Outbox.kind) == Kind.AWARD_DECISION.value,
            col(Outbox.status) == OutboxStatus.SENT,
            col(Outbox.message_ref).is_not(None),
            col(Outbox.sent_at) >= tick.now - LOOK_BACK,
        )
    ).all()
    if not sent:
        return
    wanted = {int(milestone.partition(":")[2]) for *_, milestone, _, _ in sent}
    settled = tick.now - timedelta(minutes=tick.config.awards.undo_minutes)
    awards = {
        award.id: award
        for award in session.exec(
            select(Award).where(
                col(Award.id).in_(wanted),
                col(Award.status) != AwardStatus.PENDING,
                col(Award.decided_at) <= settled,  # past Undo: the decision stands
            )
        ).all()
    }
    if not awards:
        return
    people = {a.nominee_id for a in awards.values()} | {
        a.decided_by_id for a in awards.values() if a.decided_by_id
    }
    found = session.exec(select(Person).where(col(Person.id).in_(people))).all()
    names = {person.id: person.name for person in found}
    zone = tick.config.department.timezone
    rows = []
    for outbox_id, recipient, subject, milestone, year, ref in sent:
        award = awards.get(int(milestone.partition(":")[2]))
        if award is None:
            continue
        by = names.get(award.decided_by_id or 0, "HR")
        rows.append(
            {
                "recipient_id": recipient,
                "kind": Kind.AWARD_COPY.value,
                "subject_key": f"outbox:{outbox_id}",
                "subject_id": subject,
                "milestone": milestone,
                "step": award.status.value,  # a later change (the Chief Secretary) edits again
                "year": year,
                "due_at": tick.now,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "created_at": tick.now,
                "payload": {
                    "ref": ref,
                    "nominee": names.get(award.nominee_id, "the nominee"),
                    "amount_pence": award.amount_pence,
                    "decision": _decision(award, by, zone),
                },
            }
        )
    insert_rows(tick, rows)


def is_done(_session: Session, _row: Outbox, _config: DepartmentConfig) -> bool:
    return False  # an edit is always made: the message would otherwise mislead


def compose(w: Words) -> Nudge:
    amount = money(int(w.payload.get("amount_pence", 0)))
    return w.nudge(
        f"In-year award for {w.payload.get('nominee', w.who)}",
        f"A nomination of {amount}. {w.payload.get('decision', 'It has been decided')}.",
        (),
        [("Amount", amount)],
    )


KIND = NudgeKind(Kind.AWARD_COPY, plan, is_done, compose)
