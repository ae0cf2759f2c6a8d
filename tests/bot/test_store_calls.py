"""The event loop never waits on the database (DESIGN.md "Ack first").

On SQLite a chat request's store calls run on the loop while the write lock is free; when
another writer holds it - a planner tick for 100,000 people holds it for seconds - the
request's write waits in a worker thread instead, so /healthz and every other request keep
being answered. Measured over real HTTP, with the lock held by a thread as a tick would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from sqlmodel import select

from store.models import IndicativeRating
from tests.bot.slack_harness import Slack

HELD_SECONDS = 1.5


def test_a_chat_write_behind_a_long_tick_does_not_stall_the_server(
    slack_run, sqlite_db, org
) -> None:
    holding, release = threading.Event(), threading.Event()

    def long_tick() -> None:
        with sqlite_db.write():  # the planner's write transaction
            holding.set()
            release.wait(HELD_SECONDS)

    async def body(slack: Slack) -> tuple[list[float], bool, dict[str, Any], float]:
        await slack.command(org.lm, "rate")
        view = await slack.opened_view()
        tick = threading.Thread(target=long_tick)
        tick.start()
        await asyncio.get_running_loop().run_in_executor(None, holding.wait)
        started = time.monotonic()
        submit = asyncio.create_task(
            slack.submit(
                org.lm,
                view,
                {"person": org.js, "quarter": 2, "rating": "achieving", "what": "w", "how": "h"},
            )
        )
        health = []
        for _ in range(5):  # while the submission waits for the lock
            asked = time.monotonic()
            await asyncio.sleep(0.1)  # a blocked loop overruns this sleep too
            answer = await slack.client.get("/healthz")
            assert answer.status == 200
            health.append(time.monotonic() - asked - 0.1)
        waiting = not submit.done()
        release.set()
        reply = await (await submit).json()
        tick.join()
        return health, waiting, reply, time.monotonic() - started

    health, waiting, reply, took = slack_run(body)
    assert max(health) < 0.25, f"/healthz waited {max(health):.2f} s behind the write lock"
    assert waiting, "the write waited for the lock (in a worker thread)"
    assert reply["response_action"] == "update"  # the rating was saved once the lock was free
    with sqlite_db.read() as session:
        assert len(session.exec(select(IndicativeRating)).all()) == 1
    assert took < HELD_SECONDS + 1
