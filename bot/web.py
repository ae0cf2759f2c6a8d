"""perfbot's one web server (aiohttp): health checks now; Slack and Teams mount here."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

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


def make_app(
    db: Database, *, slack: SlackAdapter | None = None, teams: TeamsAdapter | None = None
) -> web.Application:
    app = web.Application()
    app[DB_KEY] = db
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if slack is not None:
        app.router.add_post("/slack/events", slack.handle)
    if teams is not None:
        app.router.add_post("/api/messages", teams.handle)
    return app
