"""How perfbot's pieces are wired into one process: the web server, the platforms that are
switched on, and the scheduler (``perfbot serve``), or the scheduler alone
(``perfbot scheduler``). The CLI only parses commands and calls these."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from aiohttp import web

from bot.web import make_app
from store.clock import Clock
from store.config import order_warnings
from store.db import Database
from store.framework import performance_year_of
from store.services import local_date
from store.settings import Settings

if TYPE_CHECKING:
    from bot.slack.app import SlackAdapter
    from bot.teams.app import TeamsAdapter
    from scheduler.runner import PerfScheduler

logger = logging.getLogger(__name__)


def web_app(
    db: Database, settings: Settings, *, with_scheduler: bool = True, clock: Clock | None = None
) -> web.Application:
    """The one web server: health checks, Slack and Teams when they are switched on, Slack's
    Socket Mode and the scheduler started and stopped with it. ``clock``: the time everything
    runs on (a virtual one for ``serve --at``)."""
    slack = slack_adapter(db, settings, clock)
    app = make_app(db, slack=slack, teams=teams_adapter(db, settings, clock))
    if slack is not None and settings.slack_app_token:
        app.cleanup_ctx.append(partial(_socket_mode, slack, settings.slack_app_token))
    if with_scheduler:
        app.cleanup_ctx.append(partial(_run_scheduler, db, settings, clock))
    app.on_startup.append(_settle_heap)
    return app


def settle_heap() -> None:
    """What is loaded at start (the SDKs, the app, the config) lives as long as the process:
    freeze it, so the collector's full passes look only at what came after. Without this a
    full pass during a planner tick held the event loop about 90 ms (the loop-lag benchmark;
    6 ms with it). Once a process: what a later start adds is its own."""
    global _SETTLED
    if _SETTLED:
        return
    _SETTLED = True
    gc.collect()
    gc.freeze()


_SETTLED = False


async def _settle_heap(_app: web.Application) -> None:
    settle_heap()


def teams_adapter(
    db: Database, settings: Settings, clock: Clock | None = None
) -> TeamsAdapter | None:
    if not settings.teams_enabled:
        logger.info(
            "Teams disabled: MICROSOFT_APP_ID is not set (PERFBOT_DEV=1 for a local "
            "unauthenticated trial)"
        )
        return None
    from bot.teams.app import TeamsAdapter

    logger.info("Teams enabled: POST /api/messages")
    return TeamsAdapter(
        db,
        settings.department(),
        app_id=settings.microsoft_app_id,
        app_password=settings.microsoft_app_password,
        tenant_id=settings.microsoft_app_tenant_id,
        dev=settings.perfbot_dev,
        clock=clock,
    )


def slack_adapter(
    db: Database, settings: Settings, clock: Clock | None = None
) -> SlackAdapter | None:
    if not settings.slack_enabled:
        logger.info(
            "Slack disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode) "
            "or SLACK_APP_TOKEN (Socket Mode)"
        )
        return None
    from bot.slack.app import SlackAdapter

    assert settings.slack_bot_token is not None
    logger.info(
        "Slack enabled: POST /slack/events%s",
        " and Socket Mode" if settings.slack_app_token else "",
    )
    return SlackAdapter(
        db,
        settings.department(),
        token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret or "",
        api_url=settings.slack_api_url,
        clock=clock,
    )


async def _socket_mode(slack: SlackAdapter, app_token: str, _app: object) -> AsyncIterator[None]:
    """Slack Socket Mode: Slack connects out to us, so no public URL is needed."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(slack.app, app_token)
    await handler.connect_async()
    logger.info("Slack Socket Mode connected")
    yield
    await handler.close_async()


async def _run_scheduler(
    db: Database, settings: Settings, clock: Clock | None, _app: object
) -> AsyncIterator[None]:
    runner = build_scheduler(db, settings, clock=clock)
    runner.start()
    yield
    runner.shutdown()


def build_scheduler(
    db: Database,
    settings: Settings,
    *,
    plan_enabled: bool = True,
    deliver_enabled: bool = True,
    clock: Clock | None = None,
) -> PerfScheduler:
    from bot.messengers import build_messengers
    from scheduler.runner import PerfScheduler

    config = settings.department()
    now = clock.now() if clock is not None else datetime.now(UTC)
    year = performance_year_of(local_date(config, now), config.year.start_month)
    for warning in order_warnings(config, year):  # F3
        logger.warning("%s", warning)
    messengers = build_messengers(settings)
    if deliver_enabled and not messengers:
        logger.info(
            "nudge delivery off: no chat platform is configured; nudges wait in the "
            "outbox until one is"
        )
        deliver_enabled = False
    hourly = {}
    if settings.teams_proactive_install:
        from bot.teams.reach import REACH_JOB, GraphInstaller

        installer = GraphInstaller(
            db,
            app_id=settings.microsoft_app_id or "",
            app_password=settings.microsoft_app_password or "",
            tenant_id=settings.microsoft_app_tenant_id or "",
            graph_url=settings.graph_api_url,
            login_url=settings.microsoft_login_url,
            clock=clock,
        )
        hourly[REACH_JOB] = installer.run_once
        logger.info("Teams: perfbot installs itself for people out of reach, every hour")
    return PerfScheduler(
        db,
        config,
        messengers,
        clock=clock,
        plan_enabled=plan_enabled,
        deliver_enabled=deliver_enabled,
        hourly=hourly,
    )
