"""Every button perfbot shows works on Slack and on Teams.

Buttons come from the flows (bot/flows) and the scheduler's nudges (scheduler/nudges); both
platforms dispatch them through one table, ``bot.flows.actions.ACTIONS``. These tests find
every action id in the source, hold it to that table, and then press every entry of the
table on both platforms over HTTP, checking the answer each platform gives - so a button
that one platform can't handle ("not available in Teams yet") can't come back.
"""

from __future__ import annotations

import ast
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.flows.actions import ACTIONS
from scheduler.nudges import KINDS, NudgeContext, compose
from scheduler.nudges.base import EDITS
from scheduler.planner import plan
from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.models import Award, AwardStatus, Outbox, WriteUp
from tests.bot.slack_harness import Slack
from tests.bot.teams_harness import Teams
from tests.conftest import NOW, Org
from tests.fakes import FakeBotConnector, FakeSlack, RunningClock

ROOT = Path(__file__).resolve().parents[2]
OUT_OF_DATE = "out of date"  # what an unknown button answers


def emitted_action_ids() -> dict[str, str]:
    """Every literal id given to a ``Button(...)`` (flows) or ``Action(...)`` (nudges), with
    where it is."""
    found: dict[str, str] = {}
    for folder in ("bot/flows", "scheduler"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) in ("Button", "Action")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found[node.args[0].value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_button_the_flows_and_nudges_show_is_in_the_action_table() -> None:
    found = emitted_action_ids()
    assert {"award_approve", "snooze", "get_workbook", "open_rate"} <= set(found)  # it looked
    missing = {name: where for name, where in found.items() if name not in ACTIONS}
    assert missing == {}, f"buttons with no handler: {missing}"


def test_every_nudge_kind_is_worded_and_its_buttons_are_handled(config: DepartmentConfig) -> None:
    for kind in KINDS:
        ctx = NudgeContext(1, kind.value, "before_5", "q1_conversation", 2026, 7, "Js", {})
        nudge = compose(config, ctx)
        assert nudge.title and nudge.text, kind
        assert nudge.actions or kind in EDITS, kind  # an edit's point is that no button stays
        assert {a.action_id for a in nudge.actions} <= set(ACTIONS), kind


def test_f11_the_objectives_nudge_asks_the_line_manager_to_agree_and_the_job_holder_to_set(
    config: DepartmentConfig,
) -> None:
    """F11: objectives cover the four headings and are agreed by the line manager - so the
    line manager's nudge carries the way to agree, and neither says "3 objectives" is done."""

    def nudge(to_subject: bool) -> Any:
        ctx = NudgeContext(1, "objectives_due", "before_5", "objectives_agreed", 2026, 7, "Js",
                           {}, to_subject)  # fmt: skip
        return compose(config, ctx)

    manager, holder = nudge(False), nudge(True)
    assert [a.action_id for a in manager.actions][:1] == ["objectives_agree"]
    assert "objectives_agree" not in {a.action_id for a in holder.actions}
    assert manager.text.startswith("Js's objectives for the year need your agreement by")
    assert holder.text.startswith("Your objectives for the year need your line manager's")
    for text in (manager.text, holder.text):
        assert "Finance/efficiency, People/capability and Corporate contribution" in text


# --- press every entry of the table, on both platforms ------------------------------------
def _setup(
    db: Database, org: Org, config: DepartmentConfig, pressed_at: datetime
) -> dict[str, tuple[str, str]]:
    """Who presses each button, with which value (a pending award for the DG, a reminder of
    the line manager's own for Snooze, a decision made just before ``pressed_at`` to Undo)."""
    with db.write() as session:
        awards = [
            svc.nominate_award(
                session, config=config, actor=org.actor("lm"), nominee_id=who,
                amount_pence=100_000, reason="Led the launch.", now=NOW,
            ).id
            for who in (org.js, org.peer, org.peer, org.js)
        ]  # fmt: skip
        svc.decide_award(
            session,
            config=config,
            actor=org.actor("dg_a"),
            award_id=awards[2],
            approve=True,
            now=pressed_at,
        )  # fmt: skip  (to Undo)
        svc.record_manager_assessment(  # F23: a mid-year write-up for js to read and agree
            session, config=config, actor=org.actor("lm"), subject_id=org.js, stage="mid_year",
            what="Delivered the bill", how="With the team", now=NOW,
        )  # fmt: skip
        objectives = [
            svc.set_objective(
                session, config=config, actor=org.actor("js"), subject_id=org.js,
                heading=heading, what="w", how="h", now=NOW,
            ).objective.id
            for heading in ("business_delivery", "finance", "people", "corporate")  # F11
        ]  # fmt: skip
        unmet, met = (
            svc.add_milestone(
                session,
                actor=org.actor("js"),
                objective_id=objectives[0],
                title=title,
                due_on=NOW.date(),
                now=NOW,
            ).id
            for title in ("Bill passed", "Consultation launched")
        )  # fmt: skip  (F17)
        svc.record_milestone_met(session, config=config, actor=org.actor("lm"),
                                 milestone_id=met, now=NOW)  # fmt: skip
        svc.add_evidence(session, config=config, actor=org.actor("js"), subject_id=org.js,
                         text="Chaired the panel", standard="culture", now=NOW)  # fmt: skip
        to_agree, to_remove = (
            svc.propose_respondent(
                session,
                config=config,
                actor=org.actor("js"),
                subject_id=org.js,
                respondent=who,
                relationship="Peer",
                now=NOW,
            ).id
            for who in ("peer@dept.example", "Sam Cole, HM Treasury")
        )  # fmt: skip  (F24)
        plan(session, config=config, now=NOW.replace(month=6, day=29, hour=9))
        reminder = session.exec(select(Outbox).where(Outbox.recipient_id == org.lm)).first()
        plan(session, config=config, now=NOW.replace(month=7, day=3, hour=9))  # Q1 overdue
        escalation = session.exec(
            select(Outbox).where(Outbox.recipient_id == org.ps, Outbox.subject_id == org.js,
                                 Outbox.kind == "rating_due")
        ).one()  # fmt: skip
    assert reminder is not None and escalation is not None
    js, lm, dg, hr = str(org.js), "lm", "dg_a", "hr"
    return {
        "rate": (lm, js),
        "objectives": (lm, js),
        "objectives_agree": (lm, js),
        "write_up_read": ("js", f"{js}:mid_year:2026"),
        "write_up_comment": ("js", f"{js}:mid_year:2026"),
        "write_up_agree": ("js", f"{js}:mid_year:2026"),
        "write_up": (lm, f"{js}:mid_year"),
        "self_assessment": ("js", f"{js}:mid_year"),
        "evidence": ("js", ""),
        "development_plan": (lm, js),
        "award_approve": (dg, str(awards[0])),
        "award_reject": (dg, str(awards[1])),
        "award_pending": (dg, ""),
        "award_show": (dg, str(awards[1])),  # from the home page: one nomination to decide
        "award_undo": (dg, str(awards[2])),
        "award_withdraw": (lm, str(awards[3])),
        "snooze": (lm, f"{reminder.id}:2"),
        "remind_owner": ("ps", str(escalation.id)),
        "get_workbook": (hr, "2026"),
        "open_rate": (lm, ""),
        "open_objectives": (lm, ""),
        "open_write_up": (lm, ""),
        "open_evidence": ("js", ""),
        "open_award": (lm, ""),
        "status": (lm, ""),
        "objectives_list": ("js", ""),
        "objective_revise": ("js", str(objectives[0])),
        "objective_close": ("js", str(objectives[1])),
        "milestone_add": ("js", str(objectives[0])),
        "milestones_list": (lm, str(objectives[0])),
        "milestone_met": (lm, str(unmet)),
        "award_milestone": (lm, str(met)),
        "evidence_portfolio": ("js", ""),
        "evidence_change": ("js", ""),
        "respondents_list": (lm, js),
        "respondent_propose": ("js", ""),
        "respondent_agree": (lm, str(to_agree)),
        "respondent_remove": (lm, str(to_remove)),
    }


# What each button does, as each platform shows it.
SLACK_ANSWER = {
    "rate": "views.open",
    "objectives": "views.open",
    "objectives_agree": "chat.postEphemeral",
    "write_up_read": "chat.postMessage",
    "write_up_comment": "views.open",
    "write_up_agree": "chat.update",
    "write_up": "views.open",
    "self_assessment": "views.open",
    "evidence": "views.open",
    "development_plan": "views.open",
    "award_approve": "chat.update",
    "award_reject": "views.open",
    "award_pending": "chat.postMessage",
    "award_show": "chat.postMessage",
    "award_undo": "chat.update",
    "award_withdraw": "chat.update",
    "snooze": "chat.postEphemeral",
    "remind_owner": "chat.postEphemeral",
    "get_workbook": "files.completeUploadExternal",
    "open_rate": "views.open",
    "open_objectives": "views.open",
    "open_write_up": "views.open",
    "open_evidence": "views.open",
    "open_award": "views.open",
    "status": "response",
    "objectives_list": "chat.postMessage",
    "objective_revise": "views.open",
    "objective_close": "views.open",
    "milestone_add": "views.open",
    "milestones_list": "chat.postMessage",
    "milestone_met": "chat.update",
    "award_milestone": "views.open",
    "evidence_portfolio": "response",
    "evidence_change": "views.open",
    "respondents_list": "chat.postMessage",
    "respondent_propose": "views.open",
    "respondent_agree": "chat.update",
    "respondent_remove": "chat.update",
}


def test_the_table_and_the_expectations_name_the_same_buttons() -> None:
    assert set(SLACK_ANSWER) == set(ACTIONS)


def _slack_count(fake: FakeSlack, what: str) -> int:
    return len(fake.responses) if what == "response" else len(fake.calls_to(what))


def test_every_button_works_in_slack(slack_run, sqlite_db, org, config, fake) -> None:
    presses = _setup(sqlite_db, org, config, NOW.replace(month=6, day=29, hour=9))

    async def body(slack: Slack) -> list[str]:
        failures = []
        for name, (who, value) in presses.items():
            what = SLACK_ANSWER[name]
            before = _slack_count(fake, what)
            await slack.click(org.ids[who], name, value)
            for _ in range(500):
                if _slack_count(fake, what) > before:
                    break
                await __import__("asyncio").sleep(0.02)
            else:
                failures.append(f"{name}: no {what}")
        return failures

    failures = slack_run(body, clock=RunningClock(NOW.replace(month=6, day=29, hour=9)))
    assert failures == []
    said = json.dumps([c["args"] for c in fake.calls] + list(fake.responses))
    assert OUT_OF_DATE not in said and "not available" not in said
    with sqlite_db.read() as session:
        statuses = {a.id: a.status for a in session.exec(select(Award))}
    assert AwardStatus.APPROVED in statuses.values()  # the press did what it says
    assert AwardStatus.WITHDRAWN in statuses.values()
    with sqlite_db.read() as session:
        assert svc.objectives_agreement(session, org.js, 2026) is not None  # F11
    posted = fake.calls_to("chat.postMessage")
    (dm,) = {c["channel"] for c in posted if "award_approve" in json.dumps(c)}
    assert dm == "D" + f"{org.dg_a:06d}"  # pending nominations go to the DG's DM only
    (mine,) = {c["channel"] for c in posted if "write_up_agree" in json.dumps(c)}
    assert mine == "D" + f"{org.js:06d}"  # a write-up to agree goes to the job holder's DM
    with sqlite_db.read() as session:  # F23: Agree agreed it
        assert session.exec(select(WriteUp)).one().job_holder_agreed_at is not None


def _card_text(card: dict[str, Any]) -> str:
    return json.dumps(card)


def test_every_button_works_in_teams(teams_run, sqlite_db, org, config, connector) -> None:
    presses = _setup(sqlite_db, org, config, NOW)  # the Teams harness runs at NOW

    kept: dict[str, str] = {}

    async def body(teams: Teams) -> dict[str, dict[str, Any]]:
        """Each press's answer: the card that replaced the pressed one, or - where the pressed
        card stays (a note, a form, a page) - the card that arrived under it."""
        cards = {}
        for name, (who, value) in presses.items():
            sent = len(connector.cards_sent())
            card = await teams.execute(org.ids[who], name, {"value": value}, f"card-{name}")
            if "kept" in card:
                kept[name] = card["kept"]
                arrived = connector.cards_sent()[sent:]  # none: a file offered (below)
                card = arrived[0] if arrived else card
            cards[name] = card
        return cards

    cards = teams_run(body)
    # A form (a modal in Slack) or a page (Slack's reply to the presser) opens under the
    # pressed card, which stays, so closing the form leads back to it.
    assert {n for n, text in kept.items() if text == "Opened below."} == {
        n for n, what in SLACK_ANSWER.items() if what in ("views.open", "response")
    }
    forms = {n for n, c in cards.items() if any(
        a.get("verb", "").startswith("perf:") for a in c.get("actions", []))}  # fmt: skip
    assert forms == {n for n, what in SLACK_ANSWER.items() if what == "views.open"}
    for name, card in cards.items():
        text = _card_text(card)
        assert OUT_OF_DATE not in text and "not available" not in text, (name, text)
    assert "approved" in _card_text(cards["award_approve"]).lower()
    # Replace: the pressed card updated in place (the decided award, the agreed write-up).
    assert sorted(u["id"] for u in connector.updates()) == [
        "card-award_approve",
        "card-award_undo",
        "card-award_withdraw",
        "card-milestone_met",
        "card-respondent_agree",
        "card-respondent_remove",
        "card-write_up_agree",
    ]
    assert "Approve" in _card_text(cards["award_undo"])  # waiting for a decision again
    assert "You withdrew the nomination of Js" in _card_text(cards["award_withdraw"])
    # Tell: the pressed reminder stays as it was (its content kept, nothing updated) and the
    # note arrives under it in the chat - as in Slack, where it appears beside the message.
    assert "Snoozed until" in kept["snooze"] and "Snoozed until" in _card_text(cards["snooze"])
    assert "Sent Lm one reminder, saying you asked." in _card_text(cards["remind_owner"])
    assert "You agreed Js's objectives for 2026-27" in _card_text(cards["objectives_agree"])
    assert "agreed by you on 15 July 2026" in _card_text(cards["write_up_agree"])
    assert "accept the file to receive it here" in kept["get_workbook"]  # the file: below
    (offer,) = [a for a in connector.sent() if "file.consent" in json.dumps(a)]
    assert offer["attachments"][0]["name"] == "perfbot-2026-27.xlsx"
    # F17: a milestone marked met offers its nomination; the objectives arrive one by one.
    assert "Nominate an award for this milestone" in _card_text(cards["milestone_met"])
    assert "Met on 15 July 2026, confirmed by Lm." in _card_text(cards["milestone_met"])
    assert "For the milestone met: Consultation launched" in _card_text(cards["award_milestone"])
    assert "Your objectives, 2026-27" in _card_text(cards["objectives_list"])
    # F24: the line manager agrees one respondent and removes the other, in place.
    assert "Agreed on 15 July 2026" in _card_text(cards["respondent_agree"])
    assert "Removed by you" in _card_text(cards["respondent_remove"])
    assert "Chaired the panel - added 15 July 2026" in _card_text(cards["evidence_portfolio"])
    # "Show them": each waiting nomination arrives in the chat, with its Approve button; then
    # "Decide" on the home page's line for awards[1] sends that one again.
    pending = [c for c in connector.cards_sent() if "award_approve" in json.dumps(c)]
    assert len(pending) == 3 and "Peer" in json.dumps(pending[0])  # awards[1] and awards[3]
    assert json.dumps(pending[2]).count("award_approve") == 1
    assert "Approve £1,000 for Peer?" in json.dumps(pending[0], ensure_ascii=False)  # asked first
    # F15: the facts to decide on - the year so far against the limit, and eligibility.
    facts = json.dumps(pending[0], ensure_ascii=False)
    assert "£1,000 approved, £1,000 awaiting a decision (this one included)" in facts
    assert "the yearly limit is £17,500" in facts and '"Eligible"' in facts


@pytest.mark.parametrize("name", ["no_such_button", "award_approve"])
def test_a_stale_or_unknown_button_gets_a_polite_answer(
    teams_run, sqlite_db, org, config, connector: FakeBotConnector, name: str
) -> None:
    async def body(teams: Teams) -> dict[str, Any]:
        return await teams.execute(org.dg_a, name, {"value": "not-a-number"})

    assert OUT_OF_DATE in _card_text(teams_run(body))


# --- hardening: what a client sends wrongly gets 400 or a polite answer, never a 500 ---------
def test_malformed_slack_requests_get_400_and_no_error_in_the_log(slack_run, org, caplog) -> None:
    from tests.bot.slack_harness import user_id

    command = "command=%2Fperf&text=rate&user_id=" + user_id(org.lm)

    async def body(slack: Slack) -> dict[str, int]:
        answers = {}
        bad_ts = {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}
        answers["timestamp"] = (
            await slack.post(command, "application/x-www-form-urlencoded", headers=bad_ts,
                             signed=False)
        ).status  # fmt: skip
        answers["not json"] = (
            await slack.post("payload=notjson", "application/x-www-form-urlencoded")
        ).status
        for name, view in {
            "metadata a number": {"type": "modal", "callback_id": "perf:rate",
                                  "private_metadata": 12345, "state": {"values": {}}},
            "view without type": {"callback_id": "perf:rate", "private_metadata": "x"},
        }.items():  # fmt: skip
            payload = {"type": "view_submission", "user": {"id": user_id(org.lm)}, "view": view}
            answers[name] = (await slack.interactive(payload)).status
        answers["actions not a list"] = (
            await slack.interactive(
                {"type": "block_actions", "user": {"id": user_id(org.lm)}, "actions": "x"}
            )
        ).status
        for name, value in [("award_approve", "abc"), ("snooze", "x:y"), ("rate", "9" * 30)]:
            answers[f"{name} {value[:5]}"] = (await slack.click(org.dg_a, name, value)).status
        return answers

    with caplog.at_level(logging.INFO):
        answers = slack_run(body)
    buttons = {k: v for k, v in answers.items() if " " in k and k.split()[0] in ACTIONS}
    assert set(buttons.values()) == {200}  # acked; the answer is a polite note
    assert {k: v for k, v in answers.items() if k not in buttons} == {
        "timestamp": 401,  # a timestamp that is not a number cannot be signed
        "not json": 400,
        "metadata a number": 400,
        "view without type": 400,
        "actions not a list": 400,
    }
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_malformed_teams_invokes_get_a_polite_card(teams_run, org, caplog) -> None:
    from tests.bot.teams_harness import activity

    async def body(teams: Teams) -> dict[str, tuple[int, str]]:
        answers = {}
        for name, value in {
            "no value": None,
            "data a string": {"action": {"type": "Action.Execute", "verb": "award_approve",
                                         "data": "str"}},
            "form garbage": {"action": {"type": "Action.Execute", "verb": "perf:rate",
                                        "data": {"form": "zz", "state": 5, "toggles": 3}}},
        }.items():  # fmt: skip
            fields = {"type": "invoke", "name": "adaptiveCard/action"}
            if value is not None:
                fields["value"] = value
            answer = await teams.client.post(
                "/api/messages", json=activity(teams.connector, org.dg_a, **fields)
            )
            answers[name] = (answer.status, await answer.text())
        return answers

    with caplog.at_level(logging.INFO):
        answers = teams_run(body)
    assert answers["no value"][0] == 400  # botbuilder's own refusal, now sent as JSON
    for name in ("data a string", "form garbage"):
        status, text = answers[name]
        assert status == 200, (name, text)
        assert "could not be" in text or OUT_OF_DATE in text, (name, text)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
