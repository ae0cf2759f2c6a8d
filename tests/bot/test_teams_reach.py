"""Reaching every SCS member in Teams: perfbot installs itself through Microsoft Graph (a fake
Graph and identity platform on loopback, in their wire format) for people in the roster
that Teams has never shown it, then learns their chat when Teams says it was added (a
conversationUpdate over HTTP); whoever is still out of reach is named for HR, with why."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.flows import home
from bot.flows.model import Context
from bot.teams.app import TeamsAdapter
from bot.teams.reach import RETRY_AFTER, GraphInstaller
from bot.web import make_app
from store.db import Database
from store.models import Via
from store.queries import unreachable_people
from store.services import INSTALL_OUTCOMES
from tests.bot.teams_harness import activity, link_in_teams
from tests.conftest import NOW, Org, email
from tests.fakes import FakeBotConnector, FakeClock, FakeGraph, Scripted

APP_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
SECRET = "app-secret"


def installer(db: Database, graph: FakeGraph, clock: FakeClock) -> GraphInstaller:
    return GraphInstaller(
        db, app_id=APP_ID, app_password=SECRET, tenant_id="tenant-1",
        graph_url=f"{graph.url}/v1.0", login_url=f"{graph.url}/login", clock=clock,
    )  # fmt: skip


def out_of_reach(db: Database) -> dict[str, str | None]:
    with db.read() as s:
        return {p.name: p.why for p in unreachable_people(s)}


def test_perfbot_installs_itself_for_everyone_teams_has_not_shown_it(
    sqlite_db: Database, org: Org, connector: FakeBotConnector, config
) -> None:
    with sqlite_db.write() as s:  # two already talk to perfbot in Teams
        link_in_teams(s, org.js, connector, NOW)
        link_in_teams(s, org.lm, connector, NOW)
    # The tenant has everyone but "other", who has an email Teams does not know.
    graph = FakeGraph(APP_ID, SECRET, {email(k) for k in org.ids if k != "other"}).start()
    clock = FakeClock(NOW)
    try:
        first = asyncio.run(installer(sqlite_db, graph, clock).run_once())
        again = asyncio.run(installer(sqlite_db, graph, clock).run_once())
    finally:
        graph.stop()

    expected = {email(k) for k in org.ids if k not in ("js", "lm", "other")}
    assert graph.installed == expected  # everyone out of reach, nobody twice
    assert first.outcomes == {"installed": len(expected), "no_user": 1} and not first.stopped
    assert not again.outcomes  # asked this week already: not asked again
    (token,) = [c for c in graph.calls if c["kind"] == "token"][:1]
    assert (token["tenant"], token["scope"]) == ("tenant-1", "https://graph.microsoft.com/.default")
    waiting = out_of_reach(sqlite_db)
    assert waiting["Other"] == "no_user" and waiting["Ps"] == "installed"
    assert "Js" not in waiting and "Lm" not in waiting

    # Teams tells perfbot it was added to Ps's personal scope: Ps is reachable from then on.
    connector.members[f"29:user-{org.ps}"] = {
        "id": f"29:user-{org.ps}", "aadObjectId": f"aad-{org.ps}", "name": "Ps",
        "email": email("ps"), "userPrincipalName": email("ps"), "tenantId": "tenant-1",
    }  # fmt: skip

    async def installed_for_ps() -> int:
        adapter = TeamsAdapter(sqlite_db, config, app_id=None, app_password=None, dev=True)
        client = TestClient(TestServer(make_app(sqlite_db, teams=adapter)))
        await client.start_server()
        try:
            added = activity(
                connector, org.ps, type="conversationUpdate",
                membersAdded=[{"id": "28:perfbot"}],
            )  # fmt: skip
            return (await client.post("/api/messages", json=added)).status
        finally:
            await client.close()

    assert asyncio.run(installed_for_ps()) in (200, 201)
    assert "Ps" not in out_of_reach(sqlite_db)
    # HR's home names who is still out of reach, and why, in words.
    with sqlite_db.read() as s:
        page = home.home(s, Context(org.hr, Via.TEAMS, NOW), config)
    line = next(text for text, _ in page.items if "no chat with perfbot" in text)
    assert f"Other ({INSTALL_OUTCOMES['no_user']})" in line and "Ps" not in line
    assert line.startswith(f"{len(waiting) - 1} people have no chat with perfbot")


def test_someone_who_already_has_perfbot_is_reached_through_its_existing_chat(
    sqlite_db: Database, org: Org, connector: FakeBotConnector
) -> None:
    """Installed by policy before they were in the roster, Teams never announces them again:
    Graph answers 409, and perfbot finds its chat with them and keeps where to reach them,
    through the Bot Connector address this tenant uses (learnt from someone already linked)."""
    with sqlite_db.write() as s:
        link_in_teams(s, org.js, connector, NOW)
    graph = FakeGraph(APP_ID, SECRET, {email(k) for k in org.ids}).start()
    graph.installed = {email("peer")}
    try:
        report = asyncio.run(installer(sqlite_db, graph, FakeClock(NOW)).run_once())
    finally:
        graph.stop()
    assert report.outcomes["linked"] == 1 and "Peer" not in out_of_reach(sqlite_db)
    from store.models import ChatIdentity

    with sqlite_db.read() as s:
        (identity,) = [i for i in s.exec(select(ChatIdentity)) if i.person_id == org.peer]
    assert identity.external_id == FakeGraph.user_id(email("peer"))
    ref = identity.conversation_ref or {}
    assert ref["conversation"]["id"] == FakeGraph.chat_id(email("peer"))
    assert ref["serviceUrl"] == connector.url and ref["conversation"]["tenantId"] == "tenant-1"


def test_graph_throttling_and_a_missing_permission_stop_the_run(
    sqlite_db: Database, org: Org, config
) -> None:
    graph = FakeGraph(APP_ID, SECRET, {email(k) for k in org.ids}).start()
    clock = FakeClock(NOW)
    try:
        graph.fail_next(Scripted(429, headers={"Retry-After": "30"}))
        throttled = asyncio.run(installer(sqlite_db, graph, clock).run_once())
        graph.fail_next(Scripted(403, {"error": {"code": "Forbidden"}}))
        refused = asyncio.run(installer(sqlite_db, graph, clock).run_once())
        after_refusal = list(out_of_reach(sqlite_db).values())
        clock.advance(seconds=(RETRY_AFTER + timedelta(days=1)).total_seconds())
        week_later = asyncio.run(installer(sqlite_db, graph, clock).run_once())
    finally:
        graph.stop()
    # Throttled: nothing recorded, so everyone is asked on the next run.
    assert throttled.stopped == "Microsoft Graph asked perfbot to slow down"
    assert not throttled.outcomes
    # Refused: the permission is missing for everyone, so the run stops at the first.
    assert refused.outcomes == {"refused": 1} and refused.stopped == INSTALL_OUTCOMES["refused"]
    assert after_refusal.count("refused") == 1 and after_refusal.count(None) == len(org.ids) - 1
    # A week on (the admin granted it), everyone out of reach is asked, once.
    assert week_later.outcomes == {"installed": len(org.ids)}
    assert len(graph.installed) == len(org.ids)


def test_the_setting_runs_the_installs_every_hour_and_needs_the_app(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TEAMS_PROACTIVE_INSTALL=1 adds the hourly job; without the app's id, secret and tenant
    it is refused at start, in words."""
    from bot.app import build_scheduler
    from bot.teams.reach import REACH_JOB
    from store.errors import PerfbotError
    from store.settings import Settings

    monkeypatch.setenv("TEAMS_PROACTIVE_INSTALL", "1")
    with pytest.raises(PerfbotError, match="needs MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD"):
        Settings().department()
    for name, value in (("MICROSOFT_APP_ID", APP_ID), ("MICROSOFT_APP_PASSWORD", SECRET),
                        ("MICROSOFT_APP_TENANT_ID", "tenant-1")):  # fmt: skip
        monkeypatch.setenv(name, value)
    runner = build_scheduler(sqlite_db, Settings(), deliver_enabled=False)
    assert list(runner.hourly) == [REACH_JOB]
    monkeypatch.setenv("TEAMS_PROACTIVE_INSTALL", "0")
    assert build_scheduler(sqlite_db, Settings(), deliver_enabled=False).hourly == {}
