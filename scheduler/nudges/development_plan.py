"""After two consecutive Partially Met quarters: prompt the line manager for a development
plan, remind, then tell the countersigning officer (F10)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from scheduler.nudges.base import (
    Action,
    Kind,
    Nudge,
    NudgeKind,
    Recipient,
    Step,
    Tick,
    Words,
    current_step,
    exists,
    insert_rows,
    outbox_row,
    person_task_done,
    subject_expression,
)
from store.config import Milestone
from store.models import DevelopmentPlan, Person, PlanStatus


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    return ~exists(
        col(DevelopmentPlan.person_id) == subject_expression(subject),
        col(DevelopmentPlan.year) == year,
        col(DevelopmentPlan.status) == PlanStatus.PROMPTED,
    )


def plan(tick: Tick) -> None:
    cso_days = tick.config.reminders.escalate_dg_after_working_days
    ladder = (
        Step("prompt", 0, None),
        Step("reminder_5", 5, None),
        Step(f"overdue_{cso_days}", cso_days, Recipient.COUNTERSIGNING),
    )
    subject = aliased(Person, name="subject")
    plans = tick.session.execute(
        sa.select(DevelopmentPlan, subject)
        .join(subject, col(subject.id) == col(DevelopmentPlan.person_id))
        .where(
            col(DevelopmentPlan.status) == PlanStatus.PROMPTED,
            col(subject.left_on).is_(None),
            col(DevelopmentPlan.year).in_([tick.this_year - 1, tick.this_year]),
        )
    ).all()
    rows = []
    for plan_row, person in plans:
        prompted = tick.work.today(plan_row.prompted_at)
        found = current_step(ladder, prompted, tick.today, person.location, tick.work)
        if found is None:
            continue
        step, day = found
        to = (
            person.countersigning_id
            if step.to is Recipient.COUNTERSIGNING
            else person.line_manager_id
        )
        if to is None:
            continue
        rows.append(
            outbox_row(
                tick,
                recipient=to,
                kind=Kind.DEVELOPMENT_PLAN,
                subject_key=f"p:{person.id}",
                subject_id=person.id,
                milestone=f"plan:{plan_row.year}",
                step=step.name,
                year=plan_row.year,
                due_at=plan_row.prompted_at if step.offset == 0 else tick.work.opening(day),
                payload={"quarter": plan_row.triggered_by_quarter},
            )
        )
    insert_rows(tick, rows)


def compose(w: Words) -> Nudge:
    return w.nudge(
        f"Development plan for {w.who}",
        f"{w.who} has been rated Partially Met in two consecutive quarters. Draw up a "
        "performance development plan with them and schedule a review meeting.",
        (Action("development_plan", "Record the plan", w.subject), w.snooze()),
    )


KIND = NudgeKind(Kind.DEVELOPMENT_PLAN, plan, person_task_done(done), compose)
