"""How a chat adapter calls the store from its event loop (shared by Slack and Teams)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from store.db import Database


class StoreCalls:
    db: Database

    async def _db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a store call. SQLite lives in this process: a request's statements take well
        under a millisecond and writers queue on one lock anyway, so a thread hand-off would
        only add GIL contention (it cost 0.3x on the p99 of the latency benchmark). With
        PostgreSQL the call waits on the network, so it goes to a worker thread."""
        if self.db.is_sqlite:
            return fn(*args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, partial(fn, *args, **kwargs))

    def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self.db.write() as session:
            return fn(session, *args)

    def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self.db.read() as session:
            return fn(session, *args)
