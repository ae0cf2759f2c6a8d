"""Messages that close the loop (store/notices.py): the job holder hears of a rating or a
development plan recorded for them, the nominator of the decision on their nomination, the
line manager that their write-up was agreed. The services write them as the action is stored,
so there is nothing to plan; each is dropped if what it tells changed before it went."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import cast

import sqlalchemy as sa
from sqlmodel import Session, col

from scheduler.nudges.base import Action, Kind, Nudge, NudgeKind, Tick, Words, money
from store.config import DepartmentConfig
from store.framework import Stage
from store.models import (
    Award,
    AwardStatus,
    DevelopmentPlan,
    IndicativeRating,
    ObjectivesAgreement,
    Outbox,
    WriteUp,
)
from store.notices import version


def _nothing_to_plan(_tick: Tick) -> None:
    """Written by the services when the action is stored."""


def _current(moment: datetime | None, row: Outbox) -> bool:
    """Still what it tells: the record's version is the one the message was written for."""
    return moment is not None and row.step.endswith(version(moment))


# --- an indicative rating, to the job holder --------------------------------------------------
def _rating_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    recorded = session.execute(
        sa.select(col(IndicativeRating.recorded_at)).where(
            col(IndicativeRating.person_id) == row.subject_id,
            col(IndicativeRating.year) == row.year,
            col(IndicativeRating.quarter) == int(row.milestone.removeprefix("q") or 0),
        )
    ).scalar_one_or_none()
    return not _current(recorded, row)  # re-recorded since: that one is told


def _rating_words(w: Words) -> Nudge:
    p = w.payload
    quarter, rating = p.get("quarter"), p.get("rating")
    text = f"Your line manager recorded your Q{quarter} indicative rating: {rating}."
    if p.get("replaces"):
        text += f" It replaces the {p['replaces']} recorded before."
    if rating == "Partially Met":
        text += " Talk to them about what support would help you in the next quarter."
    facts = [("What was delivered", str(p.get("what") or "")), ("How", str(p.get("how") or ""))]
    return w.nudge(
        f"Your Q{quarter} indicative rating", text, (Action("status", "See your record", ""),),
        facts,
    )  # fmt: skip


# --- a development plan, to the job holder ----------------------------------------------------
def _plan_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    updated = session.execute(
        sa.select(col(DevelopmentPlan.updated_at)).where(
            col(DevelopmentPlan.person_id) == row.subject_id,
            col(DevelopmentPlan.year) == row.year,
        )
    ).scalar_one_or_none()
    return not _current(updated, row)


def _plan_words(w: Words) -> Nudge:
    status, review = w.payload.get("status"), w.payload.get("review_on")
    if status == "closed":
        text = "Your line manager has closed your development plan."
    else:
        text = "Your line manager has recorded your development plan."
        if review:
            on = date.fromisoformat(review)
            text += f" Your review meeting is on {on:%A} {on.day} {on:%B %Y}."
    return w.nudge("Your development plan", text, (Action("status", "See your record", ""),), [])


# --- an award decision, to the nominator ------------------------------------------------------
def _award_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    award_id = int(row.milestone.partition(":")[2] or 0)
    found = session.execute(
        sa.select(col(Award.status), col(Award.decided_at)).where(col(Award.id) == award_id)
    ).first()
    # Undone (pending again), or undone and decided afresh (that decision is told instead).
    return found is None or found[0] is AwardStatus.PENDING or not _current(found[1], row)


def _award_words(w: Words) -> Nudge:
    p = w.payload
    amount, nominee = money(int(p.get("amount_pence") or 0)), p.get("nominee", w.who)
    decider, status = p.get("decider", "The decider"), w.ctx.step.partition("_")[0]
    if status == AwardStatus.REJECTED.value:
        text = f"{decider} rejected your nomination of {nominee} for {amount}."
        facts = [("Reason", str(p.get("reason") or ""))]
    elif status == AwardStatus.AWAITING_CST.value:
        text = (
            f"{decider} approved your nomination of {nominee} for {amount}. It takes their "
            "awards this year to the level that also needs the Chief Secretary to the "
            "Treasury's approval, which HR will record."
        )
        facts = []
    else:
        text = f"{decider} approved your nomination of {nominee} for {amount}."
        facts = []
    return w.nudge("Your award nomination", text, (Action("status", "See your status", ""),), facts)


# --- an agreed write-up, to the line manager --------------------------------------------------
def _agreed_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    stage = Stage(row.milestone.partition(":")[2] or Stage.END_YEAR.value)
    written = session.execute(
        sa.select(col(WriteUp.manager_assessed_at)).where(
            col(WriteUp.person_id) == row.subject_id,
            col(WriteUp.year) == row.year,
            col(WriteUp.stage) == stage,
        )
    ).scalar_one_or_none()
    return not _current(written, row)  # revised since: it is agreed afresh


def _agreed_words(w: Words) -> Nudge:
    which = w.ctx.milestone.partition(":")[2] or Stage.END_YEAR.value
    stage = "mid-year" if which == Stage.MID_YEAR.value else "end-year"
    text = f"{w.who} agreed the {stage} write-up you wrote."
    if w.payload.get("commented"):
        text += " Their comment is kept beside it."
    value = f"{w.subject}:{which}:{w.ctx.year}"
    read = Action("write_up_read", "Read it", value)
    return w.nudge(f"{w.who} agreed their {stage} write-up", text, (read,), [])


# --- an overdue task, to its owner, at the request of someone it was escalated to ---------------
def _reminded_done(session: Session, row: Outbox, config: DepartmentConfig) -> bool:
    """Done when the task it is about is done (asked of the task's own kind)."""
    from scheduler.nudges import is_done  # the registry imports this module

    kind = str((row.payload or {}).get("kind", ""))
    if kind not in KIND_VALUES:
        return True
    # The task's own row, as its kind reads it: a plain object, not a new ORM instance (this
    # runs for every such reminder a delivery batch claims).
    task = SimpleNamespace(
        recipient_id=row.recipient_id, kind=kind, subject_key=row.subject_key,
        subject_id=row.subject_id, milestone=row.milestone, step="before_0", year=row.year,
        due_at=row.due_at, created_at=row.created_at, payload=None,
    )  # fmt: skip
    return is_done(session, cast(Outbox, task), config)


KIND_VALUES = frozenset(k.value for k in Kind)


def _reminded_words(w: Words) -> Nudge:
    p = w.payload
    actions = tuple(Action(*a) for a in p.get("actions") or ())
    return w.nudge(
        str(p.get("title") or "A reminder"),
        f"{p.get('asked_by', 'Someone')} asked me to remind you. {p.get('text', '')}".strip(),
        (*actions, w.snooze()),
        [],
    )


# --- objectives changed after they were agreed, to the line manager who agreed them -------------
def _objectives_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    """Done once they are agreed again."""
    agreed = session.execute(
        sa.select(col(ObjectivesAgreement.agreed_at)).where(
            col(ObjectivesAgreement.person_id) == row.subject_id,
            col(ObjectivesAgreement.year) == row.year,
        )
    ).scalar_one_or_none()
    return agreed is not None


def _objectives_words(w: Words) -> Nudge:
    return w.nudge(
        f"{w.who}'s objectives changed",
        f"{w.who}'s objectives changed after you agreed them. Look at them and agree them again.",
        (Action("objectives_list", "See them", w.subject), w.snooze()),
        [],
    )


KINDS = (
    NudgeKind(Kind.RATING_RECORDED, _nothing_to_plan, _rating_done, _rating_words),
    NudgeKind(Kind.PLAN_RECORDED, _nothing_to_plan, _plan_done, _plan_words),
    NudgeKind(Kind.AWARD_DECIDED, _nothing_to_plan, _award_done, _award_words),
    NudgeKind(Kind.WRITE_UP_AGREED, _nothing_to_plan, _agreed_done, _agreed_words),
    NudgeKind(Kind.REMINDED, _nothing_to_plan, _reminded_done, _reminded_words),
    NudgeKind(Kind.OBJECTIVES_CHANGED, _nothing_to_plan, _objectives_done, _objectives_words),
)
