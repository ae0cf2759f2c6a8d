"""A reminder every few working days to a job holder whose evidence portfolio is thin (F14)."""

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
    Step,
    SubjectsTask,
    Tick,
    Words,
    count_of,
    insert_for_subjects,
    person_task_done,
    subject_expression,
)
from store.config import Milestone
from store.framework import Nation, year_end, year_start
from store.models import Evidence


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    items = count_of(
        Evidence, col(Evidence.person_id) == subject_expression(subject), col(Evidence.year) == year
    )
    return items >= evidence_min


TASK = SubjectsTask(Kind.EVIDENCE, "evidence", Recipient.SELF, done)


def plan(tick: Tick) -> None:
    """F14: a reminder every N working days to people whose portfolio is still thin."""
    config, work, year = tick.config, tick.work, tick.this_year
    cadence = config.reminders.evidence_every_working_days
    first, last = year_start(year, config.year.start_month), year_end(year, config.year.start_month)
    for nation in Nation:
        period, start = 0, first
        while True:
            nxt = work.add_working_days(first, cadence * (period + 1), nation)
            if nxt > min(tick.today, last):
                break
            period, start = period + 1, nxt
        if period == 0:
            continue
        insert_for_subjects(
            tick,
            TASK,
            step=Step(f"period_{period}", 0, None),
            year=year,
            due_at=work.opening(start),
            nation=nation,
            cutoff=start,
        )


def compose(w: Words) -> Nudge:
    return w.nudge(
        "Your evidence portfolio",
        "Your portfolio is still thin. Add evidence against a minimum standard or an "
        "objective - any chat message can be saved as evidence.",
        (Action("evidence", "Add evidence", w.subject), w.snooze()),
    )


KIND = NudgeKind(Kind.EVIDENCE, plan, person_task_done(done), compose)
