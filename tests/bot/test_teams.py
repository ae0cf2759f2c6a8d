"""Teams end to end: real-shaped Bot Framework activities posted over HTTP to perfbot's
/api/messages, replies and lookups answered by a fake Bot Connector on loopback, and the
store checked afterwards. Only bot/teams imports botbuilder (tests/test_layering.py)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.teams.app import TeamsAdapter
from bot.web import make_app
from store import services as svc
from store.db import Database
from store.models import Award, AwardStatus, ChatIdentity, IndicativeRating
from tests.bot.teams_harness import (
    TENANT,
    Teams,
    activity,
    answer_file,
    link_in_teams,
    submit_data,
)
from tests.conftest import NOW
from tests.fakes import FakeBotConnector, LoopbackServer, RunningClock

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"


def rows(db: Database, model: Any) -> list[Any]:
    with db.read() as session:
        return list(session.exec(select(model)).all())


def test_rate_from_a_text_command_end_to_end(teams_run, sqlite_db, org, connector) -> None:
    async def body(teams: Teams) -> tuple[dict, dict]:
        answer = await teams.say(org.lm, "rate")
        assert answer.status in (200, 201)
        (form,) = connector.cards_sent()
        verb, data = submit_data(
            form, {"person": str(org.js), "rating": "achieving", "what": "Shipped it.",
                   "how": "Brought people with them."},
        )  # fmt: skip
        return form, await teams.execute(org.lm, verb, data)

    form, confirmation = teams_run(body)
    ids = [e.get("id") for e in form["body"]]
    assert "rating" in ids and form["actions"][0]["verb"] == "perf:rate"
    (stored,) = rows(sqlite_db, IndicativeRating)
    assert (stored.person_id, stored.rating, stored.recorded_by_id) == (org.js, "achieving", org.lm)
    assert "Achieving" in str(confirmation)
    # The person was matched by email through the connector, and where to nudge them is kept.
    (identity,) = [i for i in rows(sqlite_db, ChatIdentity) if i.person_id == org.lm]
    assert identity.platform == "teams" and identity.external_id == f"aad-{org.lm}"
    assert identity.conversation_ref["conversation"]["id"] == f"a:personal-{org.lm}"
    assert identity.conversation_ref["serviceUrl"] == connector.url


def test_a_bad_submission_comes_back_with_errors_and_values_kept(
    teams_run, sqlite_db, org, connector
) -> None:
    async def body(teams: Teams) -> dict:
        await teams.say(org.lm, "rate")
        (form,) = connector.cards_sent()
        verb, data = submit_data(form, {"person": str(org.js), "what": "Kept text."})
        return await teams.execute(org.lm, verb, data)

    card = await_free = teams_run(body)
    assert rows(sqlite_db, IndicativeRating) == []
    body_ = card["body"]
    at = next(i for i, e in enumerate(body_) if e.get("id") == "rating")
    assert any(e.get("color") == "Attention" for e in body_[at + 1 : at + 4])
    assert next(e for e in body_ if e.get("id") == "what")["value"] == "Kept text."
    assert await_free["actions"][0]["verb"] == "perf:rate"  # the form again, ready to fix


def test_a_tampered_state_is_refused_and_nothing_stored(
    teams_run, sqlite_db, org, connector
) -> None:
    async def body(teams: Teams) -> dict:
        await teams.say(org.lm, "rate")
        (form,) = connector.cards_sent()
        verb, data = submit_data(
            form, {"person": str(org.js), "rating": "achieving", "what": "a", "how": "b"}
        )
        data["state"] = data["state"][:-4] + "AAAA"
        return await teams.execute(org.lm, verb, data)

    card = teams_run(body)
    assert "could not be checked" in str(card) or "start again" in str(card)
    assert rows(sqlite_db, IndicativeRating) == []


def _nominated(db: Database, config: Any, org: Any) -> str:
    """The line manager nominates the job holder for £1,500: the award's id, as its buttons
    carry it."""
    with db.write() as s:
        award = svc.nominate_award(
            s, config=config, actor=org.actor("lm"), nominee_id=org.js, amount_pence=150_000,
            reason="Led the launch.", now=NOW,
        )  # fmt: skip
    return str(award.id)


def test_dg_approves_once_and_the_card_is_replaced_for_everyone(
    teams_run, sqlite_db, org, connector, config
) -> None:
    award_id = _nominated(sqlite_db, config, org)

    async def body(teams: Teams) -> tuple[dict, dict, dict]:
        other = await teams.execute(org.dg_b, "award_approve", {"value": award_id}, "card-1")
        first = await teams.execute(org.dg_a, "award_approve", {"value": award_id}, "card-1")
        second = await teams.execute(org.dg_a, "award_approve", {"value": award_id}, "card-1")
        return other, first, second

    other, first, second = teams_run(body)
    (stored,) = rows(sqlite_db, Award)
    assert stored.status is AwardStatus.APPROVED and stored.decided_by_id == org.dg_a
    assert "can't" in str(other).lower() or "not" in str(other).lower()
    assert "approved" in str(first).lower()
    # Decided: Approve and Reject are gone; only Undo stays, for the decider's few minutes.
    assert [a["verb"] for a in first.get("actions", [])] == ["award_undo"]
    assert "already" in str(second).lower()
    (update,) = connector.updates()  # only the real decision replaced the card
    assert update["id"] == "card-1"


def test_reject_opens_under_the_award_and_cancel_or_a_reason_leads_back_to_it(
    teams_run, sqlite_db, org, connector, config
) -> None:
    """The DG's award card stays while the reason is asked for under it; Cancel closes the
    form and changes nothing; a reason given updates the award card itself for everyone, so
    Approve and Reject are gone from it (F15)."""
    award_id = _nominated(sqlite_db, config, org)

    async def body(teams: Teams) -> tuple[dict, dict, dict]:
        form = await teams.open(org.dg_a, "award_reject", {"value": award_id}, "card-award")
        cancel = next(a for a in form["actions"] if a["title"] == "Cancel")
        assert cancel["associatedInputs"] == "none"  # no reason needed to close it
        cancelled = await teams.execute(org.dg_a, cancel["verb"], {})
        again = await teams.open(org.dg_a, "award_reject", {"value": award_id}, "card-award")
        verb, data = submit_data(again, {"reason": "Not enough evidence of impact."})
        return cancelled, again, await teams.execute(org.dg_a, verb, data)

    cancelled, form, decided = teams_run(body)
    assert "Cancelled. Nothing was saved." in str(cancelled)
    assert [a["title"] for a in form["actions"]] == ["Reject", "Cancel"]
    (stored,) = rows(sqlite_db, Award)
    assert stored.status is AwardStatus.REJECTED
    assert stored.decision_reason == "Not enough evidence of impact."
    assert "Rejected by" in str(decided)
    (update,) = connector.updates()  # the award card itself now shows the decision
    assert update["id"] == "card-award"
    card = update["activity"]["attachments"][0]["content"]
    assert "Not enough evidence of impact." in str(card) and "Led the launch." in str(card)
    assert "award_approve" not in str(card) and "award_reject" not in str(card)


def test_hr_gets_the_workbook_through_teams_file_consent(
    teams_run, sqlite_db, org, connector
) -> None:
    """`export 2026` offers the workbook with a file consent card; accepting it uploads the
    file where Teams says and shows it in the chat; a second acceptance sends nothing; a line
    manager is refused and offered nothing."""
    import io

    from openpyxl import load_workbook

    async def body(teams: Teams) -> tuple[list[int], str, str]:
        await teams.say(org.lm, "export 2026")
        refused = str(connector.cards_sent()[-1])
        await teams.say(org.hr, "export 2026")
        (offer,) = [a for a in connector.sent() if a["attachments"][0]["contentType"] == CONSENT]
        consent = offer["attachments"][0]
        statuses = [
            (await answer_file(teams, org.hr, consent, "accept", "consent-1")).status,
            (await answer_file(teams, org.hr, consent, "accept", "consent-1")).status,
        ]
        return statuses, refused, json.dumps(consent)

    statuses, refused, consent = teams_run(body)
    assert "HR" in refused and CONSENT not in json.dumps(connector.sent()[0])
    assert statuses == [200, 200]
    (name,) = connector.uploads
    declared, data = connector.uploads[name]
    assert name == "perfbot-2026-27.xlsx" and f'"sizeInBytes": {len(data)}' in consent
    assert declared == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert "Summary" in load_workbook(io.BytesIO(data), read_only=True).sheetnames
    (shown,) = [a for a in connector.sent() if a["attachments"][0]["contentType"] == INFO]
    assert shown["attachments"][0]["contentUrl"].endswith(name)
    assert shown["attachments"][0]["content"]["fileType"] == "xlsx"
    # The consent card became what happened, so it can't be accepted twice.
    first, second = [u for u in connector.updates() if u["id"] == "consent-1"]
    assert "Sent: perfbot-2026-27.xlsx" in json.dumps(first)
    assert "no longer waiting" in json.dumps(second)


def test_a_declined_workbook_is_not_sent(teams_run, sqlite_db, org, connector) -> None:
    async def body(teams: Teams) -> int:
        await teams.execute(org.hr, "get_workbook", {"value": "2026"}, "home-1")
        (offer,) = [a for a in connector.sent() if a["attachments"][0]["contentType"] == CONSENT]
        answer = await answer_file(teams, org.hr, offer["attachments"][0], "decline", "c-2")
        return answer.status

    assert teams_run(body) == 200
    assert connector.uploads == {}
    assert "You declined the workbook" in json.dumps(connector.updates())


def _saved_from_a_channel(connector: FakeBotConnector, person_id: int, name: str,
                          value: dict) -> dict:  # fmt: skip
    """A message extension invoke from a channel (not the person's chat with perfbot)."""
    return activity(
        connector, person_id, type="invoke", name=name,
        conversation={"id": "19:channel@thread.tacv2", "conversationType": "channel",
                      "tenantId": TENANT},
        value={"commandId": "saveEvidence", "commandContext": "message", **value},
    )  # fmt: skip


CHANNEL_MESSAGE = {
    "id": "1700000000001",
    "createdDateTime": "2026-07-14T15:20:00.000Z",
    "body": {"contentType": "html",
             "content": "<p>Thanks to Js for chairing the panel &amp; landing the bid.</p>"},
    "from": {"user": {"id": "29:user-x", "aadObjectId": "aad-LM", "displayName": "Someone"}},
    "linkToMessage": "https://teams.microsoft.com/l/message/19:channel/1700000000001",
}  # fmt: skip


def test_save_a_teams_message_as_evidence_from_its_menu(
    teams_run, sqlite_db, org, connector
) -> None:
    """The message extension: Teams asks for the dialog (fetchTask) and perfbot answers with
    the evidence form filled in from the message - its text, who wrote it and when, its link;
    a mistake comes back in the dialog with the text kept; saved, the dialog says so. Where
    perfbot nudges the person (their personal chat) is not moved to the channel."""
    from store.models import Evidence

    with sqlite_db.write() as s:
        link_in_teams(s, org.js, connector, NOW)
        link_in_teams(s, org.lm, connector, NOW)
    message = json.loads(json.dumps(CHANNEL_MESSAGE).replace("aad-LM", f"aad-{org.lm}"))

    async def body(teams: Teams) -> tuple[dict, dict, dict]:
        async def invoke(name: str, value: dict) -> dict:
            answer = await teams.client.post(
                "/api/messages", json=_saved_from_a_channel(connector, org.js, name, value)
            )
            assert answer.status == 200, await answer.text()
            return await answer.json()

        opened = await invoke("composeExtension/fetchTask", {"messagePayload": message})
        card = opened["task"]["value"]["card"]["content"]
        (submit,) = card["actions"]
        inputs = {e["id"]: e.get("value") for e in card["body"] if "id" in e}
        wrong = await invoke("composeExtension/submitAction", {
            "messagePayload": message, "data": {**submit["data"], **inputs}})  # fmt: skip
        inputs["target"] = "standard:culture"
        saved = await invoke("composeExtension/submitAction", {
            "messagePayload": message, "data": {**submit["data"], **inputs}})  # fmt: skip
        return card, wrong, saved

    card, wrong, saved = teams_run(body)
    assert card["actions"][0]["type"] == "Action.Submit"  # dialogs submit, they don't Execute
    text = json.dumps(card)
    assert "From a message by Lm on 14 July 2026 at 16:20." in text  # roster name, UK time
    assert "Thanks to Js for chairing the panel & landing the bid." in text
    assert wrong["task"]["type"] == "continue"  # the dialog again, with the problem shown
    assert "Attention" in json.dumps(wrong) and "landing the bid" in json.dumps(wrong)
    assert saved["task"] == {
        "type": "message",
        "value": "Saved to your portfolio against Culture, Civil Service Code and reform.",
    }
    (item,) = rows(sqlite_db, Evidence)
    assert (item.person_id, item.standard, item.added_by_id) == (org.js, "culture", org.js)
    assert item.source_ref == "teams:1700000000001" and item.source_author == "Lm"
    assert item.link == CHANNEL_MESSAGE["linkToMessage"]
    assert item.source_posted_at is not None and item.source_posted_at.hour == 15
    (identity,) = [i for i in rows(sqlite_db, ChatIdentity) if i.person_id == org.js]
    assert identity.conversation_ref["conversation"]["id"] == f"a:personal-{org.js}"


def test_a_saved_message_with_a_tampered_form_is_refused_and_nothing_stored(
    teams_run, sqlite_db, org, connector
) -> None:
    """The dialog's sealed state altered (or another flow named) is refused in words, and no
    evidence is stored."""
    from store.models import Evidence

    async def body(teams: Teams) -> list[dict]:
        async def invoke(name: str, value: dict) -> dict:
            answer = await teams.client.post(
                "/api/messages", json=_saved_from_a_channel(connector, org.js, name, value)
            )
            assert answer.status == 200
            return await answer.json()

        opened = await invoke("composeExtension/fetchTask", {"messagePayload": CHANNEL_MESSAGE})
        card = opened["task"]["value"]["card"]["content"]
        data = {**card["actions"][0]["data"], "target": "standard:culture", "text": "Mine"}
        return [
            await invoke("composeExtension/submitAction",
                         {"messagePayload": CHANNEL_MESSAGE, "data": changed})
            for changed in (
                {**data, "state": data["state"][:-4] + "AAAA"},
                {**data, "verb": "perf:rate"},
                {**data, "form": "not a form"},
            )
        ]  # fmt: skip

    answers = teams_run(body)
    assert [a["task"]["type"] for a in answers] == ["message"] * 3
    assert "Please start again" in answers[0]["task"]["value"]
    assert "could not be read" in answers[1]["task"]["value"]
    assert rows(sqlite_db, Evidence) == []


def test_someone_not_in_the_roster_is_told_to_ask_hr(teams_run, sqlite_db, connector) -> None:
    async def body(teams: Teams) -> None:
        await teams.say(999, "rate")

    teams_run(body)
    (reply,) = connector.sent()
    assert "ask HR" in reply["text"]
    assert rows(sqlite_db, ChatIdentity) == []


def test_with_an_app_id_an_unauthenticated_activity_gets_401(
    teams_run, sqlite_db, org, connector
) -> None:
    async def body(teams: Teams) -> list[int]:
        missing = await teams.say(org.lm, "rate")
        forged = await teams.client.post(
            "/api/messages",
            json=activity(connector, org.lm, type="message", text="rate"),
            headers={"Authorization": "Bearer not.a.token"},
        )
        return [missing.status, forged.status]

    statuses = teams_run(
        body, app_id="3f2504e0-4f89-41d3-9a0c-0305e82c3301", pw="secret", dev=False
    )
    assert statuses == [401, 401]
    assert connector.calls == [] and rows(sqlite_db, ChatIdentity) == []


# --- proactive nudges ---------------------------------------------------------------------------
def test_nudges_go_out_proactively_once_despite_429s_and_5xx(
    sqlite_db, org, config, connector
) -> None:
    from bot.teams.messenger import TeamsMessenger
    from scheduler.delivery import Deliverer
    from store.models import Outbox, OutboxStatus
    from tests.fakes import FakeClock, Scripted
    from tests.scheduler.test_delivery import MONDAY_10, fast, plan_now, statuses

    everyone_but = org.lm_b  # never opened perfbot in Teams: undeliverable, and HR sees it
    with sqlite_db.write() as s:
        for pid in org.ids.values():
            if pid == everyone_but:
                continue
            link_in_teams(s, pid, connector, MONDAY_10)
    plan_now(sqlite_db, config, MONDAY_10)
    before = statuses(sqlite_db)
    connector.fail_next(
        Scripted(429, headers={"Retry-After": "1"}),
        Scripted(502),
        Scripted(504),
        Scripted(412),
        Scripted(502),
    )
    teams = TeamsAdapter(sqlite_db, config, app_id=None, app_password=None, dev=True)
    clock = FakeClock(MONDAY_10)
    deliverer = Deliverer(
        sqlite_db, fast(config), {"teams": TeamsMessenger(teams.proactive)}, clock=clock
    )

    async def drain() -> None:
        for _ in range(20):
            await deliverer.run_until_idle()
            clock.advance(seconds=2)

    asyncio.run(drain())
    after = statuses(sqlite_db)
    with sqlite_db.read() as s:
        undeliverable = s.exec(
            select(Outbox).where(Outbox.status == OutboxStatus.UNDELIVERABLE)
        ).all()
        sent = s.exec(select(Outbox).where(Outbox.status == OutboxStatus.SENT)).all()
    assert {r.recipient_id for r in undeliverable} == {everyone_but}
    assert after == {"sent": len(sent), "undeliverable": len(undeliverable)}
    assert sum(before.values()) == len(sent) + len(undeliverable)
    # Every nudge arrived exactly once, in the right personal chat, as a card - a person's
    # reminders due together as one list.
    from scheduler.nudges.digest import LISTED

    delivered = [c for c in connector.calls if c["kind"] == "send" and c["status"] == 200]
    messages = len({r.recipient_id for r in sent if r.kind in LISTED})
    messages += sum(1 for r in sent if r.kind not in LISTED)
    assert len(delivered) == messages < len(sent)
    failed = [c["status"] for c in connector.calls if c["status"] != 200]
    assert sorted(failed) == [412, 429, 502, 502, 504]
    by_person = {r.recipient_id: f"a:personal-{r.recipient_id}" for r in sent}
    assert {c["conversation"] for c in delivered} == set(by_person.values())
    assert all(
        c["activity"]["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        for c in delivered
    )


# --- botbuilder's own TestAdapter ---------------------------------------------------------------
def test_flows_through_botbuilders_test_adapter(sqlite_db, org, config) -> None:
    """The bot's turn logic on botbuilder's in-memory TestAdapter (no HTTP, no connector):
    the manager, already linked, asks for the rating form and submits it with Action.Execute."""
    from botbuilder.core.adapters import TestAdapter
    from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

    with sqlite_db.write() as s:
        svc.link_chat_identity(
            s, person_id=org.lm, platform="teams", external_id="User1", now=NOW,
            conversation_ref={"conversation": {"id": "Convo1"}},
        )  # fmt: skip
    teams = TeamsAdapter(sqlite_db, config, app_id=None, app_password=None, dev=True,
                         clock=RunningClock(NOW))  # fmt: skip
    template = Activity(
        channel_id="msteams", service_url="https://test.example",
        from_property=ChannelAccount(id="User1", name="lm"),
        recipient=ChannelAccount(id="bot", name="perfbot"),
        conversation=ConversationAccount(id="Convo1", conversation_type="personal"),
    )  # fmt: skip
    adapter = TestAdapter(teams.bot.on_turn, template)

    async def dialogue() -> Any:
        await adapter.receive_activity("rate")
        (reply,) = adapter.activity_buffer
        form = reply.attachments[0].content
        verb, data = submit_data(
            form, {"person": str(org.js), "rating": "exceeding", "what": "w", "how": "h"}
        )
        adapter.activity_buffer.clear()
        await adapter.process_activity(
            Activity(type="invoke", name="adaptiveCard/action",
                     value={"action": {"type": "Action.Execute", "verb": verb, "data": data}}),
            teams.bot.on_turn,
        )  # fmt: skip
        return adapter.activity_buffer

    answered = asyncio.run(dialogue())
    (invoke_response,) = [a for a in answered if a.type == "invokeResponse"]
    assert invoke_response.value.status == 200
    assert "Exceeding" in str(invoke_response.value.body)
    (stored,) = rows(sqlite_db, IndicativeRating)
    assert (stored.person_id, stored.rating) == (org.js, "exceeding")


def test_installing_the_app_remembers_the_person_and_says_hello(
    teams_run, sqlite_db, org, connector
) -> None:
    async def body(teams: Teams) -> int:
        update = activity(
            connector, org.js, type="conversationUpdate",
            membersAdded=[{"id": "28:perfbot"}, {"id": f"29:user-{org.js}"}],
        )  # fmt: skip
        answer = await teams.client.post("/api/messages", json=update)
        return answer.status

    assert teams_run(body) in (200, 201)
    (identity,) = rows(sqlite_db, ChatIdentity)
    assert identity.person_id == org.js and identity.workspace_id == TENANT
    assert identity.conversation_ref["conversation"]["id"] == f"a:personal-{org.js}"
    (welcome,) = connector.cards_sent()
    assert "perfbot" in str(welcome) and "rate" in str(welcome)


def test_development_mode_refuses_anything_but_loopback(sqlite_db, config) -> None:
    from unittest.mock import MagicMock

    from aiohttp.test_utils import make_mocked_request

    teams = TeamsAdapter(sqlite_db, config, app_id=None, app_password=None, dev=True)
    transport = MagicMock()
    transport.get_extra_info.return_value = ("10.1.2.3", 50000)  # another machine
    request = make_mocked_request(
        "POST", "/api/messages", headers={"Content-Type": "application/json"},
        transport=transport,
    )  # fmt: skip
    answer = asyncio.run(teams.handle(request))
    assert answer.status == 403
    # Without credentials and without PERFBOT_DEV, Teams is not served at all.
    off = TeamsAdapter(sqlite_db, config, app_id=None, app_password=None, dev=False)
    transport.get_extra_info.return_value = ("127.0.0.1", 50000)
    request = make_mocked_request(
        "POST", "/api/messages", headers={"Content-Type": "application/json"},
        transport=transport,
    )  # fmt: skip
    assert asyncio.run(off.handle(request)).status == 401


def test_a_card_submitted_twice_is_stored_once(teams_run, sqlite_db, org) -> None:
    """Hardening: Teams may deliver an Action.Execute again; the form is taken once."""

    async def body(teams: Teams) -> list[dict[str, Any]]:
        await teams.say(org.lm, "rate")
        card = teams.connector.cards_sent()[-1]
        verb, data = submit_data(
            card, {"person": str(org.js), "quarter": "1", "rating": "achieving",
                   "what": "Delivered", "how": "Well"},
        )  # fmt: skip
        return [await teams.execute(org.lm, verb, data) for _ in range(3)]

    first, *repeats = teams_run(body)
    assert "already saved" not in str(first)
    assert all("already saved" in str(r) for r in repeats)
    assert len(rows(sqlite_db, IndicativeRating)) == 1


class SlowOpenIdMetadata(LoopbackServer):
    """The Bot Framework's OpenID metadata endpoint, answering slowly and then failing."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay, self.hits = delay, 0

    def routes(self, app: web.Application) -> None:
        async def metadata(_request: web.Request) -> web.Response:
            self.hits += 1
            await asyncio.sleep(self.delay)
            return web.Response(status=503)

        app.router.add_get("/openid", metadata)


def test_slow_teams_authentication_never_stalls_the_server(
    sqlite_db, config, org, monkeypatch
) -> None:
    """Hardening: botbuilder fetches the signing keys with a blocking call and no timeout; a
    slow endpoint used to stall Slack, Teams and /healthz alike. Now /healthz answers while a
    check waits, the check gives up with 503, and for a while no request refetches."""
    import jwt

    from bot.teams import app as teams_app

    app_id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    token = jwt.encode(
        {"iss": "https://api.botframework.com", "aud": app_id, "exp": 4_102_444_800},
        "not-the-signing-key-of-the-bot-framework",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    from botframework.connector.auth import AuthenticationConstants

    slow = SlowOpenIdMetadata(delay=3.0).start()
    # The one edge replaced: where the Bot Framework publishes its signing keys.
    monkeypatch.setattr(
        AuthenticationConstants,
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
        f"http://127.0.0.1:{slow.port}/openid",
    )

    async def main() -> tuple[list[int], list[float], int]:
        teams = TeamsAdapter(
            sqlite_db, config, app_id=app_id, app_password="pw", dev=False,
            clock=RunningClock(NOW),
        )  # fmt: skip
        client = TestClient(TestServer(make_app(sqlite_db, teams=teams)))
        await client.start_server()
        try:
            body = activity(FakeBotConnector(), org.lm, type="message", text="rate")
            headers = {"Authorization": f"Bearer {token}"}
            first = asyncio.create_task(client.post("/api/messages", json=body, headers=headers))
            health = []
            for _ in range(5):
                asked = time.monotonic()
                await asyncio.sleep(0.1)  # a blocked loop overruns this sleep too
                assert (await client.get("/healthz")).status == 200
                health.append(time.monotonic() - asked - 0.1)
            statuses = [(await first).status]
            for _ in range(3):  # within the back-off: refused at once, nothing refetched
                answer = await client.post("/api/messages", json=body, headers=headers)
                statuses.append(answer.status)
            return statuses, health, slow.hits
        finally:
            await client.close()

    original = teams_app.AUTH_TIMEOUT_SECONDS
    teams_app.AUTH_TIMEOUT_SECONDS = 1.0  # give up sooner than the 3 s endpoint answers
    try:
        statuses, health, hits = asyncio.run(main())
    finally:
        teams_app.AUTH_TIMEOUT_SECONDS = original
        slow.stop()
    assert max(health) < 0.25
    assert statuses == [503, 503, 503, 503]
    assert hits == 1
    assert rows(sqlite_db, ChatIdentity) == []


def test_the_end_year_review_step_offers_edit_with_every_answer_kept(
    teams_run, sqlite_db, org, connector
) -> None:
    """The end-year "Check and save" step replaced the form, so the only way out threw the
    write-up away. In Teams it now offers Edit: the form again, every answer as given."""
    from store.models import WriteUp

    answers = {
        "person": str(org.js), "what": "Delivered the bill.", "how": "Brought people along.",
        "recommended_rating": "high_performing", "value_for_money": "met", "delivery": "met",
        "culture": "not_met", "talent": "met", "finance_met": "met",
        "bias_acknowledged": "true",
    }  # fmt: skip

    async def body(teams: Teams) -> tuple[dict, dict]:
        await teams.say(org.lm, "writeup end")
        (form,) = connector.cards_sent()
        review = await teams.execute(org.lm, *submit_data(form, answers))
        (edit,) = [a for a in review["actions"] if a["title"] == "Edit"]
        return review, await teams.execute(org.lm, edit["verb"], edit["data"])

    review, again = teams_run(body)
    assert "Partially Met" in str(review)  # the review showed the gate's effect
    values = {e["id"]: e.get("value") for e in again["body"] if "id" in e}
    assert {k: values[k] for k in answers} == answers
    assert again["actions"][0]["verb"] == "perf:write_up"  # the form, ready to submit again
    assert rows(sqlite_db, WriteUp) == []  # nothing saved until they save it
