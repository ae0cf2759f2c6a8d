"""Each quarter's indicative rating: the line manager, before each quarterly conversation's
deadline (F5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from scheduler.nudges.base import (
    MILESTONE_WORDS,
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
from store.models import IndicativeRating

QUARTER_OF = {
    Milestone.Q1_CONVERSATION: 1,
    Milestone.Q2_CONVERSATION: 2,
    Milestone.Q3_CONVERSATION: 3,
    Milestone.Q4_CONVERSATION: 4,
}


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    return exists(
        col(IndicativeRating.person_id) == subject_expression(subject),
        col(IndicativeRating.year) == year,
        col(IndicativeRating.quarter) == QUARTER_OF[milestone],
    )


TASKS = tuple(
    SubjectsTask(Kind.RATING, milestone.value, Recipient.LINE_MANAGER, done)
    for milestone in QUARTER_OF
)


def compose(w: Words) -> Nudge:
    what = MILESTONE_WORDS.get(w.ctx.milestone, "this quarter")
    why, actions = w.escalate("line_manager", Action("rate", "Rate now", w.subject))
    return w.nudge(
        f"Indicative rating for {w.who}",
        f"{w.who}'s indicative rating after {what} {w.when()}.{why}",
        actions,
    )


KIND = NudgeKind(Kind.RATING, plan_deadlines(*TASKS), person_task_done(done), compose)
