"""APScheduler 3 wiring: the clock that asks the planner and the delivery worker to run.

No job store is needed: every piece of state is in the database (the outbox), so jobs are
in memory with fixed ids, and a restart simply plans again and catches up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

from scheduler.delivery import Deliverer, Messenger
from scheduler.planner import PlanReport, plan
from store.clock import Clock, SystemClock
from store.config import DepartmentConfig
from store.db import Database
from store.retention import apply_retention
from store.worktime import WorkingTime

logger = logging.getLogger(__name__)

PLAN_JOB, DELIVER_JOB, DIGEST_JOB = "perfbot.plan", "perfbot.deliver", "perfbot.digest"
RETENTION_JOB = "perfbot.retention"


class PerfScheduler:
    """Planner + delivery on an asyncio loop; ``plan_enabled=False`` for deliver-only replicas."""

    def __init__(
        self,
        db: Database,
        config: DepartmentConfig,
        messengers: Mapping[str, Messenger],
        *,
        clock: Clock | None = None,
        plan_enabled: bool = True,
        deliver_enabled: bool = True,
        hourly: Mapping[str, Callable[[], Awaitable[object]]] | None = None,
    ) -> None:
        """``hourly``: more jobs by id, run at start and then every hour with the planner (a
        platform's own upkeep, such as installing perfbot in Teams for people out of reach)."""
        self.db, self.config = db, config
        self.hourly = dict(hourly or {})
        self.clock = clock or SystemClock()
        self.work = WorkingTime(config)
        self.deliverer = Deliverer(db, config, messengers, clock=self.clock)
        self.plan_enabled, self.deliver_enabled = plan_enabled, deliver_enabled
        self.scheduler = AsyncIOScheduler(timezone=config.department.timezone)
        self._delivering = asyncio.Lock()

    def _plan(self, session: Session) -> PlanReport:
        return plan(session, config=self.config, now=self.clock.now(), work=self.work)

    def plan_now(self) -> PlanReport:
        return self.db.run(self._plan, write=True)

    async def tick_plan(self) -> None:
        try:
            report = await self.db.call(self._plan, write=True, short=False)
            if report.skipped_locked:
                logger.info("planner skipped: another replica holds the planning lock")
        except asyncio.CancelledError:  # stopping mid-tick: its transaction ends whole
            logger.info("planner tick stopped by shutdown; the next start catches up")
        except Exception:
            logger.exception("planner tick failed; the next tick will catch up")

    async def tick_deliver(self) -> None:
        if self._delivering.locked():
            return  # the previous run is still sending
        async with self._delivering:
            try:
                report = await self.deliverer.run_until_idle()
                if report.claimed:
                    logger.info(
                        "delivery claimed=%d outcomes=%s", report.claimed, dict(report.outcomes)
                    )
            except asyncio.CancelledError:
                logger.info("delivery stopped by shutdown; claims return when their lease ends")
            except Exception:
                logger.exception("delivery run failed; claims return when their lease ends")

    async def tick_retention(self) -> None:
        """Once a day: erase whoever's retention period has ended, and old messages."""
        try:
            now = self.clock.now()
            report = await self.db.call(
                lambda s: apply_retention(s, self.config, now), write=True, short=False
            )
            if report.erased or report.messages_removed:
                logger.info(
                    "retention: erased %d people, removed %d old messages",
                    report.erased,
                    report.messages_removed,
                )
        except asyncio.CancelledError:
            logger.info("retention run stopped by shutdown; the next run finishes it")
        except Exception:
            logger.exception("retention run failed; the next run tries again")

    async def tick_digest(self) -> None:
        await self.tick_plan()  # the digest rows are planned for today's digest time
        await self.tick_deliver()

    def start(self) -> None:
        d = self.config.delivery
        if self.plan_enabled:
            # next_run_time=now: plan at start-up, so downtime is caught up at once.
            self.scheduler.add_job(
                self.tick_plan,
                IntervalTrigger(minutes=d.plan_every_minutes),
                id=PLAN_JOB,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                next_run_time=datetime.now(UTC),  # wall time: the trigger runs on it
            )
            self.scheduler.add_job(
                self.tick_digest,
                CronTrigger(
                    day_of_week="mon-fri",
                    hour=d.digest_time.hour,
                    minute=d.digest_time.minute,
                    timezone=self.config.department.timezone,
                ),
                id=DIGEST_JOB,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
            run_at = self.config.retention.run_at
            self.scheduler.add_job(
                self.tick_retention,
                CronTrigger(
                    hour=run_at.hour,
                    minute=run_at.minute,
                    timezone=self.config.department.timezone,
                ),
                id=RETENTION_JOB,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
            for job_id, job in self.hourly.items():
                self.scheduler.add_job(
                    _logged(job_id, job),
                    IntervalTrigger(hours=1),
                    id=job_id,
                    replace_existing=True,
                    coalesce=True,
                    max_instances=1,
                    next_run_time=datetime.now(UTC),  # wall time: the trigger runs on it
                )
        if self.deliver_enabled:
            self.scheduler.add_job(
                self.tick_deliver,
                IntervalTrigger(seconds=d.deliver_every_seconds),
                id=DELIVER_JOB,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                next_run_time=datetime.now(UTC),  # wall time: the trigger runs on it
            )
        self.scheduler.start()
        logger.info("scheduler started plan=%s deliver=%s", self.plan_enabled, self.deliver_enabled)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def _logged(job_id: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """A job whose failure is one log line, and whose next run tries again."""

    async def run() -> None:
        try:
            await job()
        except asyncio.CancelledError:
            logger.info("%s stopped by shutdown", job_id)
        except Exception:
            logger.exception("%s failed; the next run tries again", job_id)

    return run
