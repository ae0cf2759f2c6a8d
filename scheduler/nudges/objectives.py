"""Objectives to agree: the job holder and the line manager, before the objectives deadline
(F11-F12)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from scheduler.nudges.base import (
    Action,
    Kind,
    Nudge,
    NudgeKind,
    Recipient,
    SubjectsTask,
    Words,
    count_of,
    person_task_done,
    plan_deadlines,
    subject_expression,
)
from store.config import Milestone
from store.framework import OBJECTIVES_RECOMMENDED
from store.models import Objective, ObjectiveStatus


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    live = count_of(
        Objective,
        col(Objective.person_id) == subject_expression(subject),
        col(Objective.year) == year,
        col(Objective.status) == ObjectiveStatus.LIVE,
    )
    return live >= OBJECTIVES_RECOMMENDED[0]  # F12: at least the recommended three


TASKS = (
    SubjectsTask(Kind.OBJECTIVES, Milestone.OBJECTIVES_AGREED.value, Recipient.SELF, done),
    SubjectsTask(Kind.OBJECTIVES, Milestone.OBJECTIVES_AGREED.value, Recipient.LINE_MANAGER, done),
)


def compose(w: Words) -> Nudge:
    return w.nudge(
        "Objectives to agree",
        f"Objectives for {w.who} {w.when()}: 3 to 6 are recommended, covering what and how.",
        (Action("objectives", "Open objectives", w.subject), w.snooze()),
    )


KIND = NudgeKind(Kind.OBJECTIVES, plan_deadlines(*TASKS), person_task_done(done), compose)
