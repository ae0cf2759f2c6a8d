"""perfbot's one web server (aiohttp): health checks, metrics, and Slack and Teams when on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING

from aiohttp import web

from store import metrics
from store.db import Database

if TYPE_CHECKING:
    from bot.slack.app import SlackAdapter
    from bot.teams.app import TeamsAdapter

logger = logging.getLogger(__name__)

DB_KEY = web.AppKey("db", Database)


async def healthz(_request: web.Request) -> web.Response:
    """The process is up."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers (checked off the event loop: the driver blocks)."""
    db = request.app[DB_KEY]
    ok = await asyncio.get_running_loop().run_in_executor(None, db.ping)
    return web.json_response(
        {"status": "ready" if ok else "database unreachable"}, status=200 if ok else 503
    )


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus's text format; the outbox gauges are read from the database (off the loop)."""
    db = request.app[DB_KEY]
    await db.call(partial(metrics.read_outbox, now=datetime.now(UTC)), short=False)
    return web.Response(body=metrics.exposition(), headers={"Content-Type": metrics.CONTENT_TYPE})


SURFACES = {
    "/slack/events": "slack",
    "/api/messages": "teams",
    "/healthz": "health",
    "/readyz": "health",
    "/metrics": "metrics",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def measured(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by surface (never by path: no ids in the labels)."""
    surface = SURFACES.get(request.path, "other")
    started = perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.LATENCY.labels(surface).observe(perf_counter() - started)
        metrics.REQUESTS.labels(surface, str(status)).inc()


def make_app(
    db: Database, *, slack: SlackAdapter | None = None, teams: TeamsAdapter | None = None
) -> web.Application:
    app = web.Application(middlewares=[measured])
    app[DB_KEY] = db
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    if slack is not None:
        app.router.add_post("/slack/events", slack.handle)
    if teams is not None:
        app.router.add_post("/api/messages", teams.handle)
    return app
