"""The job holder's mid- and end-year self-assessment (F23)."""

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
    exists,
    person_task_done,
    plan_deadlines,
    subject_expression,
)
from store.config import Milestone
from store.framework import Stage
from store.models import WriteUp

STAGE_OF = {
    Milestone.MID_YEAR_WRITE_UP: Stage.MID_YEAR,
    Milestone.END_YEAR_WRITE_UP: Stage.END_YEAR,
}


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    return exists(
        col(WriteUp.person_id) == subject_expression(subject),
        col(WriteUp.year) == year,
        col(WriteUp.stage) == STAGE_OF[milestone],
        col(WriteUp.self_assessed_at).is_not(None),
    )


TASKS = tuple(
    SubjectsTask(Kind.SELF_ASSESSMENT, milestone.value, Recipient.SELF, done)
    for milestone in STAGE_OF
)


def compose(w: Words) -> Nudge:
    stage = w.stage
    title, text = f"Your {stage} self-assessment", f"Your {stage} self-assessment {w.when()}."
    why, actions = w.escalate("self", Action("self_assessment", "Write it", f"{w.subject}:{stage}"))
    if w.escalation:
        title = f"{w.who}'s {stage} self-assessment"
        text = f"{w.who}'s {stage} self-assessment {w.when()}.{why}"
    return w.nudge(title, text, actions)


KIND = NudgeKind(Kind.SELF_ASSESSMENT, plan_deadlines(*TASKS), person_task_done(done), compose)
