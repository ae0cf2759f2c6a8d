"""A Director General's daily list of the nominations waiting for them (F15). Not sent once
nothing is waiting."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlmodel import Session

from scheduler.nudges.award_decision import pending_awards
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
    after = tick.config.awards.escalate_after_working_days
    counts = Counter[tuple[int, Nation]](
        (dg_id, dg_location)
        for award, dg_id, dg_location, _name, _dg in pending_awards(tick)
        # Not the day it came (it came as its own message), nor every day for months: past
        # the escalation it is the overseer's to chase.
        if tick.work.today(award.nominated_at)
        < tick.today
        < tick.work.add_working_days(tick.work.today(award.nominated_at), after, dg_location)
    )
    at = tick.config.delivery.digest_time
    rows = [
        outbox_row(
            tick,
            recipient=dg_id,
            kind=Kind.AWARD_DIGEST,
            subject_key=f"p:{dg_id}",
            subject_id=dg_id,
            milestone=f"digest:{tick.today.isoformat()}",
            step="daily",
            year=0,
            due_at=datetime.combine(tick.today, at, tzinfo=tick.work.zone),
            payload={"pending": count},
        )
        for (dg_id, dg_location), count in counts.items()
        if tick.work.is_working_day(tick.today, dg_location)
    ]
    insert_rows(tick, rows)


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
