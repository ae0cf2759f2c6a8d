"""A Director General's weekly line of the nominations waiting for them (F15): on the first
working day of the week, in that day's to-do list. Each nomination already came as its own
message with its buttons, and is reminded of on its own; this is the count, with the way to
all of them. Not sent once nothing is waiting, nor once a nomination has waited long enough
to go to whoever oversees the decider."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlmodel import Session

from scheduler.nudges.award_decision import pending_awards, waiting_days
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
from store.framework import Nation
from store.models import Outbox
from store.queries import pending_awards_for


def plan(tick: Tick) -> None:
    counts = Counter[tuple[int, Nation]]()
    quiet: set[int] = set()  # deciders with one waiting that is not reminded of on its own
    for award, dg_id, dg_location, _name, _dg in pending_awards(tick):
        nominated = tick.work.today(award.nominated_at)
        escalated = tick.work.add_working_days(
            nominated, tick.config.awards.escalate_after_working_days, dg_location
        )
        # Not the day it came (it came as its own message), nor for months: past the
        # escalation it is the overseer's to chase.
        if nominated < tick.today < escalated:
            counts[(dg_id, dg_location)] += 1
            if not _reminded_today(tick, nominated, dg_location):
                quiet.add(dg_id)
    rows = [
        outbox_row(
            tick,
            recipient=dg_id,
            kind=Kind.AWARD_DIGEST,
            subject_key=f"p:{dg_id}",
            subject_id=dg_id,
            milestone=f"digest:{tick.today.isoformat()}",
            step="weekly",
            year=0,
            due_at=tick.work.opening(tick.today),  # with the day's other reminders
            payload={"pending": count},
        )
        for (dg_id, dg_location), count in counts.items()
        if dg_id in quiet
        and tick.today == tick.work.week_start(tick.today, dg_location)
        and tick.work.is_working_day(tick.today, dg_location)
    ]
    insert_rows(tick, rows)


def _reminded_today(tick: Tick, nominated: date, nation: Nation) -> bool:
    """A nomination is reminded of on its own on some days (a decision about money is a
    message of its own): a week whose waiting ones are all reminded of today needs no line."""
    work = tick.work
    return tick.today in {
        work.add_working_days(nominated, days, nation) for days in waiting_days(tick.config)
    }


def is_done(session: Session, row: Outbox, config: DepartmentConfig) -> bool:
    return not pending_awards_for(session, config, row.recipient_id)


def compose(w: Words) -> Nudge:
    count = int(w.payload.get("pending", 0))
    return w.nudge(
        "Award nominations waiting",
        f"{count} in-year award "
        + ("nomination awaits" if count == 1 else "nominations await")
        + " your decision.",
        (Action("award_pending", "Review them", ""),),
    )


KIND = NudgeKind(Kind.AWARD_DIGEST, plan, is_done, compose)
