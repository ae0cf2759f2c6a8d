"""What perfbot nudges people about, when a nudge's task counts as done, and the reminder steps.

"Done" is one SQL condition per kind, used twice: by the planner (so it never writes a nudge
for a finished task) and by delivery (so a nudge is never sent once its task is done).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from store.config import DepartmentConfig, Milestone
from store.framework import OBJECTIVES_RECOMMENDED, MinimumStandard, Nation, Stage
from store.models import (
    Award,
    AwardStatus,
    DevelopmentPlan,
    Evidence,
    FinanceOutcome,
    IndicativeRating,
    MinimumStandardResult,
    Objective,
    ObjectiveStatus,
    PlanStatus,
    WriteUp,
)
from store.worktime import WorkingTime


class Kind(StrEnum):
    OBJECTIVES = "objectives_due"  # job holder and line manager (F11-F12)
    RATING = "rating_due"  # line manager, each quarter (F5)
    SELF_ASSESSMENT = "self_assessment_due"  # job holder, mid- and end-year (F23)
    WRITE_UP = "write_up_due"  # line manager, mid- and end-year (F6-F9, F23)
    EVIDENCE = "evidence_reminder"  # job holder with a thin portfolio (F14)
    AWARD_DECISION = "award_decision"  # DG: a nomination and its ageing reminders (F15)
    AWARD_DIGEST = "award_digest"  # DG: daily list of pending nominations
    DEVELOPMENT_PLAN = "development_plan_due"  # line manager after two PM quarters (F10)
    CONSISTENCY_CHECK = "consistency_check_due"  # HR (F21)
    MODERATION_READINESS = "moderation_readiness"  # HR, per business unit (F19)


class Recipient(StrEnum):
    SELF = "self"
    LINE_MANAGER = "line_manager"
    COUNTERSIGNING = "countersigning"
    DG = "dg"


@dataclass(frozen=True)
class Step:
    name: str  # part of the outbox key
    offset: int  # working days from the deadline (negative: before it)
    to: Recipient | None  # None: the task's own recipient


@dataclass(frozen=True)
class DeadlineTask:
    kind: Kind
    milestone: Milestone
    recipient: Recipient


DEADLINE_TASKS = (
    DeadlineTask(Kind.OBJECTIVES, Milestone.OBJECTIVES_AGREED, Recipient.SELF),
    DeadlineTask(Kind.OBJECTIVES, Milestone.OBJECTIVES_AGREED, Recipient.LINE_MANAGER),
    DeadlineTask(Kind.RATING, Milestone.Q1_CONVERSATION, Recipient.LINE_MANAGER),
    DeadlineTask(Kind.RATING, Milestone.Q2_CONVERSATION, Recipient.LINE_MANAGER),
    DeadlineTask(Kind.RATING, Milestone.Q3_CONVERSATION, Recipient.LINE_MANAGER),
    DeadlineTask(Kind.RATING, Milestone.Q4_CONVERSATION, Recipient.LINE_MANAGER),
    DeadlineTask(Kind.SELF_ASSESSMENT, Milestone.MID_YEAR_WRITE_UP, Recipient.SELF),
    DeadlineTask(Kind.SELF_ASSESSMENT, Milestone.END_YEAR_WRITE_UP, Recipient.SELF),
    DeadlineTask(Kind.WRITE_UP, Milestone.MID_YEAR_WRITE_UP, Recipient.LINE_MANAGER),
    DeadlineTask(Kind.WRITE_UP, Milestone.END_YEAR_WRITE_UP, Recipient.LINE_MANAGER),
)
QUARTER_OF = {
    Milestone.Q1_CONVERSATION: 1,
    Milestone.Q2_CONVERSATION: 2,
    Milestone.Q3_CONVERSATION: 3,
    Milestone.Q4_CONVERSATION: 4,
}
STAGE_OF = {
    Milestone.MID_YEAR_WRITE_UP: Stage.MID_YEAR,
    Milestone.END_YEAR_WRITE_UP: Stage.END_YEAR,
}

# How long the last step of a ladder stays "current": after that the task is stale and the
# planner stops looking at it (a restart long after a deadline does not dig it up).
STALE_AFTER_WORKING_DAYS = 5


def deadline_ladder(config: DepartmentConfig, *, escalate: bool = True) -> tuple[Step, ...]:
    """Reminders before the deadline, then escalation after it (configurable)."""
    reminders = config.reminders
    steps = [Step(f"before_{n}", -n, None) for n in reminders.before_deadline_working_days]
    if escalate:
        cso = reminders.escalate_countersigning_after_working_days
        dg = reminders.escalate_dg_after_working_days
        steps += [
            Step(f"overdue_{cso}", cso, Recipient.COUNTERSIGNING),
            Step(f"overdue_{dg}", dg, Recipient.DG),
        ]
    return tuple(steps)


def current_step(
    steps: tuple[Step, ...], anchor: date, today: date, nation: Nation, work: WorkingTime
) -> tuple[Step, date] | None:
    """The latest step whose day has come (and is not stale), with that day.

    Only the current step is ever planned: after downtime the planner sends where the ladder
    is now, not every step it missed.
    """
    reached: tuple[Step, date] | None = None
    for step in steps:
        day = work.add_working_days(anchor, step.offset, nation)
        if day <= today:
            reached = (step, day)
    if reached is None:
        return None
    if reached[0] is steps[-1]:
        stale = work.add_working_days(reached[1], STALE_AFTER_WORKING_DAYS, nation)
        if today > stale:
            return None
    return reached


# --- done conditions --------------------------------------------------------------------------
def _exists(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return sa.exists().where(*where)


def task_done(
    kind: Kind,
    milestone: Milestone,
    year: Any,
    subject: Any,
    *,
    evidence_min: int,
) -> ColumnElement[bool]:
    """SQL: the task behind a nudge about ``subject`` is done.

    ``subject`` and ``year`` may be values or SQL expressions (a column, a bind parameter);
    ``evidence_min`` is how many evidence items make a portfolio no longer thin.
    """
    subject_expr: Any = sa.literal(subject) if isinstance(subject, int) else subject
    if kind is Kind.RATING:
        return _exists(
            col(IndicativeRating.person_id) == subject_expr,
            col(IndicativeRating.year) == year,
            col(IndicativeRating.quarter) == QUARTER_OF[milestone],
        )
    if kind is Kind.OBJECTIVES:
        live = (
            sa.select(sa.func.count())
            .select_from(Objective)
            .where(
                col(Objective.person_id) == subject_expr,
                col(Objective.year) == year,
                col(Objective.status) == ObjectiveStatus.LIVE,
            )
            .scalar_subquery()
        )
        return live >= OBJECTIVES_RECOMMENDED[0]  # F12: at least the recommended three
    if kind is Kind.SELF_ASSESSMENT:
        return _exists(
            col(WriteUp.person_id) == subject_expr,
            col(WriteUp.year) == year,
            col(WriteUp.stage) == STAGE_OF[milestone],
            col(WriteUp.self_assessed_at).is_not(None),
        )
    if kind is Kind.WRITE_UP:
        written = _exists(
            col(WriteUp.person_id) == subject_expr,
            col(WriteUp.year) == year,
            col(WriteUp.stage) == STAGE_OF[milestone],
            col(WriteUp.manager_assessed_at).is_not(None),
        )
        if STAGE_OF[milestone] is Stage.MID_YEAR:
            return written
        # End-year also needs the four minimum standards (F8) and the finance outcome (F9).
        standards = (
            sa.select(sa.func.count())
            .select_from(MinimumStandardResult)
            .where(
                col(MinimumStandardResult.person_id) == subject_expr,
                col(MinimumStandardResult.year) == year,
            )
            .scalar_subquery()
        )
        finance = _exists(
            col(FinanceOutcome.person_id) == subject_expr, col(FinanceOutcome.year) == year
        )
        return sa.and_(written, standards >= len(MinimumStandard), finance)
    if kind is Kind.EVIDENCE:
        items = (
            sa.select(sa.func.count())
            .select_from(Evidence)
            .where(col(Evidence.person_id) == subject_expr, col(Evidence.year) == year)
            .scalar_subquery()
        )
        return items >= evidence_min
    if kind is Kind.DEVELOPMENT_PLAN:
        return ~_exists(
            col(DevelopmentPlan.person_id) == subject_expr,
            col(DevelopmentPlan.year) == year,
            col(DevelopmentPlan.status) == PlanStatus.PROMPTED,
        )
    raise ValueError(f"{kind} has no per-person done condition")


def award_pending(award_id: int) -> ColumnElement[bool]:
    return _exists(col(Award.id) == award_id, col(Award.status) == AwardStatus.PENDING)
