"""When a job holder proposes 360 respondents, their line manager is asked to agree or remove
them (F24, guidance §75). One ask per person and batch: a later proposal asks again."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
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
from store.models import FeedbackRespondent, Outbox, Person

MILESTONE = "respondents"


def _waiting(*where: sa.ColumnElement[bool]) -> Any:
    """Per job holder and year: how many proposals wait, and the latest one's id."""
    return (
        sa.select(
            col(FeedbackRespondent.person_id),
            col(FeedbackRespondent.year),
            sa.func.count(),
            sa.func.max(col(FeedbackRespondent.id)),
        )
        .where(
            col(FeedbackRespondent.agreed_at).is_(None),
            col(FeedbackRespondent.removed_at).is_(None),
            *where,
        )
        .group_by(col(FeedbackRespondent.person_id), col(FeedbackRespondent.year))
    )


def plan(tick: Tick) -> None:
    found = tick.session.execute(
        _waiting(col(FeedbackRespondent.year).in_([tick.this_year - 1, tick.this_year]))
        .add_columns(col(Person.line_manager_id))
        .join(Person, col(Person.id) == col(FeedbackRespondent.person_id))
        .where(col(Person.left_on).is_(None), col(Person.line_manager_id).is_not(None))
        .group_by(col(Person.line_manager_id))
    ).all()
    rows = [
        outbox_row(
            tick,
            recipient=manager,
            kind=Kind.RESPONDENTS,
            subject_key=f"p:{person}",
            subject_id=person,
            milestone=MILESTONE,
            step=f"agree_{latest}",
            year=year,
            due_at=tick.now,
            payload={"waiting": waiting},
        )  # fmt: skip
        for person, year, waiting, latest, manager in found
    ]
    insert_rows(tick, rows)


def is_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    """Done once nothing proposed waits for the line manager (agreed or removed)."""
    if row.subject_id is None:
        return True
    waiting = session.execute(
        _waiting(
            col(FeedbackRespondent.person_id) == row.subject_id,
            col(FeedbackRespondent.year) == row.year,
        )
    ).first()
    return waiting is None


def compose(w: Words) -> Nudge:
    waiting = int(w.payload.get("waiting") or 1)
    some = "a 360 respondent" if waiting == 1 else f"{waiting} 360 respondents"
    return w.nudge(
        f"{w.who}'s 360 respondents to agree",
        f"{w.who} has proposed {some} for this year's 360 feedback. Agree or remove each one; "
        "only agreed respondents count in the end-year write-up.",
        (Action("respondents_list", "See them", str(w.subject)), w.snooze()),
    )


KIND = NudgeKind(Kind.RESPONDENTS, plan, is_done, compose)
