"""A delivery worker as its own process, for the SIGKILL test.

python -m tests.scheduler.kill_worker DATABASE_URL SLACK_API_URL START_ISO ANCHOR_EPOCH
Virtual time is START_ISO plus the wall-clock seconds since ANCHOR_EPOCH, so every worker
process (and its leases) shares one timeline. Prints each claimed batch before sending it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timedelta

from bot.slack.messenger import SlackMessenger, outbox_client
from scheduler.delivery import Deliverer
from store.config import DepartmentConfig
from store.db import Database
from tests.fakes import FakeSlack


class AnchoredClock:
    def __init__(self, start: datetime, anchor: float) -> None:
        self.start, self.anchor = start, anchor

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.anchor)


class LoggingDeliverer(Deliverer):
    def claim(self, session, now):  # type: ignore[no-untyped-def]
        claimed, skipped = super().claim(session, now)
        if claimed:
            ids = [i for c in claimed for i in (c.nudge.outbox_ids or (c.outbox_id,))]
            print("CLAIMED " + ",".join(map(str, ids)), flush=True)
        return claimed, skipped


async def main(db_url: str, slack_url: str, start: str, anchor: str) -> None:
    base = DepartmentConfig()
    config = base.model_copy(
        update={
            "delivery": base.delivery.model_copy(
                update={
                    "lease_seconds": 1,
                    "batch_size": 10,
                    "concurrency": 5,
                    "per_conversation_per_second": 1000.0,
                    "per_workspace_per_second": 1000.0,
                    "workspace_burst": 100,
                    "backoff_base_seconds": 0.05,
                    "backoff_max_seconds": 0.2,
                }
            )
        }
    )
    channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, slack_url, timeout=5))
    deliverer = LoggingDeliverer(
        Database(db_url),
        config,
        {"slack": channel},
        clock=AnchoredClock(datetime.fromisoformat(start), float(anchor)),
    )
    idle = 0
    while idle < 3:  # a few empty claims in a row: everything due has gone
        report = await deliverer.run_once()
        idle = idle + 1 if report.claimed == 0 else 0
        if report.claimed == 0:
            await asyncio.sleep(0.4)
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
