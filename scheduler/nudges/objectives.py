"""Objectives to agree: the job holder and the line manager, before the objectives deadline,
until the line manager has agreed a set covering the four headings (F11-F12)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from scheduler.nudges.base import (
    Action,
    Kind,
    Nudge,
    NudgeKind,
    Recipient,
    SubjectsTask,
    Words,
    exists,
    person_task_done,
    plan_deadlines,
    subject_expression,
)
from store.config import DepartmentConfig, Milestone
from store.framework import REQUIRED_HEADINGS, day_words, headings_words
from store.models import Objective, ObjectivesAgreement, ObjectiveStatus, Outbox


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    """F11: done when the line manager has agreed the set (which needs all four headings)."""
    return exists(
        col(ObjectivesAgreement.person_id) == subject_expression(subject),
        col(ObjectivesAgreement.year) == year,
        col(ObjectivesAgreement.agreed_at).is_not(None),
    )


def written(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    """F11: the job holder's part is done once a live objective stands under each of the four
    headings (or the set is agreed): then it is their line manager who is reminded."""
    return sa.or_(
        done(milestone, year, subject, evidence_min=evidence_min),
        sa.and_(
            *(
                exists(
                    col(Objective.person_id) == subject_expression(subject),
                    col(Objective.year) == year,
                    col(Objective.status) == ObjectiveStatus.LIVE,
                    col(Objective.heading) == heading,
                )
                for heading in REQUIRED_HEADINGS
            )
        ),
    )


TASKS = (
    SubjectsTask(Kind.OBJECTIVES, Milestone.OBJECTIVES_AGREED.value, Recipient.SELF, written),
    SubjectsTask(Kind.OBJECTIVES, Milestone.OBJECTIVES_AGREED.value, Recipient.LINE_MANAGER, done),
)


HEADINGS = headings_words(REQUIRED_HEADINGS)


def _due(w: Words, whose: str) -> str:
    """'need your agreement by Friday 29 May' or 'needed ... by 29 May, and are overdue'."""
    due = w.deadline
    if w.escalation:
        return (
            f"needed {whose} by {day_words(due, weekday=False)}, and are overdue"
            if due
            else "are overdue"
        )
    return f"need {whose} by {day_words(due)}" if due else f"need {whose} soon"


def compose(w: Words) -> Nudge:
    if w.ctx.to_subject:
        due = _due(w, "your line manager's agreement")
        return w.nudge(
            "Your objectives",
            f"Your objectives for the year {due}. Set at "
            f"least one under each of {HEADINGS} (3 to 6 in all are recommended), each saying "
            "what you will deliver and how.",
            (Action("objectives", "Add an objective", w.subject), w.snooze()),
        )
    if w.escalation and w.ctx.relation != "line_manager":
        why, actions = w.escalate("line_manager", Action("objectives_agree", "Agree them", ""))
        return w.nudge(
            f"{w.who}'s objectives",
            f"{w.who}'s objectives for the year {_due(w, 'agreeing')}.{why}",
            actions,
        )
    return w.nudge(
        f"{w.who}'s objectives to agree",
        f"{w.who}'s objectives for the year {_due(w, 'your agreement')}. They need at least "
        f"one under each of {HEADINGS}; agree them once they do.",
        (
            Action("objectives_agree", "Agree them", w.subject),
            Action("objectives", "Add an objective", w.subject),
            w.snooze(),
        ),
    )


_WRITTEN, _AGREED = person_task_done(written), person_task_done(done)


def is_done(session: Session, row: Outbox, config: DepartmentConfig) -> bool:
    """The job holder's own reminder ends when they have written the set; the line manager's,
    and anyone's told it is overdue, when it is agreed."""
    if row.recipient_id == row.subject_id:
        return _WRITTEN(session, row, config)
    return _AGREED(session, row, config)


KIND = NudgeKind(Kind.OBJECTIVES, plan_deadlines(*TASKS), is_done, compose)
