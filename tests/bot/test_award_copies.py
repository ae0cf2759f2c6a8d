"""F15, no stale buttons: once a nomination is decided, the messages that asked for the
decision are edited in place to say so - on Slack (chat.update) and Teams (the Connector's
activity update) - after the Undo window, once, and never as a new message."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from sqlmodel import select

from bot.slack.messenger import SlackMessenger, outbox_client
from bot.teams.app import TeamsAdapter
from bot.teams.messenger import TeamsMessenger
from scheduler.delivery import Deliverer
from scheduler.planner import plan
from store import services as svc
from store.models import Outbox, OutboxStatus
from tests.bot.slack_harness import Slack
from tests.bot.teams_harness import Teams, link_in_teams
from tests.conftest import NOW
from tests.fakes import FakeClock, FakeSlack, give_everyone_slack_ids

NOMINATED = NOW.replace(hour=9)  # a working morning
DECIDED = NOMINATED + timedelta(hours=2)


def _nominated(db, org, config) -> int:
    with db.write() as session:
        award = svc.nominate_award(session, config=config, actor=org.actor("lm"),
                                   nominee_id=org.js, amount_pence=250_000, reason="Great work",
                                   now=NOMINATED)  # fmt: skip
        plan(session, config=config, now=NOMINATED)
    assert award.id is not None
    return award.id


def _decide(db, org, config, award_id: int, now: datetime) -> None:
    with db.write() as session:
        svc.decide_award(session, config=config, actor=org.actor("dg_a"), award_id=award_id,
                         approve=True, now=now)  # fmt: skip


def _copies(db) -> list[Outbox]:
    with db.read() as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == "award_copy_update")).all())


def test_the_dgs_message_is_edited_to_say_it_was_approved_in_slack(
    sqlite_db, org, config, fake
) -> None:
    give_everyone_slack_ids(sqlite_db, NOMINATED)
    award_id = _nominated(sqlite_db, org, config)
    channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))

    async def deliver(at: datetime) -> None:
        await Deliverer(sqlite_db, config, {"slack": channel}, clock=FakeClock(at)).run_until_idle()

    asyncio.run(deliver(NOMINATED))
    [asked] = [p for p in fake.calls_to("chat.postMessage") if "award_approve" in json.dumps(p)]
    _decide(sqlite_db, org, config, award_id, DECIDED)
    with sqlite_db.write() as session:  # within the Undo window: nothing is edited yet
        plan(session, config=config, now=DECIDED + timedelta(minutes=1))
    assert _copies(sqlite_db) == []
    settled = DECIDED + timedelta(minutes=config.awards.undo_minutes + 1)
    for _ in range(2):  # planned twice: edited once
        with sqlite_db.write() as session:
            plan(session, config=config, now=settled)
        asyncio.run(deliver(settled))
    asyncio.run(channel.close())
    [edit] = fake.calls_to("chat.update")
    with sqlite_db.read() as session:
        original = session.exec(select(Outbox).where(Outbox.kind == "award_decision")).one()
    assert f"{edit['channel']}:{edit['ts']}" == original.message_ref  # the very message
    assert edit["channel"] == asked["channel"]
    said = json.dumps(edit)
    assert "Approved by Dg A on 15 July 2026 at 12:30" in said
    assert "award_approve" not in said and "award_reject" not in said  # no stale button
    assert (
        len([p for p in fake.calls_to("chat.postMessage") if "Approved by" in json.dumps(p)]) == 0
    )
    assert [c.status for c in _copies(sqlite_db)] == [OutboxStatus.SENT]


def test_the_dgs_card_is_updated_in_teams(sqlite_db, org, config, connector) -> None:
    with sqlite_db.write() as session:
        link_in_teams(session, org.dg_a, connector, NOMINATED)
    award_id = _nominated(sqlite_db, org, config)
    teams = TeamsAdapter(sqlite_db, config, app_id=None, app_password=None, dev=True)
    messenger = TeamsMessenger(teams.proactive)

    def deliver(at: datetime) -> None:
        deliverer = Deliverer(sqlite_db, config, {"teams": messenger}, clock=FakeClock(at))
        asyncio.run(deliverer.run_until_idle())

    deliver(NOMINATED)
    [asked] = [c for c in connector.calls if c["kind"] == "send" and "award_approve" in
               json.dumps(c["activity"])]  # fmt: skip
    _decide(sqlite_db, org, config, award_id, DECIDED)
    settled = DECIDED + timedelta(minutes=config.awards.undo_minutes + 1)
    with sqlite_db.write() as session:
        plan(session, config=config, now=settled)
    deliver(settled)
    [update] = connector.updates()
    assert update["conversation"] == f"a:personal-{org.dg_a}"
    with sqlite_db.read() as session:
        original = session.exec(select(Outbox).where(Outbox.kind == "award_decision")).one()
    assert update["id"] == original.message_ref.rpartition(":")[2] and asked
    said = json.dumps(update["activity"])
    assert "Approved by Dg A" in said and "award_approve" not in said


def _settle(db, config, deliver) -> None:  # type: ignore[no-untyped-def]
    """Past the Undo window: the copies are planned and sent."""
    settled = DECIDED + timedelta(minutes=config.awards.undo_minutes + 1)
    with db.write() as session:
        plan(session, config=config, now=settled)
    deliver(settled)


def test_a_nomination_shown_again_in_teams_is_updated_once_decided(
    sqlite_db, org, config, connector, teams_run
) -> None:
    """ "Show them" puts each waiting nomination in the DG's chat again, with Approve; once the
    nomination is decided (here from another copy), that card too says so (F15)."""
    with sqlite_db.write() as session:
        link_in_teams(session, org.dg_a, connector, NOMINATED)
    award_id = _nominated(sqlite_db, org, config)

    async def show(teams: Teams) -> None:
        await teams.execute(org.dg_a, "award_pending", {"value": ""}, "home-1")

    teams_run(show)
    [shown] = [c for c in connector.calls if c["kind"] == "send" and "award_approve" in
               json.dumps(c["activity"])]  # fmt: skip
    _decide(sqlite_db, org, config, award_id, DECIDED)
    messenger = TeamsMessenger(
        TeamsAdapter(sqlite_db, config, app_id=None, app_password=None, dev=True).proactive
    )

    def deliver(at: datetime) -> None:
        deliverer = Deliverer(sqlite_db, config, {"teams": messenger}, clock=FakeClock(at))
        asyncio.run(deliverer.run_until_idle())

    _settle(sqlite_db, config, deliver)
    [update] = connector.updates()
    with sqlite_db.read() as session:
        copy = session.exec(select(Outbox).where(Outbox.step == "shown_1")).one()
    assert shown and update["id"] == copy.message_ref.rpartition(":")[2]
    assert update["conversation"] == f"a:personal-{org.dg_a}"
    said = json.dumps(update["activity"])
    assert "Approved by Dg A" in said and "award_approve" not in said


def test_a_nomination_shown_again_in_slack_is_updated_once_decided(
    sqlite_db, org, config, fake, slack_run
) -> None:
    give_everyone_slack_ids(sqlite_db, NOMINATED)
    award_id = _nominated(sqlite_db, org, config)

    async def show(slack: Slack) -> None:
        await slack.click(org.dg_a, "award_pending", "")
        await fake.wait_for("chat.postMessage")

    slack_run(show)
    [shown] = [p for p in fake.calls_to("chat.postMessage") if "award_approve" in json.dumps(p)]
    _decide(sqlite_db, org, config, award_id, DECIDED)
    channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))

    def deliver(at: datetime) -> None:
        deliverer = Deliverer(sqlite_db, config, {"slack": channel}, clock=FakeClock(at))
        asyncio.run(deliverer.run_until_idle())

    _settle(sqlite_db, config, deliver)
    asyncio.run(channel.close())
    [edit] = fake.calls_to("chat.update")
    with sqlite_db.read() as session:
        copy = session.exec(select(Outbox).where(Outbox.step == "shown_1")).one()
    assert f"{edit['channel']}:{edit['ts']}" == copy.message_ref
    assert edit["channel"] == shown["channel"]
    said = json.dumps(edit)
    assert "Approved by Dg A" in said and "award_approve" not in said
