"""After a line manager writes a mid- or end-year assessment: the job holder reads it and agrees
or comments, then the countersigning officer countersigns; a comment goes back to the line
manager (F23, Annex B). Planned from the write-up's state, so a revision asks again.

The job holder's ask and the line manager's news of a comment come on their own, as soon as
they can; the countersigning officer's ask is a line in their day's list (a Director General
countersigning a whole group's write-ups gets one list, not a message each)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from scheduler.nudges.base import (
    Action,
    Kind,
    Nudge,
    NudgeKind,
    Tick,
    Words,
    insert_rows,
    outbox_row,
)
from store.config import DepartmentConfig
from store.framework import Stage
from store.models import Outbox, Person, WriteUp

AGREE, COUNTERSIGN, COMMENTED = "agree", "countersign", "commented"


def _version(moment: datetime) -> str:
    """A step name per version of the write-up: a revision is asked about afresh."""
    return str(int(moment.timestamp()))


def plan(tick: Tick) -> None:
    """One row per ask that is due: only the columns it needs, and never a countersigning ask
    for someone with no countersigning officer (their write-up is done once agreed)."""
    subject = aliased(Person, name="subject")
    found = tick.session.execute(
        sa.select(
            col(WriteUp.person_id),
            col(WriteUp.year),
            col(WriteUp.stage),
            col(WriteUp.manager_id),
            col(WriteUp.manager_assessed_at),
            col(WriteUp.job_holder_agreed_at),
            col(WriteUp.job_holder_commented_at),
            col(subject.countersigning_id),
        )
        .join(subject, col(subject.id) == col(WriteUp.person_id))
        .where(
            col(WriteUp.manager_assessed_at).is_not(None),
            col(subject.left_on).is_(None),
            col(WriteUp.year).in_([tick.this_year - 1, tick.this_year]),
            sa.or_(
                col(WriteUp.job_holder_agreed_at).is_(None),
                sa.and_(
                    col(WriteUp.countersigned_at).is_(None),
                    col(subject.countersigning_id).is_not(None),
                ),
            ),
        )
    ).all()
    rows = []
    for person_id, year, stage, manager_id, written, agreed, commented, cso in found:
        version = _version(written)
        asks: list[tuple[int | None, Kind, str, datetime]] = []
        if agreed is None:
            asks.append((person_id, Kind.WRITE_UP_AGREEMENT, f"{AGREE}_{version}", written))
            if commented is not None and commented > written:
                step = f"{COMMENTED}_{_version(commented)}"
                asks.append((manager_id, Kind.WRITE_UP_AGREEMENT, step, commented))
        else:
            asks.append((cso, Kind.COUNTERSIGN, f"{COUNTERSIGN}_{version}", agreed))
        for recipient, kind, step, since in asks:
            if recipient is None:
                continue
            rows.append(
                outbox_row(
                    tick,
                    recipient=recipient,
                    kind=kind,
                    subject_key=f"p:{person_id}",
                    subject_id=person_id,
                    milestone=f"write_up:{Stage(stage).value}",
                    step=step,
                    year=year,
                    due_at=max(since, tick.now),
                )
            )
    for kind in (Kind.WRITE_UP_AGREEMENT, Kind.COUNTERSIGN):  # the report counts each kind
        insert_rows(tick, [row for row in rows if row["kind"] == kind.value])


def is_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    """Done once what it asks for has happened, or the write-up it names was revised."""
    if row.subject_id is None:
        return True
    stage = Stage(row.milestone.split(":", 1)[1])
    found = session.execute(
        sa.select(WriteUp).where(
            col(WriteUp.person_id) == row.subject_id,
            col(WriteUp.year) == row.year,
            col(WriteUp.stage) == stage,
        )
    ).scalar_one_or_none()
    if found is None or found.manager_assessed_at is None:
        return True
    what, _, version = row.step.partition("_")
    if what == COMMENTED:
        return found.job_holder_agreed_at is not None or (
            found.job_holder_commented_at is None
            or _version(found.job_holder_commented_at) != version
            or found.manager_assessed_at > found.job_holder_commented_at
        )
    if _version(found.manager_assessed_at) != version:
        return True  # revised since: the new version has its own nudge
    if what == AGREE:
        return found.job_holder_agreed_at is not None
    return found.countersigned_at is not None


def compose(w: Words) -> Nudge:
    which = w.ctx.milestone.partition(":")[2] or Stage.END_YEAR.value
    stage = "mid-year" if which == Stage.MID_YEAR.value else "end-year"
    value = f"{w.subject}:{which}:{w.ctx.year}"
    read = Action("write_up_read", "Read it", value)
    what = w.ctx.step.partition("_")[0]
    if what == AGREE:
        return w.nudge(
            f"Your {stage} write-up to agree",
            f"Your line manager has written your {stage} assessment. Read it, then agree it "
            "or add a comment for them.",
            (read, w.snooze()),
        )
    if what == COMMENTED:
        return w.nudge(
            f"{w.who} commented on their {stage} write-up",
            f"{w.who} has added a comment to the {stage} assessment you wrote and has not "
            "agreed it yet. Read it; you can revise the assessment in answer.",
            (read, w.snooze()),
        )
    return w.nudge(
        f"{w.who}'s {stage} write-up to countersign",
        f"{w.who} has agreed the {stage} assessment their line manager wrote. Read it, then "
        "countersign it.",
        (read, w.snooze()),
    )


def _planned_above(_tick: Tick) -> None:
    """Countersigning asks are planned with the others, by ``plan``."""


KIND = NudgeKind(Kind.WRITE_UP_AGREEMENT, plan, is_done, compose)
COUNTERSIGNING = NudgeKind(Kind.COUNTERSIGN, _planned_above, is_done, compose)
