"""Slack end to end: signed requests over real HTTP to perfbot's server, a fake Slack Web API
behind SLACK_API_URL, and the store checked afterwards."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.slack.messenger import SlackMessenger, outbox_client
from scheduler.delivery import Deliverer
from scheduler.planner import plan
from store import services as svc
from store.db import Database
from store.models import (
    Award,
    AwardStatus,
    DevelopmentPlan,
    Evidence,
    FinanceOutcome,
    IndicativeRating,
    MinimumStandardResult,
    Outbox,
    OutboxStatus,
    WriteUp,
)
from tests.bot.slack_harness import Slack, sign, user_id
from tests.conftest import NOW, Org
from tests.fakes import FakeSlack, RunningClock, give_everyone_slack_ids
from tests.store.test_services import table_counts

SHARED = Path(__file__).resolve().parents[3] / "shared"


def rows(db: Database, model: Any) -> list[Any]:
    with db.read() as session:
        return list(session.exec(select(model)).all())


# --- rate --------------------------------------------------------------------------------------
def test_rate_from_the_command_end_to_end(slack_run, sqlite_db, org) -> None:
    async def body(slack: Slack) -> dict[str, Any]:
        answer = await slack.command(org.lm, "rate")
        assert answer.status == 200
        view = await slack.opened_view()
        assert view["callback_id"] == "perf:rate" and len(view["title"]["text"]) <= 24
        fields = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
        assert fields == {"person", "quarter", "rating", "what", "how"}
        rating = next(b for b in view["blocks"] if b.get("block_id") == "rating")
        assert [o["text"]["text"] for o in rating["element"]["options"]] == [
            "Exceeding",
            "High Performing",
            "Achieving",
            "Partially Met",
        ]
        result = await slack.submit(
            org.lm,
            view,
            {
                "person": org.js,
                "quarter": 2,
                "rating": "achieving",
                "what": "Shipped the plan",
                "how": "Brought people with her",
            },
        )
        return await result.json()

    reply = slack_run(body)
    assert reply["response_action"] == "update"
    assert "Q2 indicative rating for Js: Achieving" in json.dumps(reply["view"])
    [stored] = rows(sqlite_db, IndicativeRating)
    assert (stored.person_id, stored.quarter, stored.rating.value) == (org.js, 2, "achieving")


def test_the_job_holder_hears_the_rating_their_manager_recorded(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """Closing the loop: the job holder is told the rating they discussed, with the notes, in
    their direct chat - not left to find it by typing status."""
    from tests.fakes import FakeClock

    give_everyone_slack_ids(sqlite_db, NOW)

    async def body(slack: Slack) -> list[dict[str, Any]]:
        await slack.command(org.lm, "rate")
        await slack.submit(org.lm, await slack.opened_view(), {
            "person": org.js, "quarter": 1, "rating": "partially_met",
            "what": "The launch slipped", "how": "Kept the team informed"})  # fmt: skip
        channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))
        later = FakeClock(NOW + timedelta(minutes=1))  # the clock ran on while it was saved
        await Deliverer(sqlite_db, config, {"slack": channel}, clock=later).run_until_idle()
        await channel.close()
        return fake.calls_to("chat.postMessage")

    told = [p for p in slack_run(body) if "indicative rating" in p["text"]]
    assert [p["channel"] for p in told] == ["D" + user_id(org.js)[1:]]  # theirs only
    shown = json.dumps(told[0]["blocks"])
    assert "Your line manager recorded your Q1 indicative rating: Partially Met." in told[0]["text"]
    assert "The launch slipped" in shown and "Kept the team informed" in shown


def test_f10_partially_met_across_the_year_boundary_asks_for_a_plan(
    slack_run, sqlite_db, org, config
) -> None:
    """F10, guidance §57: "Partially Met in two consecutive quarters: the line manager should
    draw up a performance development plan" - and Q4 then the next year's Q1 are consecutive.
    The manager is told each step in chat, never "a single Partially Met"."""
    with sqlite_db.write() as session:  # last year's Q4, recorded in April
        svc.record_indicative_rating(
            session, config=config, actor=org.actor("lm"), subject_id=org.js, quarter=4,
            rating="partially_met", what_note="Slipped", how_note="Withdrawn", year=2025,
            now=datetime(2026, 4, 2, 10, tzinfo=UTC),
        )  # fmt: skip

    async def body(slack: Slack) -> list[str]:
        replies = []
        for quarter in (1, 2):
            await slack.command(org.lm, "rate")
            view = await slack.opened_view(quarter)
            values = {"person": org.js, "quarter": quarter, "rating": "partially_met",
                      "what": "Behind plan", "how": "Needs support"}  # fmt: skip
            reply = await (await slack.submit(org.lm, view, values)).json()
            replies.append(json.dumps(reply["view"]))
        return replies

    first, second = slack_run(body)
    assert "second Partially Met quarter in a row" in first and "single" not in first
    assert "development plan with Js" in first
    [plan] = rows(sqlite_db, DevelopmentPlan)
    assert (plan.year, plan.triggered_by_quarter) == (2026, 1)
    # Q2: still Partially Met after the plan was called for.
    assert "formal poor-performance measures" in second and "speak to HR" in second
    assert "F10" not in first + second


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": None}, "rating"),  # missing
        ({"rating": "superb"}, "rating"),  # not one of the four boxes
        ({"how": ""}, "how"),  # F6: what and how both required
        ({"what": "x" * 3001}, "what"),  # over the limit
        ({"quarter": 4}, "quarter"),  # a quarter that has not started
        ({"person": 999}, "person"),  # not one of my reports
    ],
)
def test_rate_bad_input_answered_beside_the_field(slack_run, sqlite_db, org, change, field) -> None:
    give_everyone_slack_ids(sqlite_db, NOW)  # first contact links identities: a write of its own
    before = table_counts(sqlite_db)

    async def body(slack: Slack) -> dict[str, Any]:
        await slack.command(org.lm, "rate")
        view = await slack.opened_view()
        values = {
            "person": org.js,
            "quarter": 2,
            "rating": "achieving",
            "what": "w",
            "how": "h",
        } | change
        return await (await slack.submit(org.lm, view, values)).json()

    reply = slack_run(body)
    assert reply["response_action"] == "errors" and set(reply["errors"]) == {field}
    assert table_counts(sqlite_db) == before


def test_slack_users_are_matched_to_the_roster_by_email_once(
    slack_run, sqlite_db, org, fake
) -> None:
    from store.models import ChatIdentity

    async def body(slack: Slack) -> None:
        for _ in range(3):
            await slack.command(org.js, "status")
            await slack.response()

    slack_run(body)
    [identity] = rows(sqlite_db, ChatIdentity)
    assert (identity.person_id, identity.external_id) == (org.js, user_id(org.js))
    assert len(fake.calls_to("users.info")) == 1  # then remembered


def test_tampered_or_stale_form_state_is_refused(slack_run, sqlite_db, org) -> None:
    async def body(slack: Slack) -> list[dict[str, Any]]:
        await slack.command(org.lm, "rate")
        view = await slack.opened_view()
        values = {"person": org.js, "quarter": 2, "rating": "achieving", "what": "w", "how": "h"}
        tampered = dict(view, private_metadata=view["private_metadata"][:-4] + "AAAA")
        stale = dict(
            view,
            private_metadata=slack.adapter.sealer.seal(
                {"flow": "rate", "year": 2026}, issued=time.time() - 7200
            ),
        )
        return [await (await slack.submit(org.lm, v, values)).json() for v in (tampered, stale)]

    tampered, stale = slack_run(body)
    assert tampered["response_action"] == "errors"
    assert "could not be checked" in json.dumps(tampered["errors"])
    assert "open too long" in json.dumps(stale["errors"])
    assert rows(sqlite_db, IndicativeRating) == []


# --- security ----------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["unsigned", "forged", "stale"])
def test_unsigned_forged_or_stale_requests_get_401_and_write_nothing(
    slack_run, sqlite_db, org, how
) -> None:
    before = table_counts(sqlite_db)

    async def body(slack: Slack) -> int:
        payload = "command=%2Fperf&text=rate&user_id=" + user_id(org.lm) + "&team_id=T1"
        headers = {
            "unsigned": {},
            "forged": sign(payload, secret="not-the-secret"),
            "stale": sign(payload, timestamp=int(time.time()) - 301),
        }[how]
        answer = await slack.post(
            payload, "application/x-www-form-urlencoded", headers=headers, signed=False
        )
        return answer.status

    assert slack_run(body) == 401
    assert table_counts(sqlite_db) == before


@pytest.mark.parametrize("how", ["forged", "unhandled"])
def test_no_request_body_reaches_the_log(slack_run, org, caplog, how) -> None:
    """Hardening: 1 MB posted with a forged signature (or signed but of a kind perfbot does
    not handle) writes one short line at most, and nothing of the body - not a name, not a
    rating note. Measured as the bytes of every record at INFO and above."""
    note = "Private rating note about Js"
    payload = json.dumps({"type": "view_submission", "user": {"id": user_id(org.lm)}, "note": note})
    body = "payload=" + urllib.parse.quote(payload) + "&padding=" + "x" * 1_000_000

    async def run(slack: Slack) -> int:
        headers = sign(body, secret="not-the-secret") if how == "forged" else sign(body)
        answer = await slack.post(
            body, "application/x-www-form-urlencoded", headers=headers, signed=False
        )
        return answer.status

    with caplog.at_level(logging.INFO):
        status = slack_run(run)
    assert status in (200, 400, 401, 404)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert sum(len(m) for m in logged) < 1024, logged
    assert not any(note in m or "xxxxxxxx" in m for m in logged)


def test_someone_not_in_the_roster_is_told_politely(slack_run, sqlite_db, fake) -> None:
    before = table_counts(sqlite_db)

    async def body(slack: Slack) -> dict[str, Any]:
        fake.users["U999999"] = "stranger@elsewhere.example"
        await slack.command(999999, "rate")
        return await slack.response()

    assert "not in the roster" in slack_run(body)["text"]
    assert table_counts(sqlite_db) == before


def test_help_and_unknown_words(slack_run, org) -> None:
    async def body(slack: Slack) -> tuple[dict[str, Any], dict[str, Any]]:
        await slack.command(org.js, "help")
        first = await slack.response()
        await slack.command(org.js, "dance")
        return first, await slack.response()

    helped, unknown = slack_run(body)
    assert "/perf rate" in json.dumps(helped) and "/perf evidence" in json.dumps(helped)
    assert "I don't know `dance`" in json.dumps(unknown)


# --- evidence ------------------------------------------------------------------------------------
def test_save_as_evidence_shortcut_captures_text_and_permalink_once(
    slack_run, sqlite_db, org
) -> None:
    async def body(slack: Slack) -> None:
        for attempt in (1, 2):  # the same message saved twice is one item
            await slack.interactive(
                {
                    "type": "message_action",
                    "callback_id": "save_as_evidence",
                    "user": {"id": user_id(org.js)},
                    "channel": {"id": "C42"},
                    "message": {
                        "type": "message",
                        "text": "Led the spending review panel",
                        "ts": "1700000001.000200",
                        "user": "U9",
                    },
                    "message_ts": "1700000001.000200",
                }
            )
            view = await slack.opened_view(attempt)
            text = next(b for b in view["blocks"] if b.get("block_id") == "text")
            assert text["element"]["initial_value"] == "Led the spending review panel"
            reply = await (
                await slack.submit(
                    org.js,
                    view,
                    {
                        "target": "standard:value_for_money",
                        "text": "Led the spending review panel",
                        "link": "https://example.slack.com/archives/C42/p1700000001000200",
                    },
                )
            ).json()
            assert "Evidence saved" in json.dumps(reply)

    slack_run(body)
    [item] = rows(sqlite_db, Evidence)
    assert item.source_ref == "slack:C42:1700000001.000200"
    assert item.link.endswith("/C42/p1700000001000200") and item.standard.value == (
        "value_for_money"
    )


def test_evidence_bad_input(slack_run, sqlite_db, org) -> None:
    async def body(slack: Slack) -> list[dict[str, Any]]:
        await slack.command(org.js, "evidence")
        view = await slack.opened_view()
        out = []
        for values in (
            {"target": None, "text": "x"},
            {"target": "standard:talent", "text": ""},
            {"target": "standard:talent", "text": "ok", "link": "not a link"},
            {"target": "objective:9999", "text": "ok"},
        ):
            out.append(await (await slack.submit(org.js, view, values)).json())
        return out

    answers = slack_run(body)
    assert [sorted(a["errors"]) for a in answers] == [["target"], ["text"], ["link"], ["target"]]
    assert rows(sqlite_db, Evidence) == []


# --- awards --------------------------------------------------------------------------------------
def nominate(sqlite_db: Database, org: Org, config: Any, amount: int = 250_000) -> int:
    with sqlite_db.write() as session:
        return svc.nominate_award(
            session,
            config=config,
            actor=org.actor("lm"),
            nominee_id=org.js,
            amount_pence=amount,
            reason="Great work",
            now=NOW,
        ).id


def test_nominate_with_headroom_shown_and_bad_amounts(slack_run, sqlite_db, org) -> None:
    async def body(slack: Slack) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
        await slack.command(org.lm, "award")
        view = await slack.opened_view()
        nominee = next(b for b in view["blocks"] if b.get("block_id") == "nominee")
        bad = []
        for amount in ("-5", "abc", "5000.01", "0"):
            bad.append(
                await (
                    await slack.submit(
                        org.lm, view, {"nominee": org.js, "amount": amount, "reason": "Great"}
                    )
                ).json()
            )
        ok = await (
            await slack.submit(
                org.lm, view, {"nominee": org.js, "amount": "2500", "reason": "Great"}
            )
        ).json()
        return nominee, bad, ok

    nominee, bad, ok = slack_run(body)
    hints = {o["value"]: o["description"]["text"] for o in nominee["element"]["options"]}
    assert hints[str(org.js)] == "£17,500 left this year"
    assert "not eligible" in hints[str(org.ppm)]
    assert all(set(answer["errors"]) == {"amount"} for answer in bad)
    assert "at most £5,000" in bad[2]["errors"]["amount"]  # F15: over one award's cap
    assert "Nomination sent" in json.dumps(ok)
    [award] = rows(sqlite_db, Award)
    assert (award.amount_pence, award.status) == (250_000, AwardStatus.PENDING)


def test_a_control_character_in_a_reason_is_refused_beside_it(slack_run, sqlite_db, org) -> None:
    """Hardening: a BEL typed (or pasted) into a Slack form is refused beside the field, the
    other values are kept, and nothing is stored - it can no longer stop the HR export."""

    async def body(slack: Slack) -> dict[str, Any]:
        await slack.command(org.lm, "award")
        view = await slack.opened_view()
        values = {"nominee": org.js, "amount": "2500", "reason": "Great\x07 work"}
        return await (await slack.submit(org.lm, view, values)).json()

    answer = slack_run(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"reason"} and "control character" in answer["errors"]["reason"]
    assert rows(sqlite_db, Award) == []


def test_a_replayed_or_resubmitted_form_is_stored_once(slack_run, sqlite_db, org) -> None:
    """Hardening: one signed nomination sent ten times (a replay inside Slack's five minutes,
    or a resubmit after perfbot crashed before answering) makes one nomination; every repeat
    is told what was already saved."""

    async def body(slack: Slack) -> list[dict[str, Any]]:
        await slack.command(org.lm, "award")
        view = await slack.opened_view()
        values = {"nominee": org.js, "amount": "2500", "reason": "Great work"}
        return [await (await slack.submit(org.lm, view, values)).json() for _ in range(10)]

    first, *repeats = slack_run(body)
    assert "Nomination sent" in json.dumps(first)
    assert all("already saved" in json.dumps(r) and "Nominated Js" in json.dumps(r)
               for r in repeats)  # fmt: skip
    assert len(rows(sqlite_db, Award)) == 1


def test_f15_a_withdrawn_nomination_cannot_be_approved_nor_a_decision_undone_by_another(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """F15 refusals over signed HTTP: Approve on a nomination withdrawn since, and Undo pressed
    by someone other than the Director General who decided - each told why, nothing stored."""
    withdrawn, decided = nominate(sqlite_db, org, config), nominate(sqlite_db, org, config, 100_000)
    give_everyone_slack_ids(sqlite_db, NOW)  # known to perfbot already: a refusal stores nothing

    async def body(slack: Slack) -> list[str]:
        await slack.click(org.lm, "award_withdraw", str(withdrawn))
        await fake.wait_for("chat.update", 1)
        await slack.click(org.dg_a, "award_approve", str(decided), ts="1700000031.0001")
        await fake.wait_for("chat.update", 2)
        before = table_counts(sqlite_db)
        await slack.click(org.dg_a, "award_approve", str(withdrawn))
        await slack.click(org.dg_b, "award_undo", str(decided))
        await fake.wait_for("chat.postEphemeral", 2)
        assert table_counts(sqlite_db) == before
        return [c["text"] for c in fake.calls_to("chat.postEphemeral")]

    late, other = slack_run(body)
    assert "already withdrawn" in late
    assert "You can't undo" in other
    statuses = {a.id: a.status for a in rows(sqlite_db, Award)}
    assert statuses == {withdrawn: AwardStatus.WITHDRAWN, decided: AwardStatus.APPROVED}


def test_dg_approves_with_one_click_and_the_message_updates(
    slack_run, sqlite_db, org, config, fake
) -> None:
    award_id = nominate(sqlite_db, org, config)

    async def body(slack: Slack) -> None:
        await slack.click(org.dg_b, "award_approve", str(award_id))  # another group's DG
        await fake.wait_for("chat.postEphemeral", 1)
        await slack.click(org.dg_a, "award_approve", str(award_id))
        await fake.wait_for("chat.update", 1)
        await slack.click(org.dg_a, "award_approve", str(award_id))  # a second click
        await fake.wait_for("chat.postEphemeral", 2)

    slack_run(body)
    notes = [c["text"] for c in fake.calls_to("chat.postEphemeral")]
    assert "only the Director General for the nominee's group" in notes[0]
    assert "already approved by Dg A" in notes[1]
    [update] = fake.calls_to("chat.update")
    blocks = json.dumps(update["blocks"])
    assert "Approved by Dg A on 15 July 2026 at" in blocks and "UTC" not in blocks
    assert "award_approve" not in blocks and "award_undo" in blocks  # only Undo, for a while
    [award] = rows(sqlite_db, Award)
    assert award.status is AwardStatus.APPROVED and award.decided_by_id == org.dg_a


def test_f15_a_dg_approval_reaching_the_chief_secretary_threshold_says_what_happens_next(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """F15, guidance FAQ: totals of £17,500 "will require Chief Secretary to the Treasury
    approval": the DG is told the award is not final or paid until HR records it, and HR's
    status counts the awards waiting for it."""
    for _ in range(3):
        approved = nominate(sqlite_db, org, config, 500_000)
        with sqlite_db.write() as session:
            svc.decide_award(session, config=config, actor=org.actor("dg_a"), now=NOW,
                             award_id=approved, approve=True)  # fmt: skip
    award_id = nominate(sqlite_db, org, config, 250_000)

    async def body(slack: Slack) -> dict:
        await slack.click(org.dg_a, "award_approve", str(award_id))
        await fake.wait_for("chat.update", 1)
        await slack.command(org.hr, "status")
        return await slack.response()

    hr_status = json.dumps(slack_run(body))
    [update] = fake.calls_to("chat.update")
    blocks = " ".join(json.dumps(update["blocks"]).split())
    assert "Approved by Dg A" in blocks
    assert "not final, and not paid, until HR records that approval" in blocks
    assert "1 in-year award waits for it" in hr_status
    assert rows(sqlite_db, Award)[-1].status is AwardStatus.AWAITING_CST


def test_fifty_concurrent_clicks_on_approve_decide_once(
    slack_run, sqlite_db, org, config, fake
) -> None:
    award_id = nominate(sqlite_db, org, config)

    async def body(slack: Slack) -> list[int]:
        answers = await asyncio.gather(
            *(slack.click(org.dg_a, "award_approve", str(award_id)) for _ in range(50))
        )
        await fake.wait_for("chat.postEphemeral", 49, timeout=20)
        return [a.status for a in answers]

    assert slack_run(body) == [200] * 50
    assert len(fake.calls_to("chat.update")) == 1
    told = fake.calls_to("chat.postEphemeral")
    assert len(told) == 49 and all("already approved" in c["text"] for c in told)
    assert [a.status for a in rows(sqlite_db, Award)] == [AwardStatus.APPROVED]


def test_reject_needs_a_reason_and_updates_the_original_message(
    slack_run, sqlite_db, org, config, fake
) -> None:
    award_id = nominate(sqlite_db, org, config)

    async def body(slack: Slack) -> tuple[dict, dict]:
        await slack.click(
            org.dg_a, "award_reject", str(award_id), channel="D7", ts="1700000005.000100"
        )
        view = await slack.opened_view()
        empty = await (await slack.submit(org.dg_a, view, {"reason": ""})).json()
        done = await (await slack.submit(org.dg_a, view, {"reason": "Budget used"})).json()
        await fake.wait_for("chat.update")
        return empty, done

    empty, done = slack_run(body)
    assert set(empty["errors"]) == {"reason"}
    assert "Rejected by Dg A" in json.dumps(done)
    [update] = fake.calls_to("chat.update")
    assert (update["channel"], update["ts"]) == ("D7", "1700000005.000100")
    assert rows(sqlite_db, Award)[0].decision_reason == "Budget used"


# --- write-up with the gates shown before saving ---------------------------------------------
def test_end_year_write_up_shows_the_f8_gate_then_saves_everything(
    slack_run, sqlite_db, org, fake
) -> None:
    end_year = RunningClock(NOW.replace(year=2027, month=3, day=22))

    async def body(slack: Slack) -> tuple[dict, dict]:
        await slack.command(org.lm, "writeup end")
        view = await slack.opened_view()
        values = {
            "person": org.js,
            "what": "Delivered",
            "how": "Well",
            "recommended_rating": "exceeding",
            "value_for_money": "met",
            "delivery": "met",
            "culture": "not_met",
            "talent": "met",
            "finance_met": "met",
            "bias_acknowledged": True,
        }
        review = await (await slack.submit(org.lm, view, values)).json()
        confirm = await (
            await slack.submit(org.lm, review["view"], {}, root_view_id="V0", previous_view_id="V0")
        ).json()
        await fake.wait_for("views.update", 1)  # sent just after the answer
        return review, confirm

    review, confirm = slack_run(body, clock=end_year)
    # The review is pushed over the form: its Back returns to the form, every answer kept.
    assert review["response_action"] == "push" and review["view"]["close"]["text"] == "Back"
    assert review["view"]["callback_id"] == "perf:write_up_confirm"
    # Once saved, the form underneath says so too (Back can't submit it a second time).
    [root] = fake.calls_to("views.update")
    assert root["view_id"] == "V0" and "write-up for Js saved" in json.dumps(root["view"])
    text = json.dumps(review["view"])
    assert "Partially Met" in text and "Minimum standard not met" in text
    assert "360 feedback: not undertaken - no respondents are agreed this year" in text  # F24
    assert "write-up for Js saved" in json.dumps(confirm)
    [write] = rows(sqlite_db, WriteUp)
    assert write.recommended_rating.value == "exceeding" and write.bias_acknowledged
    assert len(rows(sqlite_db, MinimumStandardResult)) == 4
    assert rows(sqlite_db, FinanceOutcome)[0].met is True


def test_end_year_write_up_without_the_bias_tick_is_refused(slack_run, sqlite_db, org) -> None:
    async def body(slack: Slack) -> dict:
        await slack.command(org.lm, "writeup end")
        view = await slack.opened_view()
        values = {
            "person": org.js,
            "what": "Delivered",
            "how": "Well",
            "recommended_rating": "achieving",
            "value_for_money": "met",
            "delivery": "met",
            "culture": "met",
            "talent": "met",
            "finance_met": "met",
            "bias_acknowledged": False,
        }
        return await (await slack.submit(org.lm, view, values)).json()

    reply = slack_run(body, clock=RunningClock(NOW.replace(year=2027, month=3, day=22)))
    assert set(reply["errors"]) == {"bias_acknowledged"}
    assert rows(sqlite_db, WriteUp) == []


# --- nudges ---------------------------------------------------------------------------------------
def test_nudge_button_to_modal_to_rating_then_the_nudge_stops(
    slack_run, sqlite_db, org, config, fake
) -> None:
    from tests.fakes import FakeClock, give_everyone_slack_ids

    give_everyone_slack_ids(sqlite_db, NOW)
    monday = NOW.replace(month=6, day=29, hour=9)  # the Q1 before_1 reminder goes out
    with sqlite_db.write() as session:
        plan(session, config=config, now=monday)

    async def body(slack: Slack) -> None:
        channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))
        deliverer = Deliverer(sqlite_db, config, {"slack": channel}, clock=FakeClock(monday))
        await deliverer.run_until_idle()
        posts = fake.calls_to("chat.postMessage")
        # The line manager's reminders due today come as one list; Js's line has its button.
        [listed] = [p for p in posts if p["channel"] == "D" + user_id(org.lm)[1:]]
        line = next(b for b in listed["blocks"] if "Js's indicative rating" in json.dumps(b))
        button = line["accessory"]
        assert button["action_id"] == "rate"
        assert "Peer's indicative rating" in listed["text"]  # the others are in the same list
        await slack.click(org.lm, "rate", button["value"])
        view = await slack.opened_view()
        person = next(b for b in view["blocks"] if b.get("block_id") == "person")
        assert person["element"]["initial_option"]["value"] == str(org.js)
        await slack.submit(
            org.lm,
            view,
            {"person": org.js, "quarter": 1, "rating": "high_performing", "what": "w", "how": "h"},
        )
        await channel.close()

    slack_run(body, clock=RunningClock(monday))
    assert rows(sqlite_db, IndicativeRating)[0].rating.value == "high_performing"
    # The next step of that ladder (overdue, to the countersigning officer) is never sent.
    with sqlite_db.write() as session:
        plan(session, config=config, now=NOW.replace(month=7, day=3, hour=9))
    with sqlite_db.read() as session:
        later = session.exec(
            select(Outbox).where(
                Outbox.subject_id == org.js, Outbox.kind == "rating_due", Outbox.step == "overdue_3"
            )
        ).all()
    assert later == []


def test_snooze_button_moves_the_reminder(slack_run, sqlite_db, org, config, fake) -> None:
    monday = NOW.replace(month=6, day=29, hour=9)
    with sqlite_db.write() as session:
        plan(session, config=config, now=monday)
        row = session.exec(select(Outbox).where(Outbox.recipient_id == org.lm)).first()

    async def body(slack: Slack) -> None:
        await slack.click(org.peer, "snooze", f"{row.id}:2")  # not their reminder
        await slack.click(org.lm, "snooze", f"{row.id}:2")
        await fake.wait_for("chat.postEphemeral", 2)

    slack_run(body, clock=RunningClock(monday))
    notes = [c["text"] for c in fake.calls_to("chat.postEphemeral")]
    assert "can't snooze someone else's reminder" in notes[0]
    assert notes[1].startswith("Snoozed until Wednesday 1 July at 09:00")
    with sqlite_db.read() as session:
        assert session.get(Outbox, row.id).status is OutboxStatus.PENDING


# --- events, home and status -------------------------------------------------------------------
def test_an_event_delivered_four_times_is_handled_once(slack_run, org, fake) -> None:
    async def body(slack: Slack) -> list[int]:
        event = {
            "type": "app_home_opened",
            "user": user_id(org.hr),
            "tab": "home",
            "channel": "D1",
            "event_ts": "1700000000.1",
        }
        statuses = [
            (await slack.event(event, "Ev0001", retry=retry)).status for retry in (None, 1, 2, 3)
        ]
        await fake.wait_for("views.publish")
        await asyncio.sleep(0.3)
        return statuses

    assert slack_run(body) == [200, 200, 200, 200]
    [published] = fake.calls_to("views.publish")
    view = (
        json.loads(published["view"]) if isinstance(published["view"], str) else (published["view"])
    )
    text = json.dumps(view)
    assert view["type"] == "home" and "Completion by business unit" in text  # hr sees it


def test_a_dg_opens_home_and_approves_from_it(slack_run, sqlite_db, org, config, fake) -> None:
    """The Director General's home always carries what waits for their decision, with the
    button to it first (it was once cut to fit five buttons); from there they approve."""
    award = nominate(sqlite_db, org, config)
    give_everyone_slack_ids(sqlite_db, NOW)

    async def body(slack: Slack) -> dict[str, Any]:
        await slack.event({"type": "app_home_opened", "user": user_id(org.dg_a), "tab": "home",
                           "channel": "D1", "event_ts": "1700000000.2"}, "Ev0002")  # fmt: skip
        [published] = await fake.wait_for("views.publish")
        home = published["view"]
        home = json.loads(home) if isinstance(home, str) else home
        buttons = [b["accessory"] for b in home["blocks"] if "accessory" in b]
        assert buttons[0]["action_id"] == "award_show"  # the first line of the home page
        await slack.click(org.dg_a, "award_show", buttons[0]["value"])
        [pending] = await fake.wait_for("chat.postMessage", 1)
        await slack.click(org.dg_a, "award_approve", _button(pending, "award_approve")["value"],
                          channel=pending["channel"], ts="1700000040.0001")  # fmt: skip
        [decided] = await fake.wait_for("chat.update", 1)
        return {"home": home, "decided": decided}

    seen = slack_run(body)
    assert "Waiting for your decision" in json.dumps(seen["home"])
    assert "Approved by Dg A" in json.dumps(seen["decided"])
    assert rows(sqlite_db, Award)[0].status is AwardStatus.APPROVED and award


def test_status_for_a_line_manager_and_a_dg(slack_run, sqlite_db, org, config) -> None:
    nominate(sqlite_db, org, config)

    async def body(slack: Slack) -> tuple[dict, dict]:
        await slack.command(org.lm, "status")
        manager = await slack.response()
        await slack.command(org.dg_a, "status")
        return manager, await slack.response()

    manager, dg = slack_run(body)
    assert "Your team" in json.dumps(manager) and "Js: Q1 -, Q2 -" in json.dumps(manager)
    assert "Awaiting your decision*: 1 in-year award nomination" in json.dumps(dg)


# --- /perf export: the HR workbook by Slack file upload -----------------------------------------
def _audited_exports(db: Database) -> list[tuple[Any, ...]]:
    import sqlalchemy as sa

    with db.read() as session:
        return [
            tuple(r)
            for r in session.execute(
                sa.text("SELECT actor_id, via FROM audit_log WHERE action = 'workbook.export'")
            )
        ]


def test_hr_gets_the_workbook_in_a_direct_message(slack_run, sqlite_db, org, fake) -> None:
    import io

    from openpyxl import load_workbook

    async def body(slack: Slack) -> tuple[dict, dict, dict]:
        await slack.command(org.hr, "export 2026")
        preparing = await slack.response()
        (done,) = await fake.wait_for("files.completeUploadExternal", timeout=30)
        await slack.click(org.hr, "get_workbook", "2026")  # the HR nudges' button
        await fake.wait_for("files.completeUploadExternal", 2, timeout=30)
        return preparing, done, fake.calls_to("files.getUploadURLExternal")[0]

    preparing, done, asked = slack_run(body)
    assert "Preparing the HR workbook for 2026-27" in preparing["text"]
    assert fake.calls_to("conversations.open")[0]["users"] == user_id(org.hr)
    assert done["channel_id"] == "D" + user_id(org.hr)[1:]  # the HR person's DM
    assert asked["filename"] == "perfbot-2026-27.xlsx"
    (data, _second) = fake.uploads.values()
    assert int(asked["length"]) == len(data)
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert {"Summary", "Ratings", "Consistency check"} <= set(book.sheetnames)
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if len(r) > 1}
    assert summary["Generated by"] == "Hr" and summary["Performance year"] == "2026-27"
    assert _audited_exports(sqlite_db) == [(org.hr, "slack"), (org.hr, "slack")]


def test_export_is_refused_to_anyone_but_hr(slack_run, sqlite_db, org, fake) -> None:
    async def body(slack: Slack) -> tuple[dict, dict, dict]:
        await slack.command(org.lm, "export")
        refused = await slack.response()
        await slack.command(org.hr, "export 26")
        bad = await slack.response()
        await slack.command(org.hr, "export 9999")
        return refused, bad, await slack.response()

    refused, bad_year, far_year = slack_run(body)
    assert refused["text"].startswith("Only HR can export the workbook")
    assert "'26' is not a year" in bad_year["text"]
    assert "'9999' is not a year" in far_year["text"]
    assert fake.calls_to("files.getUploadURLExternal") == [] and fake.uploads == {}
    assert _audited_exports(sqlite_db) == []


# --- the app manifest ---------------------------------------------------------------------------
def test_manifest_is_valid_against_slacks_published_schema() -> None:
    schema_file = SHARED / "schemas" / "slack" / "manifest.schema.1.0.0.json"
    if not schema_file.exists():
        pytest.skip(f"Slack's manifest schema is not beside the project ({schema_file})")
    import jsonschema
    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yaml").read_text())
    validator = jsonschema.Draft7Validator(json.loads(schema_file.read_text()))
    assert list(validator.iter_errors(manifest)) == []
    assert manifest["features"]["slash_commands"][0]["command"] == "/perf"
    assert manifest["features"]["shortcuts"][0]["callback_id"] == "save_as_evidence"
    # The validator really checks: a broken manifest fails.
    broken = dict(manifest, display_information={"description": "no name"})
    assert list(validator.iter_errors(broken))


def test_objectives_self_assessment_and_development_plan_end_to_end(
    slack_run, sqlite_db, org, config
) -> None:
    from store.models import DevelopmentPlan, Objective

    with sqlite_db.write() as session:  # two Partially Met quarters: F10 prompts a plan
        for quarter in (1, 2):
            svc.record_indicative_rating(
                session,
                config=config,
                actor=org.actor("lm"),
                subject_id=org.js,
                quarter=quarter,
                rating="Partially Met",
                what_note="w",
                how_note="h",
                now=NOW,
            )

    async def body(slack: Slack) -> list[dict[str, Any]]:
        replies = []
        await slack.command(org.js, "objective")
        view = await slack.opened_view(1)
        replies.append(
            await (
                await slack.submit(
                    org.js,
                    view,
                    {
                        "person": org.js,
                        "heading": "finance",
                        "what": "Save £2m",
                        "how": "With partners",
                        "measure": "Audited savings",
                    },
                )
            ).json()
        )
        await slack.command(org.js, "self mid")
        view = await slack.opened_view(2)
        replies.append(await (await slack.submit(org.js, view, {"text": "A good half"})).json())
        await slack.click(org.lm, "development_plan", str(org.js))
        view = await slack.opened_view(3)
        replies.append(
            await (
                await slack.submit(
                    org.lm, view, {"person": org.js, "status": "agreed", "review_on": None}
                )
            ).json()
        )  # no date yet
        replies.append(
            await (
                await slack.submit(
                    org.lm, view, {"person": org.js, "status": "agreed", "review_on": "2026-09-01"}
                )
            ).json()
        )
        return replies

    objective, self_review, no_date, plan_saved = slack_run(body)
    assert "Objective saved" in json.dumps(objective)
    assert "1 live objective; 3 to 6 are recommended" in json.dumps(objective)  # F12
    # F11: what is still needed before the line manager can agree them.
    still = "Still needed before they can be agreed: Business delivery, People/capability and "
    assert still + "Corporate contribution" in json.dumps(objective)
    assert "self-assessment is saved" in json.dumps(self_review)
    assert set(no_date["errors"]) == {"review_on"}  # F10: schedule the review meeting
    assert "Development plan saved" in json.dumps(plan_saved)
    assert rows(sqlite_db, Objective)[0].heading.value == "finance"
    assert rows(sqlite_db, WriteUp)[0].self_assessment == "A good half"
    assert rows(sqlite_db, DevelopmentPlan)[0].status.value == "agreed"


def test_a_leaver_may_read_their_own_record_but_change_nothing(
    slack_run, sqlite_db, org, config
) -> None:
    """Hardening, decided: someone who has left keeps read-only access to their own status
    and home (their record is theirs to see); every write is refused."""
    from datetime import date

    async def body(slack: Slack) -> tuple[dict[str, Any], dict[str, Any]]:
        await slack.command(org.lm, "status")  # known to perfbot before leaving
        await slack.response()
        with sqlite_db.write() as session:
            svc.record_department_move(
                session, config=config, actor=org.actor("hr"), subject_id=org.lm,
                left_to="Department for Elsewhere", left_on=date(2026, 7, 1), now=NOW,
            )  # fmt: skip
        await slack.command(org.lm, "status")
        status = await slack.response()
        await slack.command(org.lm, "rate")
        view = await slack.opened_view()
        values = {"person": org.js, "quarter": 1, "rating": "achieving", "what": "w", "how": "h"}
        return status, await (await slack.submit(org.lm, view, values)).json()

    status, refused = slack_run(body)
    assert "Your record" in json.dumps(status)
    assert "not in the current roster" in json.dumps(refused)
    assert rows(sqlite_db, IndicativeRating) == []


def test_typed_text_cannot_mention_everyone_or_hide_a_link(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """Hardening: an award reason is whatever the nominator typed; shown to the DG (in their
    DM, never the channel the button was pressed in) it reads as typed - no @channel
    notification, no disguised link."""
    reason = "<!channel> see <http://evil.example/|your bonus> & more"
    with sqlite_db.write() as session:
        svc.nominate_award(
            session, config=config, actor=org.actor("lm"), nominee_id=org.js,
            amount_pence=100_000, reason=reason, now=NOW,
        )  # fmt: skip

    async def body(slack: Slack) -> None:
        await slack.click(org.dg_a, "award_pending", "", channel="C-shared")
        await fake.wait_for("chat.postMessage")

    slack_run(body)
    (posted,) = fake.calls_to("chat.postMessage")
    assert posted["channel"] == "D" + user_id(org.dg_a)[1:]  # the DG's DM, not C-shared
    shown = json.dumps(posted)
    assert "<!channel>" not in shown and "<http" not in shown
    assert "&lt;!channel&gt; see &lt;http://evil.example/|your bonus&gt; &amp; more" in shown


# --- F23: agreeing a write-up, by the people who take part -------------------------------------
def _button(post: dict[str, Any], action_id: str) -> dict[str, Any]:
    """A button in a message: in its actions, or beside a line of a to-do list."""
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    buttons += [b["accessory"] for b in post["blocks"] if b.get("accessory")]
    return next(e for e in buttons if e["action_id"] == action_id)


def test_f23_a_write_up_is_read_agreed_or_commented_then_countersigned_in_chat(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """F23, guidance Annex B and D: the job holder reads the manager's assessment and agrees it
    (or comments, which goes back to the manager) before moderation; then the countersigning
    officer countersigns. Nobody else can, and a refusal stores nothing."""
    from tests.fakes import FakeClock

    give_everyone_slack_ids(sqlite_db, NOW)
    monday = NOW.replace(month=10, day=12, hour=10)
    with sqlite_db.write() as session:
        svc.record_manager_assessment(
            session, config=config, actor=org.actor("lm"), subject_id=org.js, stage="mid_year",
            what="Delivered the spending review", how="Brought people with her", now=monday,
        )  # fmt: skip
        plan(session, config=config, now=monday)
    value = f"{org.js}:mid_year:2026"

    async def deliver() -> list[dict[str, Any]]:
        channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))
        await Deliverer(
            sqlite_db, config, {"slack": channel}, clock=FakeClock(monday)
        ).run_until_idle()
        await channel.close()
        return fake.calls_to("chat.postMessage")

    async def body(slack: Slack) -> dict[str, Any]:
        posts = await deliver()
        nudge = next(p for p in posts if "write-up to agree" in json.dumps(p))
        assert nudge["channel"] == "D" + user_id(org.js)[1:]
        await slack.click(org.js, "write_up_read", _button(nudge, "write_up_read")["value"])
        shown = (await fake.wait_for("chat.postMessage", len(posts) + 1))[-1]
        # Refusals: a colleague can't agree it; the countersigning officer can't go first.
        before = table_counts(sqlite_db)
        await slack.click(org.peer, "write_up_agree", value)
        await slack.click(org.ps, "write_up_agree", value)
        await fake.wait_for("chat.postEphemeral", 2)
        assert table_counts(sqlite_db) == before  # nothing stored
        # A comment first: kept beside it, and the manager is asked to read it.
        await slack.click(org.js, "write_up_comment", value)
        view = await slack.opened_view()
        await slack.submit(org.js, view, {"comment": "The how should mention the recruitment."})
        with sqlite_db.write() as session:  # the next planner tick: the manager is told
            plan(session, config=config, now=monday.replace(minute=5))
        await slack.click(org.js, "write_up_agree", _button(shown, "write_up_agree")["value"],
                          channel=shown["channel"], ts="1700000009.000100")  # fmt: skip
        await fake.wait_for("chat.update", 1)
        return {"shown": shown}

    seen = slack_run(body, clock=RunningClock(monday))
    blocks = json.dumps(seen["shown"]["blocks"])
    assert "Delivered the spending review" in blocks and "Brought people with her" in blocks
    assert "waiting for you to agree it" in blocks  # the job holder reads "you"
    notes = [c["text"] for c in fake.calls_to("chat.postEphemeral")]
    assert "only the job holder, line manager or countersigning officer can" in notes[0]
    assert "Js has not agreed this write-up yet" in notes[1]
    [update] = fake.calls_to("chat.update")
    agreed = json.dumps(update["blocks"])
    assert (
        "agreed by you on 12 October 2026" in agreed and "waiting for Ps to countersign" in agreed
    )
    assert "write_up_agree" not in agreed  # the buttons go once it is agreed
    [row] = rows(sqlite_db, WriteUp)
    assert row.job_holder_comment == "The how should mention the recruitment."
    assert row.job_holder_agreed_at is not None and row.countersigned_at is None

    # The next tick asks the countersigning officer (the comment's ask is done: agreed).
    asks_kinds = ("write_up_agreement", "write_up_countersign")
    later = monday.replace(hour=11)
    with sqlite_db.write() as session:
        plan(session, config=config, now=later)
        asks = session.exec(select(Outbox).where(col(Outbox.kind).in_(asks_kinds))).all()
    assert {(a.recipient_id, a.kind, a.step.split("_")[0]) for a in asks} == {
        (org.js, "write_up_agreement", "agree"), (org.lm, "write_up_agreement", "commented"),
        (org.ps, "write_up_countersign", "countersign"),
    }  # fmt: skip

    async def countersign(slack: Slack) -> None:
        await slack.click(org.ps, "write_up_read", value)
        shown = (await fake.wait_for("chat.postMessage", 1))[-1]
        await slack.click(org.ps, "write_up_agree", _button(shown, "write_up_agree")["value"],
                          channel=shown["channel"], ts="1700000010.000100")  # fmt: skip
        await fake.wait_for("chat.update", 2)

    fake.calls.clear()
    slack_run(countersign, clock=RunningClock(later))
    assert rows(sqlite_db, WriteUp)[0].countersigned_at is not None
    assert "countersigned by Ps on 12 October 2026" in json.dumps(fake.calls_to("chat.update")[-1])


def test_f26_the_final_rating_reaches_the_job_holder_only_after_hr_releases_it(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """F26: "No moderated rating reaches a job holder before HR releases the year"; then each
    job holder and line manager is told the final rating in chat, with the reason when it
    differs from the recommendation, and their status shows it."""
    from tests.conftest import end_year_ready
    from tests.fakes import FakeClock

    give_everyone_slack_ids(sqlite_db, NOW)
    written, moderated = (
        datetime(2027, 3, 22, 10, tzinfo=UTC),
        datetime(2027, 5, 10, 10, tzinfo=UTC),
    )
    released = datetime(2027, 6, 1, 10, tzinfo=UTC)
    with sqlite_db.write() as session:
        end_year_ready(session, config, written, manager=org.actor("lm"), subject_id=org.js,
                       signers=(org.actor("js"),), recommended="High Performing")  # fmt: skip
        svc.record_moderated_rating(session, config=config, actor=org.actor("hr"),
                                    subject_id=org.js, rating="Achieving",
                                    reason="Panel: strong, not stand-out", now=moderated,
                                    year=2026)  # fmt: skip

    async def statuses(slack: Slack) -> list[str]:
        slack.responses_seen, seen = len(fake.responses), []  # the fake outlives each run
        for who in (org.js, org.lm, org.hr):
            await slack.command(who, "status")
            seen.append(json.dumps(await slack.response()))
        return seen

    js, lm, hr = slack_run(statuses, clock=RunningClock(moderated))
    assert "Achieving" not in js and "Final rating" not in js + lm  # not before the release
    assert "1 moderated rating is recorded and not yet released" in hr
    with sqlite_db.write() as session:
        svc.release_outcomes(session, config=config, actor=org.actor("hr"), now=released)
        plan(session, config=config, now=released)

    async def told(slack: Slack) -> dict[str, str]:
        slack.responses_seen = len(fake.responses)
        channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))
        await Deliverer(
            sqlite_db, config, {"slack": channel}, clock=FakeClock(released)
        ).run_until_idle()
        await channel.close()
        posts = [p for p in fake.calls_to("chat.postMessage") if "final rating" in p["text"]]
        by = {p["channel"]: p for p in posts}
        assert len(posts) == len(by) == 2  # one message each to the job holder and the manager
        to_js = by["D" + user_id(org.js)[1:]]
        await slack.click(org.js, "status", _button(to_js, "status")["value"])
        return {
            "js": json.dumps(to_js),
            "lm": json.dumps(by["D" + user_id(org.lm)[1:]]),
            "status": json.dumps(await slack.response()),
        }

    seen = slack_run(told, clock=RunningClock(released))
    told_js, told_lm, status = seen["js"], seen["lm"], seen["status"]
    assert "Your final rating for 2026-27 is Achieving" in told_js
    assert "Your line manager recommended High Performing" in told_js
    assert "Panel: strong, not stand-out" in told_js
    assert "Js's final rating for 2026-27 is Achieving" in told_lm
    assert "Final rating for 2026-27: Achieving" in status
    js, lm, hr = slack_run(statuses, clock=RunningClock(released))
    assert "Final rating for 2026-27: Achieving" in js
    assert "Final ratings, 2026-27" in lm and "Js: Achieving" in lm
    assert "not yet released" not in hr


def test_f11_f13_f17_objectives_revised_closed_and_a_met_milestone_nominated_in_chat(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """F13: a revision sits beside the original ("nothing is overwritten"); F12: closing one
    frees a place under the eight; F17: a milestone the line manager marks met offers "Nominate
    an award for this milestone". A colleague can do none of it, and nothing is stored."""
    from store.models import Award, Objective, ObjectiveMilestone, ObjectiveRevision

    with sqlite_db.write() as session:
        ids = [
            svc.set_objective(session, config=config, actor=org.actor("js"), subject_id=org.js,
                              heading=h, what=f"Deliver {h}", how="Together", now=NOW
                              ).objective.id
            for h in ("business_delivery", "finance", "people", "corporate")
        ]  # fmt: skip
        svc.agree_objectives(session, config=config, actor=org.actor("lm"), subject_id=org.js,
                             now=NOW)  # fmt: skip
    give_everyone_slack_ids(sqlite_db, NOW)

    def button(post: dict[str, Any], action_id: str) -> str:
        return _button(post, action_id)["value"]

    async def body(slack: Slack) -> dict[str, Any]:
        await slack.command(org.js, "objectives")
        posts = await fake.wait_for("chat.postMessage", 5)  # the summary and one each
        first = next(p for p in posts if "Deliver business_delivery" in json.dumps(p))
        # Refusals first: a colleague can't revise, close or see them.
        before = table_counts(sqlite_db)
        await slack.click(org.peer, "objective_revise", button(first, "objective_revise"))
        await slack.click(org.peer, "objectives_list", str(org.js))
        await fake.wait_for("chat.postEphemeral", 2)
        assert table_counts(sqlite_db) == before
        await slack.click(org.js, "objective_revise", button(first, "objective_revise"))
        revise = await slack.opened_view(1)
        no_reason = await (
            await slack.submit(org.js, revise, {"what": "Deliver the bill", "how": "Together"})
        ).json()
        revised = await (
            await slack.submit(org.js, revise, {"what": "Deliver the bill", "how": "Together",
                                                "reason": "The bill moved to spring"})
        ).json()  # fmt: skip
        finance = next(p for p in posts if "Deliver finance" in json.dumps(p))
        await slack.click(org.js, "objective_close", button(finance, "objective_close"))
        closed = await (
            await slack.submit(org.js, await slack.opened_view(2), {"reason": "Done early"})
        ).json()
        await slack.click(org.js, "milestones_list", button(first, "milestones_list"))
        [*_, no_milestones] = await fake.wait_for("chat.postMessage", len(posts) + 1)
        await slack.click(org.js, "milestone_add", button(no_milestones, "milestone_add"))
        added = await (
            await slack.submit(org.js, await slack.opened_view(3),
                               {"title": "Second reading", "due_on": "2026-11-30"})
        ).json()  # fmt: skip
        # The line manager opens js's objectives, then the milestones, and marks it met.
        seen = len(fake.calls_to("chat.postMessage"))
        await slack.click(org.lm, "objectives_list", str(org.js))
        shown = await fake.wait_for("chat.postMessage", seen + 4)  # the summary and three left
        mine = next(p for p in shown[seen:] if "Deliver the bill" in json.dumps(p))
        await slack.click(org.lm, "milestones_list", button(mine, "milestones_list"))
        [*_, with_milestone] = await fake.wait_for("chat.postMessage", seen + 6)
        assert "Second reading" in with_milestone["text"] + json.dumps(with_milestone["blocks"])
        await slack.click(org.peer, "milestone_met", button(with_milestone, "milestone_met"))
        await fake.wait_for("chat.postEphemeral", 3)
        await slack.click(org.lm, "milestone_met", button(with_milestone, "milestone_met"),
                          channel="D000004", ts="1700000011.000100")  # fmt: skip
        [updated] = await fake.wait_for("chat.update", 1)
        await slack.click(org.lm, "award_milestone", button(updated, "award_milestone"))
        nominate = await slack.opened_view(4)
        why = "Second reading a month early"
        await slack.submit(org.lm, nominate, {"nominee": org.js, "amount": "1000", "reason": why})
        return {"no_reason": no_reason, "revised": revised, "closed": closed, "added": added,
                "updated": updated, "nominate": nominate, "shown": shown}  # fmt: skip

    seen = slack_run(body)
    assert (
        set(seen["no_reason"]["errors"]) == {"how", "reason"}
        or "reason" in seen["no_reason"]["errors"]
    )
    assert "Your line manager has been asked to agree your objectives again" in json.dumps(
        seen["revised"]
    )  # F11: the agreed set changed
    assert "Objective closed" in json.dumps(seen["closed"])
    assert "is due by 30 November 2026" in json.dumps(seen["added"])
    notes = [c["text"] for c in fake.calls_to("chat.postEphemeral")]
    assert "You can't revise Js's objectives" in notes[0]
    assert "only they and their line manager can" in notes[1]
    assert "You can't confirm milestones on Js's objectives" in notes[2]
    updated = json.dumps(seen["updated"])
    assert "Met on 15 July 2026, confirmed by Lm." in updated
    assert "Nominate an award for this milestone" in updated
    assert "For the milestone met: Second reading" in json.dumps(seen["nominate"])
    with sqlite_db.read() as session:
        wording = session.exec(
            select(ObjectiveRevision.what).where(ObjectiveRevision.objective_id == ids[0])
            .order_by(ObjectiveRevision.number)
        ).all()  # fmt: skip
        assert wording == ["Deliver business_delivery", "Deliver the bill"]  # F13: both kept
        assert session.get(Objective, ids[1]).status.value == "closed"
        milestone = session.exec(select(ObjectiveMilestone)).one()
        assert milestone.met_on is not None and milestone.met_recorded_by_id == org.lm
        award = session.exec(select(Award)).one()
        assert (award.milestone_id, award.objective_id) == (milestone.id, ids[0])
        assert svc.objectives_agreement(session, org.js, 2026) is None  # to agree again


def test_f24_respondents_proposed_agreed_and_removed_in_chat_then_360_follows(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """F24: "Respondents are agreed between job holder and line manager"; "360 undertaken"
    cannot be yes with no agreed respondents - so the end-year write-up takes it from them."""
    from store.models import FeedbackRespondent
    from tests.fakes import FakeClock

    give_everyone_slack_ids(sqlite_db, NOW)

    async def propose(slack: Slack) -> list[dict[str, Any]]:
        await slack.command(org.js, "360")
        [summary] = await fake.wait_for("chat.postMessage", 1)
        replies = []
        for n, who in enumerate(("peer@dept.example", "Sam Cole, HM Treasury", "nobody@x.org")):
            await slack.click(
                org.js, "respondent_propose", _button(summary, "respondent_propose")["value"]
            )
            view = await slack.opened_view(n + 1)
            answer = await slack.submit(org.js, view, {"respondent": who, "relationship": "Peer"})
            replies.append(await answer.json())
        return replies

    first, second, unknown = slack_run(propose)
    assert "Peer is proposed" in json.dumps(first) and "Sam Cole" in json.dumps(second)
    assert "No one in the roster has the email" in unknown["errors"]["respondent"]
    with sqlite_db.write() as session:
        plan(session, config=config, now=NOW)
    fake.calls.clear()

    async def agree(slack: Slack) -> dict[str, Any]:
        channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))
        await Deliverer(
            sqlite_db, config, {"slack": channel}, clock=FakeClock(NOW)
        ).run_until_idle()
        await channel.close()
        ask = next(p for p in fake.calls_to("chat.postMessage") if "360 respondents" in p["text"])
        assert ask["channel"] == "D" + user_id(org.lm)[1:]  # the line manager is asked
        seen = len(fake.calls_to("chat.postMessage"))
        await slack.click(org.lm, "respondents_list", _button(ask, "respondents_list")["value"])
        shown = (await fake.wait_for("chat.postMessage", seen + 3))[seen:]  # a summary and two
        peer = next(p for p in shown if p["text"].startswith("Peer."))
        sam = next(p for p in shown if "outside the department" in p["text"])
        before = table_counts(sqlite_db)
        await slack.click(org.peer, "respondent_agree", _button(peer, "respondent_agree")["value"])
        await fake.wait_for("chat.postEphemeral", 1)
        assert table_counts(sqlite_db) == before  # a colleague can't agree it
        await slack.click(org.lm, "respondent_agree", _button(peer, "respondent_agree")["value"],
                          ts="1700000021.0001")  # fmt: skip
        await slack.click(org.lm, "respondent_remove", _button(sam, "respondent_remove")["value"],
                          ts="1700000022.0001")  # fmt: skip
        return {"updates": await fake.wait_for("chat.update", 2)}

    updates = json.dumps(slack_run(agree)["updates"])
    assert "Agreed on 15 July 2026" in updates and "Removed by you" in updates
    notes = [c["text"] for c in fake.calls_to("chat.postEphemeral")]
    assert "only Js's line manager can" in notes[0]

    async def write_up(slack: Slack) -> dict[str, Any]:
        await slack.command(org.lm, "writeup end")
        view = await slack.opened_view()
        standards = dict.fromkeys(("value_for_money", "delivery", "culture", "talent"), "met")
        values = {"person": org.js, "what": "Delivered", "how": "Well",
                  "recommended_rating": "achieving", "finance_met": "met",
                  "bias_acknowledged": True} | standards  # fmt: skip
        review = await (await slack.submit(org.lm, view, values)).json()
        await slack.submit(org.lm, review["view"], {}, root_view_id="V0", previous_view_id="V0")
        return review

    review = slack_run(write_up, clock=RunningClock(NOW.replace(year=2027, month=3, day=22)))
    assert "360 feedback: undertaken, from 1 agreed respondent (Peer)." in json.dumps(review)
    [write] = rows(sqlite_db, WriteUp)
    assert write.feedback_360 is True  # derived from the agreed respondent, never typed
    live = [r for r in rows(sqlite_db, FeedbackRespondent) if r.removed_at is None]
    assert [(r.respondent, r.respondent_person_id) for r in live] == [("Peer", org.peer)]


def test_f14_a_saved_message_keeps_its_author_and_the_portfolio_edits_and_deletes(
    slack_run, sqlite_db, org
) -> None:
    """F14: the portfolio of evidence, by minimum standard and objective; "Save as evidence"
    records who wrote the message and when; only its owner edits or deletes an item."""
    give_everyone_slack_ids(sqlite_db, NOW)

    async def body(slack: Slack) -> dict[str, Any]:
        await slack.interactive(
            {"type": "message_action", "callback_id": "save_as_evidence",
             "user": {"id": user_id(org.js)}, "channel": {"id": "C42"},
             "message": {"type": "message", "text": "Thanks for chairing the panel so well",
                         "ts": "1784021400.000100", "user": user_id(org.peer)},
             "message_ts": "1784021400.000100"}
        )  # fmt: skip
        form = await slack.opened_view(1)
        said = "Thanks for chairing the panel so well"
        await slack.submit(org.js, form, {"target": "standard:culture", "text": said})
        await slack.command(org.js, "portfolio")
        portfolio = await slack.response()
        await slack.click(org.js, "evidence_change", "")
        pick = await slack.opened_view(2)
        [item] = rows(sqlite_db, Evidence)
        stranger = await (
            await slack.submit(org.peer, pick, {"item": str(item.id), "change": "edit"})
        ).json()
        edit = await (
            await slack.submit(org.js, pick, {"item": str(item.id), "change": "edit"})
        ).json()
        edited = await (
            await slack.submit(org.js, edit["view"], {"target": "standard:talent",
                                                       "text": "Chaired the panel"})
        ).json()  # fmt: skip
        delete = await (
            await slack.submit(org.js, pick, {"item": str(item.id), "change": "delete"})
        ).json()
        before = rows(sqlite_db, Evidence)
        deleted = await (await slack.submit(org.js, delete["view"], {})).json()
        return {"form": form, "portfolio": portfolio, "stranger": stranger, "edit": edit,
                "edited": edited, "before": before, "deleted": deleted}  # fmt: skip

    seen = slack_run(body)
    # 1784021400 is 14 July 2026, 09:30 UTC: 10:30 in London.
    assert "From a message by Peer on 14 July 2026 at 10:30." in json.dumps(seen["form"])
    shown = json.dumps(seen["portfolio"])
    assert "*Minimum standard: Culture" in shown and "from Peer's message" in shown
    assert seen["stranger"]["errors"] == {"item": "Choose one of your own items."}
    assert "Thanks for chairing the panel so well" in json.dumps(seen["edit"]["view"])
    assert "Evidence updated" in json.dumps(seen["edited"])
    [kept] = seen["before"]
    assert (kept.text, kept.standard.value, kept.source_author) == (
        "Chaired the panel",
        "talent",
        "Peer",
    )  # edited; where it came from stays
    assert kept.source_posted_at.replace(microsecond=0) == datetime(2026, 7, 14, 9, 30, tzinfo=UTC)
    assert "Evidence deleted" in json.dumps(seen["deleted"])
    assert rows(sqlite_db, Evidence) == []
    with sqlite_db.read() as session:
        import sqlalchemy as sa

        actions = session.execute(
            sa.text("SELECT action, old FROM audit_log WHERE entity = 'evidence' ORDER BY id")
        ).all()
    assert [a for a, _ in actions] == ["evidence.add", "evidence.edit", "evidence.delete"]
    assert "Chaired" not in json.dumps([o for _, o in actions])  # the words are not kept


def test_reminder_settings_from_chat(slack_run, sqlite_db, org) -> None:
    """One list a person: they choose the hour it comes and whether evidence prompts do."""
    from store.models import Preference

    async def body(slack: Slack) -> list[dict[str, Any]]:
        await slack.command(org.js, "settings")
        view = await slack.opened_view()
        late = await slack.submit(org.js, view, {"list_at": "19:00", "evidence_prompts": "on"})
        saved = await slack.submit(org.js, view, {"list_at": "14:00", "evidence_prompts": "off"})
        return [await late.json(), await saved.json()]

    late, saved = slack_run(body)
    assert late["response_action"] == "errors" and set(late["errors"]) == {"list_at"}
    assert "will arrive at 14:00. Evidence prompts are off." in json.dumps(saved)
    [chosen] = rows(sqlite_db, Preference)
    assert (chosen.person_id, f"{chosen.list_at:%H:%M}", chosen.evidence_prompts) == (
        org.js,
        "14:00",
        False,
    )
