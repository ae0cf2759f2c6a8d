"""The line manager's mid- and end-year write-up; at end-year also the four minimum standards
(F8) and the finance outcome (F9)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
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
    exists,
    person_task_done,
    plan_deadlines,
    subject_expression,
)
from scheduler.nudges.self_assessment import STAGE_OF
from store.config import Milestone
from store.framework import MinimumStandard, Stage
from store.models import FinanceOutcome, MinimumStandardResult, WriteUp


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    subject = subject_expression(subject)
    written = exists(
        col(WriteUp.person_id) == subject,
        col(WriteUp.year) == year,
        col(WriteUp.stage) == STAGE_OF[milestone],
        col(WriteUp.manager_assessed_at).is_not(None),
    )
    if STAGE_OF[milestone] is Stage.MID_YEAR:
        return written
    # End-year also needs the four minimum standards (F8) and the finance outcome (F9).
    standards = count_of(
        MinimumStandardResult,
        col(MinimumStandardResult.person_id) == subject,
        col(MinimumStandardResult.year) == year,
    )
    finance = exists(col(FinanceOutcome.person_id) == subject, col(FinanceOutcome.year) == year)
    return sa.and_(written, standards >= len(MinimumStandard), finance)


TASKS = tuple(
    SubjectsTask(Kind.WRITE_UP, milestone.value, Recipient.LINE_MANAGER, done)
    for milestone in STAGE_OF
)


def compose(w: Words) -> Nudge:
    stage = w.stage
    extra = (
        " It includes the four minimum standards, the finance outcome and the bias statement."
        if stage == "end-year"
        else ""
    )
    why, actions = w.escalate(
        "line_manager", Action("write_up", "Open the write-up", f"{w.subject}:{stage}")
    )
    return w.nudge(
        f"{stage.capitalize()} write-up for {w.who}",
        f"The {stage} write-up for {w.who} {w.when()}.{extra}{why}",
        actions,
    )


KIND = NudgeKind(Kind.WRITE_UP, plan_deadlines(*TASKS), person_task_done(done), compose)
