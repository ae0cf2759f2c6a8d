"""A reminder every few working days to a job holder whose evidence portfolio is thin (F14).

The prompts are optional (a person may turn them off), and they back off on their own: two
in a row that brought no evidence, and the next waits until the person adds some. Being
optional, a period's prompt does not ping alone if it can help it: it waits a while for a day
the person gets a to-do list anyway, and rides in that list."""

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
    Step,
    SubjectsTask,
    Tick,
    Words,
    count_of,
    insert_for_subjects,
    person_task_done,
    subject_expression,
)
from scheduler.nudges.digest import LISTED
from store.config import Milestone
from store.framework import Nation, year_end, year_start
from store.models import Evidence, OutboxStatus
from store.notices import OUTBOX

# Working days a period's prompt waits for one of the person's to-do lists to ride in; after
# that it goes alone.
WAITS_FOR_A_LIST = 10


def done(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    items = count_of(
        Evidence, col(Evidence.person_id) == subject_expression(subject), col(Evidence.year) == year
    )
    return items >= evidence_min


TASK = SubjectsTask(Kind.EVIDENCE, "evidence", Recipient.SELF, done)
UNANSWERED = 2  # prompts in a row with no evidence added, after which they wait


def not_wanted(
    milestone: Milestone, year: Any, subject: Any, *, evidence_min: int
) -> ColumnElement[bool]:
    """Not sent when the portfolio is no longer thin, nor after UNANSWERED prompts since the
    person last added evidence (a period's prompt is planned at its start, so one added
    later in a period brings no prompt at once)."""
    person = subject_expression(subject)
    last_added = (
        sa.select(sa.func.max(Evidence.added_at))
        .where(col(Evidence.person_id) == person, col(Evidence.year) == year)
        .scalar_subquery()
    )
    unanswered = count_of(
        OUTBOX,
        OUTBOX.c.recipient_id == person,
        OUTBOX.c.kind == Kind.EVIDENCE.value,
        OUTBOX.c.year == year,
        OUTBOX.c.status == OutboxStatus.SENT,
        sa.or_(last_added.is_(None), OUTBOX.c.sent_at > last_added),
    )
    return sa.or_(
        done(milestone, year, subject, evidence_min=evidence_min), unanswered >= UNANSWERED
    )


# The list kinds an evidence prompt may ride in (all but its own).
RIDES_IN = LISTED - {Kind.EVIDENCE}


def plan(tick: Tick) -> None:
    """F14: a reminder every N working days to people whose portfolio is still thin, in a
    to-do list they get anyway when one comes within WAITS_FOR_A_LIST working days of the
    period's start, else alone then. Planned after the kinds whose lists it rides in."""
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
        alone_from = work.add_working_days(start, WAITS_FOR_A_LIST, nation)
        insert_for_subjects(
            tick,
            TASK,
            step=Step(f"period_{period}", 0, None),
            year=year,
            due_at=work.opening(min(tick.today, alone_from)),
            nation=nation,
            cutoff=start,
            ride=RIDES_IN if tick.today < alone_from else frozenset(),
        )


def compose(w: Words) -> Nudge:
    return w.nudge(
        "Your evidence portfolio",
        "Your portfolio is still thin. Add evidence against a minimum standard or an "
        "objective - any chat message can be saved as evidence.",
        (Action("evidence", "Add evidence", w.subject), w.snooze()),
    )


KIND = NudgeKind(Kind.EVIDENCE, plan, person_task_done(not_wanted), compose)
