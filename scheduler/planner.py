"""The planner: a function of (store state, now) that writes the nudges now due to the outbox.

The database is the source of truth; this is only the clock's question "what is due now and
not yet done or sent?". Every row has a unique key (recipient, kind, subject, milestone,
step), so a tick that runs twice, late, or on two replicas writes nothing twice. Only the
current step of each ladder is planned, so a tick after downtime catches up without sending
the stale steps it missed. Each kind plans itself (``scheduler/nudges/``); per-person tasks
are set-based (one INSERT ... SELECT per task and nation), which keeps a tick for 100,000
people to seconds.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from scheduler.nudges import KINDS, OUTBOX_KEY, PlanReport, Tick
from scheduler.nudges.base import plan_riders
from scheduler.nudges.digest import LISTED
from store.config import DepartmentConfig
from store.metrics import PLANNED
from store.models import Person
from store.worktime import WorkingTime

logger = logging.getLogger(__name__)

PLANNER_LOCK_ID = 0x70657266  # "perf": one planner at a time across replicas (PostgreSQL)

__all__ = ["OUTBOX_KEY", "PlanReport", "plan"]


def _take_planner_lock(session: Session) -> bool:
    """PostgreSQL: a transaction-scoped advisory lock, so only one replica plans at a time.
    SQLite needs none: the write transaction began IMMEDIATE, so planners queue."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(PLANNER_LOCK_ID))).scalar()
    )


def plan(
    session: Session, *, config: DepartmentConfig, now: datetime, work: WorkingTime | None = None
) -> PlanReport:
    """Write every nudge due at ``now`` (idempotent). Run inside ``Database.write()``."""
    report = PlanReport()
    if not _take_planner_lock(session):
        report.skipped_locked = True
        return report
    first_known = session.execute(sa.select(sa.func.min(Person.created_at))).scalar()
    if first_known is None:
        return report  # no roster yet
    tick = Tick(session, config, work or WorkingTime(config), now, first_known, report)
    for kind in KINDS.values():
        kind.plan(tick)
    plan_riders(tick, LISTED)
    for name, created in report.created.items():
        PLANNED.labels(name).inc(created)
    if report.total:
        logger.info("planner tick now=%s created=%s", now.isoformat(), dict(report.created))
    return report
