"""The same flow definitions drive Slack and Teams: one scripted dialogue - a line manager
rates a report, nominates them for an award, the Director General approves - goes through
each adapter over HTTP into its own database, and the stored results are the same."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.teams.app import TeamsAdapter
from bot.web import make_app
from store.config import DepartmentConfig
from store.db import Database
from store.models import Award, IndicativeRating
from tests.bot.slack_harness import Slack, start, user_id
from tests.bot.teams_harness import TENANT, Teams, submit_data
from tests.conftest import NOW, Org, email, make_org
from tests.fakes import FakeBotConnector, FakeSlack, RunningClock

RATING = {"quarter": "1", "rating": "high_performing", "what": "Opened the service.",
          "how": "Brought three teams along."}  # fmt: skip
NOMINATION = {"amount": "1500", "reason": "Led the launch."}


def fresh(template: Path, folder: Path) -> Database:
    folder.mkdir()
    shutil.copy(template, folder / "perfbot.db")
    return Database(f"sqlite:///{folder / 'perfbot.db'}")


def stored(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.read() as s:
        ratings = [
            (r.person_id, r.quarter, r.rating, r.what_note, r.how_note, r.recorded_by_id)
            for r in s.exec(select(IndicativeRating))
        ]
        awards = [
            (a.nominee_id, a.amount_pence, a.reason, a.status, a.nominated_by_id, a.decided_by_id)
            for a in s.exec(select(Award))
        ]
    return {"ratings": ratings, "awards": awards}


def award_id(db: Database) -> str:
    with db.read() as s:
        (award,) = s.exec(select(Award)).all()
    return str(award.id)


async def slack_dialogue(db: Database, config: DepartmentConfig, org: Org, fake: FakeSlack) -> None:
    slack: Slack = await start(db, config, fake, RunningClock(NOW))
    try:
        await slack.command(org.lm, "rate")
        view = await slack.opened_view(1)
        await slack.submit(org.lm, view, {"person": org.js, **RATING})
        await slack.command(org.lm, "award")
        view = await slack.opened_view(2)
        await slack.submit(org.lm, view, {"nominee": org.js, **NOMINATION})
        await slack.click(org.dg_a, "award_approve", award_id(db))
        await fake.wait_for("chat.update", 1)
    finally:
        await slack.client.close()


async def teams_dialogue(
    db: Database, config: DepartmentConfig, org: Org, connector: FakeBotConnector
) -> None:
    adapter = TeamsAdapter(db, config, app_id=None, app_password=None, dev=True,
                           clock=RunningClock(NOW))  # fmt: skip
    client = TestClient(TestServer(make_app(db, teams=adapter)))
    await client.start_server()
    teams = Teams(client, connector)
    try:
        await teams.say(org.lm, "rate")
        verb, data = submit_data(connector.cards_sent()[-1], {"person": str(org.js), **RATING})
        await teams.execute(org.lm, verb, data)
        await teams.say(org.lm, "award")
        verb, data = submit_data(connector.cards_sent()[-1], {"nominee": str(org.js), **NOMINATION})
        await teams.execute(org.lm, verb, data)
        await teams.execute(org.dg_a, "award_approve", {"value": award_id(db)}, "card-9")
    finally:
        await client.close()


def test_one_dialogue_stores_the_same_through_slack_and_teams(
    sqlite_template: Path, tmp_path: Path, config: DepartmentConfig
) -> None:
    slack_db, teams_db = (
        fresh(sqlite_template, tmp_path / "s"),
        fresh(sqlite_template, tmp_path / "t"),
    )
    slack_org, teams_org = make_org(slack_db, tmp_path / "s"), make_org(teams_db, tmp_path / "t")
    assert slack_org.ids == teams_org.ids  # same roster, same ids: results compare directly

    fake = FakeSlack().start()
    fake.users = {user_id(pid): email(key) for key, pid in slack_org.ids.items()}
    connector = FakeBotConnector().start()
    for key, pid in teams_org.ids.items():
        connector.members[f"29:user-{pid}"] = {
            "id": f"29:user-{pid}", "aadObjectId": f"aad-{pid}", "name": key,
            "email": email(key), "userPrincipalName": email(key), "tenantId": TENANT,
        }  # fmt: skip
    try:
        asyncio.run(slack_dialogue(slack_db, config, slack_org, fake))
        asyncio.run(teams_dialogue(teams_db, config, teams_org, connector))
    finally:
        fake.stop()
        connector.stop()

    via_slack, via_teams = stored(slack_db), stored(teams_db)
    org = slack_org
    assert via_slack["ratings"] == [
        (org.js, 1, "high_performing", RATING["what"], RATING["how"], org.lm)
    ]
    assert via_slack["awards"] == [
        (org.js, 150_000, "Led the launch.", "approved", org.lm, org.dg_a)
    ]
    assert via_teams == via_slack
