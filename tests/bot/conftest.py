"""Fixtures for driving perfbot over HTTP as Slack and Teams would: the small organisation,
the fake Slack Web API and Bot Connector, and a started perfbot for each platform."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.teams.app import TeamsAdapter
from bot.web import make_app
from store.db import Database
from tests.bot.slack_harness import Slack, start, user_id
from tests.bot.teams_harness import TENANT, Teams
from tests.conftest import NOW, Org, email, make_org
from tests.fakes import FakeBotConnector, FakeSlack, RunningClock


@pytest.fixture
def org(sqlite_db: Database, tmp_path: Path) -> Org:
    return make_org(sqlite_db, tmp_path)


@pytest.fixture
def fake(org: Org):
    server = FakeSlack().start()
    server.users = {
        user_id(pid): f"{key.replace('_', '.')}@dept.example" for key, pid in org.ids.items()
    }
    yield server
    server.stop()


@pytest.fixture
def slack_run(sqlite_db: Database, config, fake: FakeSlack):
    """Run an async test body against a started perfbot; returns what the body returns."""

    def runner(body: Callable[[Slack], Awaitable[Any]], clock: Any = None) -> Any:
        async def main() -> Any:
            slack = await start(sqlite_db, config, fake, clock or RunningClock(NOW))
            try:
                return await body(slack)
            finally:
                await slack.client.close()

        return asyncio.run(main())

    return runner


@pytest.fixture
def connector(org: Org):
    server = FakeBotConnector().start()
    for key, pid in org.ids.items():
        server.members[f"29:user-{pid}"] = {
            "id": f"29:user-{pid}",
            "name": key,
            "aadObjectId": f"aad-{pid}",
            "email": email(key),
            "userPrincipalName": email(key),
            "tenantId": TENANT,
        }
    yield server
    server.stop()


@pytest.fixture
def teams_run(sqlite_db: Database, config, connector: FakeBotConnector):
    def runner(body: Callable[[Teams], Awaitable[Any]], **adapter: Any) -> Any:
        async def main() -> Any:
            teams = TeamsAdapter(
                sqlite_db, config, app_id=adapter.get("app_id"), app_password=adapter.get("pw"),
                dev=adapter.get("dev", True), clock=RunningClock(NOW),
            )  # fmt: skip
            client = TestClient(TestServer(make_app(sqlite_db, teams=teams)))
            await client.start_server()
            try:
                return await body(Teams(client, connector))
            finally:
                await client.close()

        return asyncio.run(main())

    return runner
