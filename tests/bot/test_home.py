"""Home by role: what each person needs to do next, and by when, at each point of the year,
on both platforms - and the journeys that start from it over signed HTTP."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.flows import home
from bot.flows.model import Button, Context, Message
from bot.slack.render import home_view
from bot.teams.cards import message_card
from store import services as svc
from store.db import Database
from store.framework import Rating
from store.models import Via
from tests.bot.slack_harness import Slack, user_id
from tests.bot.teams_harness import Teams, activity
from tests.bot.test_cards import _valid, validator  # noqa: F401  (a fixture)
from tests.bot.test_render import _check_message
from tests.conftest import NOW, Org, end_year_ready, make_org
from tests.fakes import RunningClock

# Points of the 2026-27 year a home is looked at.
BEFORE_OBJECTIVES = datetime(2026, 4, 20, 9, tzinfo=UTC)
MID_YEAR = datetime(2026, 10, 20, 9, tzinfo=UTC)
END_YEAR = datetime(2027, 4, 12, 9, tzinfo=UTC)  # the year has ended; moderation is under way
AFTER_MODERATION = datetime(2027, 6, 2, 9, tzinfo=UTC)  # HR has released the final ratings
POINTS = {
    "before-objectives": BEFORE_OBJECTIVES,
    "mid-year": MID_YEAR,
    "end-year": END_YEAR,
    "after-moderation": AFTER_MODERATION,
}
ROLES = ("js", "lm", "dg_a", "hr", "ps")


def year_up_to(db: Database, org: Org, config: Any, now: datetime) -> None:
    """The small organisation's year as far as ``now``, made through the services: Js rated
    Partially Met twice (so a development plan is prompted), a nomination waiting for Dg A,
    and at the end the write-up, the moderated rating and the release."""
    rate = {"config": config, "actor": org.actor("lm"), "subject_id": org.js}
    with db.write() as session:
        if now >= MID_YEAR:
            for quarter, when in ((1, datetime(2026, 7, 1, 10, tzinfo=UTC)),
                                  (2, datetime(2026, 10, 5, 10, tzinfo=UTC))):  # fmt: skip
                svc.record_indicative_rating(session, quarter=quarter, rating="Partially Met",
                                             what_note="w", how_note="h", now=when,
                                             **rate)  # fmt: skip
            svc.nominate_award(session, config=config, actor=org.actor("lm"), nominee_id=org.peer,
                               amount_pence=250_000, reason="Led the review",
                               now=datetime(2026, 10, 6, 10, tzinfo=UTC))  # fmt: skip
        if now >= END_YEAR:
            written = datetime(2027, 3, 25, 10, tzinfo=UTC)
            for quarter in (3, 4):
                svc.record_indicative_rating(session, quarter=quarter, rating="Achieving",
                                             what_note="w", how_note="h", now=written,
                                             **rate)  # fmt: skip
            end_year_ready(session, config, written, manager=org.actor("lm"), subject_id=org.js,
                           signers=(org.actor("js"),))  # fmt: skip
        if now >= AFTER_MODERATION:
            svc.record_moderated_rating(session, config=config, actor=org.actor("hr"),
                                        subject_id=org.js, rating="Achieving", reason="Panel",
                                        now=datetime(2027, 5, 10, 10, tzinfo=UTC),
                                        year=2026)  # fmt: skip
            svc.release_outcomes(session, config=config, actor=org.actor("hr"),
                                 now=datetime(2027, 6, 1, 10, tzinfo=UTC))  # fmt: skip


def homes_at(db: Database, tmp_path: Path, config: Any, now: datetime) -> dict[str, Message]:
    org = make_org(db, tmp_path)
    year_up_to(db, org, config, now)
    with db.read() as session:
        return {
            key: home.home(session, Context(org.ids[key], Via.SLACK, now), config) for key in ROLES
        }


def buttons(message: Message) -> list[Button]:
    return [b for _, b in message.items if b is not None] + list(message.buttons)


def said(message: Message) -> str:
    return "\n".join([message.text, *(line for line, _ in message.items)])


@pytest.mark.parametrize("point", POINTS)
def test_every_role_has_a_home_at_each_point_of_the_year(
    sqlite_db: Database, tmp_path: Path, config: Any, point: str
) -> None:
    homes = homes_at(sqlite_db, tmp_path, config, POINTS[point])
    for key, message in homes.items():
        _check_message(home_view(message)["blocks"])  # within Slack's limits, nothing cut
        assert "Your year" in said(message), key  # everyone's own year
    hr = said(homes["hr"])
    assert "get_workbook" in {b.action_id for b in buttons(homes["hr"])}
    if point == "end-year":  # the closing year until its moderation is done, not Q1
        assert "Closing the year 2026-27" in hr and "Q4 rated 1/" in hr
        assert "Completion by business unit" not in hr
    else:
        assert "Completion by business unit" in hr and "Closing the year" not in hr
    # The Director General: what waits for their decision, always, first, with its button.
    dg = homes["dg_a"]
    assert dg.items[0][0] == "*Waiting for your decision*"
    if point in ("mid-year", "end-year", "after-moderation"):
        line, button = dg.items[1]
        assert "£2,500 in-year award for Peer, nominated by Lm on 6 October 2026" in line
        assert button is not None and button.action_id == "award_show"
    else:
        assert "No award nominations are waiting" in dg.items[1][0]


@pytest.mark.parametrize("point", POINTS)
def test_every_home_is_a_valid_adaptive_card(
    validator,  # noqa: F811
    sqlite_db: Database,
    tmp_path: Path,
    config: Any,
    point: str,
) -> None:
    for message in homes_at(sqlite_db, tmp_path, config, POINTS[point]).values():
        _valid(validator, message_card(message))


def test_a_line_managers_home_has_a_line_and_a_button_per_report(
    sqlite_db: Database, tmp_path: Path, config: Any
) -> None:
    homes = homes_at(sqlite_db, tmp_path, config, MID_YEAR)
    lines = {line.split("*")[1]: (line, b) for line, b in homes["lm"].items if line.count("*") >= 2}
    js_line, js_button = lines["Js"]
    assert "Q1 Partially Met, Q2 Partially Met" in js_line
    assert "Development plan to draw up" in js_line  # F10 comes before anything else
    assert js_button is not None
    assert (js_button.action_id, js_button.label) == ("development_plan", "Record the plan")
    peer_line, peer_button = lines["Peer"]
    assert "Objectives to agree, overdue since Friday 29 May (and 2 more overdue)" in peer_line
    assert peer_button is not None and peer_button.value.isdigit()  # opened for Peer
    assert (peer_button.action_id, peer_button.label) == ("objectives_list", "See objectives")
    assert {"Js", "Peer", "Ppm"} <= set(lines)


def test_a_job_holder_sees_their_partially_met_and_what_to_do_about_it(
    sqlite_db: Database, tmp_path: Path, config: Any
) -> None:
    text = said(homes_at(sqlite_db, tmp_path, config, MID_YEAR)["js"])
    assert "Indicative ratings, 2026-27: Q1 Partially Met, Q2 Partially Met, Q3 -" in text
    assert "for the second quarter running" in text and "development plan" in text
    assert "Your mid-year self-assessment, due Friday 30 October" in text


def test_after_the_release_the_job_holder_sees_the_final_rating(
    sqlite_db: Database, tmp_path: Path, config: Any
) -> None:
    homes = homes_at(sqlite_db, tmp_path, config, AFTER_MODERATION)
    assert "Final rating for 2026-27: Achieving" in said(homes["js"])


# --- over signed HTTP -------------------------------------------------------------------------
def _two_partially_met_quarters(db: Database, org: Org, config: Any) -> None:
    with db.write() as session:
        for quarter, when in ((1, datetime(2026, 7, 1, 10, tzinfo=UTC)), (2, NOW)):
            svc.record_indicative_rating(session, config=config, actor=org.actor("lm"),
                                         subject_id=org.js, quarter=quarter,
                                         rating="Partially Met", what_note="w", how_note="h",
                                         now=when)  # fmt: skip


async def _open_home(slack: Slack, person_id: int, event_id: str) -> dict[str, Any]:
    """Open the App Home tab as Slack does, and return the view perfbot published."""
    before = len(slack.fake.calls_to("views.publish"))
    await slack.event({"type": "app_home_opened", "user": user_id(person_id), "tab": "home",
                       "channel": "D1", "event_ts": "1700000000.3"}, event_id)  # fmt: skip
    published = await slack.fake.wait_for("views.publish", before + 1)
    assert published[-1]["user_id"] == user_id(person_id)
    view = published[-1]["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_a_job_holder_opens_home_and_a_manager_acts_from_it_in_slack(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """Js opens Home and reads their Partially Met and what it means; Lm opens Home, and the
    button on Js's line opens the development plan form for Js, with Js chosen."""
    _two_partially_met_quarters(sqlite_db, org, config)

    async def body(slack: Slack) -> dict[str, Any]:
        js = await _open_home(slack, org.js, "EvH1")
        lm = await _open_home(slack, org.lm, "EvH2")
        line = next(b for b in lm["blocks"] if "*Js*" in b.get("text", {}).get("text", ""))
        await slack.click(org.lm, line["accessory"]["action_id"], line["accessory"]["value"])
        return {"js": js, "lm": lm, "form": await slack.opened_view()}

    seen = slack_run(body)
    js = json.dumps(seen["js"])
    assert "Indicative ratings, 2026-27: Q1 Partially Met, Q2 Partially Met" in js
    assert "Your line manager will agree a development plan with you" in js
    assert seen["js"]["type"] == "home"
    who = next(b for b in seen["form"]["blocks"] if b.get("block_id") == "person")
    assert who["element"]["initial_option"]["value"] == str(org.js)  # Js, already chosen
    assert "Development plan" in json.dumps(seen["form"]["title"])


def test_teams_greets_with_the_home_card_and_answers_home(
    teams_run, sqlite_db, org, config, connector
) -> None:
    _two_partially_met_quarters(sqlite_db, org, config)

    async def body(teams: Teams) -> None:
        added = [{"id": "28:perfbot"}, {"id": f"29:user-{org.js}"}]
        update = activity(connector, org.js, type="conversationUpdate", membersAdded=added)
        assert (await teams.client.post("/api/messages", json=update)).status in (200, 201)
        await teams.say(org.dg_a, "home")

    teams_run(body)
    welcome, dg = connector.cards_sent()
    assert "Here is what needs you next" in json.dumps(welcome)
    assert "Q1 Partially Met, Q2 Partially Met" in json.dumps(welcome)
    assert "Waiting for your decision" in json.dumps(dg)


def test_in_april_the_home_button_rates_the_year_that_ended(
    slack_run, sqlite_db, org, config, fake
) -> None:
    """After the year ends, a Q4 still unrated is on the manager's home; its button opens the
    form on that year's Q4, and the rating is stored against the year that ended."""
    april = datetime(2027, 4, 8, 9, tzinfo=UTC)

    async def body(slack: Slack) -> dict[str, Any]:
        lm = await _open_home(slack, org.lm, "EvH3")
        line = next(b for b in lm["blocks"] if "*Peer*" in b.get("text", {}).get("text", ""))
        assert line["accessory"]["text"]["text"] == "Rate Q4"
        await slack.click(org.lm, "rate", line["accessory"]["value"])
        view = await slack.opened_view()
        quarter = next(b for b in view["blocks"] if b.get("block_id") == "quarter")
        assert quarter["element"]["initial_option"]["text"]["text"] == "Q4 2026-27"
        answers = {"person": str(org.peer), "quarter": "2026-4", "rating": "achieving"}
        await slack.submit(org.lm, view, answers | {"what": "w", "how": "h"})
        return view

    slack_run(body, clock=RunningClock(april))
    with sqlite_db.read() as session:
        assert svc.quarter_ratings(session, org.peer, 2026) == {4: Rating.ACHIEVING}
        assert svc.quarter_ratings(session, org.peer, 2027) == {}


def test_a_job_holder_sees_their_development_plan_and_its_review_date(
    sqlite_db: Database, tmp_path: Path, config: Any
) -> None:
    """F10: once the plan is agreed, the job holder's home keeps its review date in view -
    also after a better quarter, until the plan is closed."""
    org = make_org(sqlite_db, tmp_path)
    year_up_to(sqlite_db, org, config, MID_YEAR)
    with sqlite_db.write() as session:
        svc.update_development_plan(session, config=config, actor=org.actor("lm"),
                                    subject_id=org.js, status="agreed",
                                    review_on=date(2026, 11, 20), now=MID_YEAR)  # fmt: skip
    with sqlite_db.read() as session:
        before = said(home.home(session, Context(org.js, Via.SLACK, MID_YEAR), config))
    with sqlite_db.write() as session:
        svc.record_indicative_rating(session, config=config, actor=org.actor("lm"),
                                     subject_id=org.js, quarter=3, rating="Achieving",
                                     what_note="w", how_note="h", now=MID_YEAR)  # fmt: skip
    with sqlite_db.read() as session:
        after = said(home.home(session, Context(org.js, Via.SLACK, MID_YEAR), config))
        manager = said(home.home(session, Context(org.lm, Via.SLACK, MID_YEAR), config))
    assert "development plan. Its review is on Friday 20 November" in before
    assert "development plan agreed with your line manager, with its review on Friday 20 " in after
    assert "Development plan to draw up" not in manager  # recorded: off the manager's list


def test_the_demo_departments_homes_say_demo_and_show_its_year(
    sqlite_db: Database, config, tmp_path: Path
) -> None:
    """A first look at perfbot: the demo's Director General has a nomination to decide, a line
    manager sees their team's quarters, and every home says these are fictional people."""
    from sqlmodel import select

    from store.demo import write_demo_roster
    from store.demo_year import record_demo_years
    from store.models import Award, AwardStatus, Person
    from store.roster import import_roster

    today = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    with sqlite_db.write() as session:
        import_roster(
            session, path=write_demo_roster(tmp_path / "demo.csv"),
            actor=svc.Actor.system(Via.CLI), now=today, today=today.date(),
        )  # fmt: skip
        record_demo_years(session, config, now=today)
    with sqlite_db.read() as session:
        waiting = session.exec(select(Award).where(Award.status == AwardStatus.PENDING)).one()
        nominee = session.get(Person, waiting.nominee_id)
        assert nominee is not None and nominee.dg_id is not None
        dg_home = home.home(session, Context(nominee.dg_id, Via.SLACK, today), config)
        dg = said(dg_home)
        manager = said(
            home.home(session, Context(nominee.line_manager_id or 0, Via.SLACK, today), config)
        )
    assert dg.startswith("DEMO: the people here are the fictional demo department")
    assert f"in-year award for {nominee.name}" in dg
    assert [b.value for _line, b in dg_home.items if b and b.label == "Decide"] == [str(waiting.id)]
    assert "DEMO" in manager and "Q2" in manager


def test_hr_home_counts_everyone_out_of_reach_and_names_the_first_few(
    sqlite_db: Database, org: Org, config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HR's home counts the people no reminder can reach and names the first few by name (the
    workbook lists everyone); those whose reminders failed lately but are in reach now are a
    line of their own, never counted twice."""
    import sqlalchemy as sa

    from store.models import Outbox
    from tests.fakes import give_everyone_slack_ids

    monkeypatch.setattr(home, "UNREACHED_NAMED", 3)
    linked = {org.ps, org.js, org.hr}
    give_everyone_slack_ids(sqlite_db, NOW, except_ids=tuple(set(org.ids.values()) - linked))
    with sqlite_db.write() as session:
        session.execute(sa.insert(Outbox), [
            {"recipient_id": who, "kind": "rating_due", "subject_key": f"p:{who}",
             "subject_id": who, "milestone": "q1_conversation", "step": "before_1",
             "year": 2026, "due_at": NOW, "status": "undeliverable", "attempts": 0,
             "created_at": NOW}
            for who in (org.js, org.other)  # Js was reached since; Other is still out of reach
        ])  # fmt: skip
        page = home.home(session, Context(org.hr, Via.SLACK, NOW), config)
    lines = [text for text, _ in page.items]
    [out] = [line for line in lines if "no chat with perfbot" in line]
    assert out == (
        "7 people have no chat with perfbot in Slack or Teams yet, so no reminder can reach "
        "them: Dg A; Dg B; Lm; and 4 more (the workbook lists everyone)."
    )
    [failed] = [line for line in lines if "could not be sent a reminder" in line]
    assert failed.startswith("1 person could not be sent a reminder in the last 30 days")
    assert failed.endswith(": Js.")
