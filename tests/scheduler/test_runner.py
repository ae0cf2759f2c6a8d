"""The scheduler's jobs: the daily retention run is wired, at the configured hour, and a run
on the virtual clock erases whoever's retention period has ended."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlmodel import select

from scheduler.runner import RETENTION_JOB, PerfScheduler
from store.config import DepartmentConfig
from store.db import Database
from store.models import Erasure, Person
from tests.conftest import Org
from tests.fakes import FakeClock


def test_the_daily_retention_run_erases_a_long_gone_leaver(
    db: Database, config: DepartmentConfig, org: Org
) -> None:
    with db.write() as s:
        person = s.get(Person, org.other)
        assert person is not None
        person.left_on = date(2019, 3, 31)
    runner = PerfScheduler(db, config, {}, clock=FakeClock(datetime(2026, 7, 15, 1, tzinfo=UTC)))

    async def main() -> None:
        runner.start()
        try:
            job = runner.scheduler.get_job(RETENTION_JOB)
            assert job is not None
            fields = {f.name: str(f) for f in job.trigger.fields}
            assert (fields["hour"], fields["minute"]) == ("2", "0")  # 02:00, London
            await runner.tick_retention()
        finally:
            runner.shutdown()

    asyncio.run(main())
    with db.read() as s:
        [erased] = s.exec(select(Erasure)).all()
    assert (erased.subject_id, erased.reason) == (org.other, "retention")
