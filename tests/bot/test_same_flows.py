"""The same flow definitions drive Slack and Teams: one scripted dialogue goes through each
adapter over HTTP into its own database, and the stored results are the same. In it a line
manager rates a report and nominates them for an award, which the Director General approves;
the job holder sets an objective, revises it and adds a milestone; the line manager marks
the milestone met and nominates for it, then withdraws that nomination; the job holder closes
the objective; a mid-year write-up is written, agreed and countersigned; the job holder
proposes two 360 respondents and the line manager agrees one and removes the other; the job
holder adds evidence and edits it; a second nomination is rejected with a reason; the line
manager snoozes a reminder; HR takes the workbook (Slack: an upload; Teams: the file consent
flow); the job holder saves a channel message as evidence from its menu (Slack: a message
shortcut; Teams: a message extension) (F11-F13, F15, F17, F23, F24)."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import col, select

from bot.teams.app import TeamsAdapter
from bot.web import make_app
from store.config import DepartmentConfig
from store.db import Database
from store.models import (
    AuditEntry,
    Award,
    Evidence,
    FeedbackRespondent,
    IndicativeRating,
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    Outbox,
    Person,
    WriteUp,
)
from store.services import local_date
from store.workbook.base import EXPORT_ACTION
from tests.bot.slack_harness import Slack, start, user_id
from tests.bot.teams_harness import TENANT, Teams, activity, answer_file, submit_data
from tests.conftest import NOW, Org, email, make_org
from tests.fakes import FakeBotConnector, FakeSlack, RunningClock

RATING = {"quarter": "1", "rating": "high_performing", "what": "Opened the service.",
          "how": "Brought three teams along."}  # fmt: skip
NOMINATION = {"amount": "1500", "reason": "Led the launch."}


@dataclass(frozen=True)
class Step:
    """One thing a user does: a typed command or a button (``value`` read from the database
    when the step runs), then - for a form - the answers they submit."""

    who: str
    verb: str
    command: bool = False
    value: Callable[[Database, Org], str] = lambda _db, _org: ""
    answers: dict[str, Any] | None = None  # a form to fill in and submit
    then: dict[str, Any] | None = None  # answers to the form that submitting it shows next
    slack_answer: str = "chat.update"  # what Slack is asked to do for a button with no form


def _last(model: Any) -> Callable[[Database, Org], str]:
    def value(db: Database, _org: Org) -> str:
        with db.read() as s:
            return str(s.exec(select(model.id).order_by(col(model.id).desc())).first())

    return value


def _first(model: Any) -> Callable[[Database, Org], str]:
    def value(db: Database, _org: Org) -> str:
        with db.read() as s:
            return str(s.exec(select(model.id).order_by(col(model.id))).first())

    return value


def _write_up(db: Database, org: Org) -> str:
    return f"{org.js}:mid_year:2026"


def _reminder(db: Database, org: Org) -> str:
    """A reminder to the line manager, planned as the scheduler would, to snooze."""
    from scheduler.planner import plan

    with db.write() as s:
        plan(s, config=DepartmentConfig(), now=NOW.replace(month=6, day=29, hour=9))
    with db.read() as s:
        reminder = s.exec(
            select(Outbox)
            .where(Outbox.recipient_id == org.lm, Outbox.kind == "rating_due")
            .order_by(col(Outbox.id))
        ).first()
    assert reminder is not None
    return f"{reminder.id}:2"


# A message in a shared channel, saved as evidence from its menu (Slack: a message shortcut;
# Teams: a message extension), written by the line manager.
SAVED_MESSAGE = "Thanks to Js for chairing the spending panel."


SCRIPT = [
    Step("lm", "rate", command=True, answers={"person": "js", **RATING}),
    Step("lm", "award", command=True, answers={"nominee": "js", **NOMINATION}),
    Step("dg_a", "award_approve", value=_last(Award)),
    Step("js", "objective", command=True,
         answers={"person": "js", "heading": "business_delivery", "what": "Pass the bill",
                  "how": "With the team"}),
    Step("js", "objective_revise", value=_last(Objective),
         answers={"what": "Pass the bill by spring", "how": "With the team",
                  "reason": "The timetable moved"}),
    Step("js", "milestone_add", value=_last(Objective),
         answers={"title": "Second reading", "due_on": "2026-11-30"}),
    Step("lm", "milestone_met", value=_last(ObjectiveMilestone)),
    Step("lm", "award_milestone", value=_last(ObjectiveMilestone),
         answers={"nominee": "js", "amount": "1000", "reason": "Second reading early"}),
    Step("lm", "award_withdraw", value=_last(Award)),
    Step("js", "objective_close", value=_last(Objective), answers={"reason": "Bill passed"}),
    Step("lm", "writeup", command=True,
         answers={"person": "js", "what": "Passed the bill", "how": "Kept the team together"}),
    Step("js", "write_up_agree", value=_write_up),
    Step("ps", "write_up_agree", value=_write_up),
    Step("js", "respondent_propose",
         answers={"respondent": "peer@dept.example", "relationship": "Peer"}),
    Step("js", "respondent_propose",
         answers={"respondent": "Sam Cole, HM Treasury", "relationship": "Stakeholder"}),
    Step("lm", "respondent_agree", value=_first(FeedbackRespondent)),
    Step("lm", "respondent_remove", value=_last(FeedbackRespondent)),
    Step("js", "evidence", command=True,
         answers={"target": "standard:culture", "text": "Chaired the panel"}),
    Step("js", "evidence_change", answers={"item": _last(Evidence), "change": "edit"},
         then={"target": "standard:talent", "text": "Chaired the spending panel"}),
    Step("lm", "award", command=True,
         answers={"nominee": "js", "amount": "1000", "reason": "Ran the review."}),
    Step("dg_a", "award_reject", value=_last(Award),
         answers={"reason": "Recognised already this quarter."}),
    Step("lm", "snooze", value=_reminder, slack_answer="chat.postEphemeral"),
    Step("hr", "get_workbook", value=lambda _db, _org: "2026",
         slack_answer="files.completeUploadExternal"),
    Step("js", "save_as_evidence", answers={"target": "standard:delivery", "text": SAVED_MESSAGE}),
]  # fmt: skip


def _answers(answers: dict[str, Any], db: Database, org: Org) -> dict[str, Any]:
    """The answers with people as their ids (as both platforms send them), and the ids of
    records read from the database when the step runs."""
    return {
        k: str(org.ids[v]) if k in ("person", "nominee") else v(db, org) if callable(v) else v
        for k, v in answers.items()
    }


def fresh(template: Path, folder: Path) -> Database:
    folder.mkdir()
    shutil.copy(template, folder / "perfbot.db")
    return Database(f"sqlite:///{folder / 'perfbot.db'}")


def stored(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """What the dialogue stored, without the moments it was stored at (the runs differ)."""
    with db.read() as s:
        return {
            "ratings": [
                (r.person_id, r.quarter, r.rating, r.what_note, r.how_note, r.recorded_by_id)
                for r in s.exec(select(IndicativeRating))
            ],
            "awards": [
                (a.nominee_id, a.amount_pence, a.reason, a.status, a.nominated_by_id,
                 a.decided_by_id, a.objective_id, a.milestone_id)
                for a in s.exec(select(Award).order_by(Award.id))
            ],
            "objectives": [
                (o.person_id, o.heading, o.status) for o in s.exec(select(Objective))
            ],
            "revisions": [
                (r.objective_id, r.number, r.what, r.how, r.reason, r.created_by_id)
                for r in s.exec(select(ObjectiveRevision).order_by(ObjectiveRevision.id))
            ],
            "milestones": [
                (m.objective_id, m.title, m.due_on, m.met_on, m.met_recorded_by_id)
                for m in s.exec(select(ObjectiveMilestone))
            ],
            "respondents": [
                (r.person_id, r.respondent, r.respondent_person_id, r.relationship,
                 r.agreed_by_id, r.removed_by_id)
                for r in s.exec(select(FeedbackRespondent).order_by(FeedbackRespondent.id))
            ],
            "evidence": [
                (e.person_id, e.standard, e.text, e.added_by_id, e.edited_at is not None,
                 e.source_author)
                for e in s.exec(select(Evidence).order_by(Evidence.id))
            ],
            "snoozed": [
                (o.recipient_id, o.kind, o.status, local_date(DepartmentConfig(), o.due_at))
                for o in s.exec(select(Outbox).where(Outbox.recipient_id == Person.id,
                                                     Person.email == email("lm")))
                if o.kind == "rating_due"
            ],
            "exports": [
                (a.actor_id, a.action) for a in s.exec(select(AuditEntry))
                if a.action == EXPORT_ACTION
            ],
            "write_ups": [
                (w.person_id, w.stage, w.manager_what, w.manager_how, w.manager_id,
                 w.job_holder_agreed_at is not None, w.countersigned_at is not None)
                for w in s.exec(select(WriteUp))
            ],
        }  # fmt: skip


async def slack_dialogue(db: Database, config: DepartmentConfig, org: Org, fake: FakeSlack) -> None:
    slack: Slack = await start(db, config, fake, RunningClock(NOW))
    views = 0
    answered: Counter[str] = Counter()
    try:
        for n, step in enumerate(SCRIPT):
            who = org.ids[step.who]
            if step.verb == "save_as_evidence":  # from the message's ⋯ menu
                await slack.interactive({
                    "type": "message_action", "callback_id": "save_as_evidence",
                    "user": {"id": user_id(who)}, "channel": {"id": "C42"},
                    "message": {"type": "message", "text": SAVED_MESSAGE,
                                "ts": "1700000001.000200", "user": user_id(org.lm)},
                    "message_ts": "1700000001.000200",
                })  # fmt: skip
            elif step.command:
                await slack.command(who, step.verb)
            else:
                await slack.click(who, step.verb, step.value(db, org), ts=f"17000000{n:02d}.0001")
            if step.answers is not None:
                views += 1
                view = await slack.opened_view(views)
                answer = await slack.submit(who, view, _answers(step.answers, db, org))
                assert "errors" not in await answer.text(), (step, await answer.text())
                if step.then is not None:  # the next form, shown in place of this one
                    view = (await answer.json())["view"]
                    answer = await slack.submit(who, view, _answers(step.then, db, org))
                    assert "errors" not in await answer.text(), (step, await answer.text())
            else:  # a button with no form: wait for what Slack was asked to do
                answered[step.slack_answer] += 1
                await fake.wait_for(step.slack_answer, answered[step.slack_answer])
                assert len(fake.calls_to(step.slack_answer)) >= answered[step.slack_answer]
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
        for n, step in enumerate(SCRIPT):
            who = org.ids[step.who]
            if step.verb == "save_as_evidence":  # from the message's ⋯ menu
                await save_from_teams_menu(teams, who, org, step.answers or {})
                continue
            if step.verb == "get_workbook":  # offered, then accepted: uploaded where Teams says
                await teams.execute(who, step.verb, {"value": step.value(db, org)}, f"card-{n}")
                offer = next(a for a in connector.sent() if "file.consent" in str(a))
                answer = await answer_file(teams, who, offer["attachments"][0], "accept", "c-1")
                assert answer.status == 200 and connector.uploads
                continue
            if step.command:
                await teams.say(who, step.verb)
                card = connector.cards_sent()[-1]
            else:
                press = teams.open if step.answers is not None else teams.execute
                card = await press(who, step.verb, {"value": step.value(db, org)}, f"card-{n}")
            if step.answers is not None:
                verb, data = submit_data(card, _answers(step.answers, db, org))
                answer = await teams.execute(who, verb, data)
                if step.then is not None:  # the next form, shown in place of this one
                    verb, data = submit_data(answer, _answers(step.then, db, org))
                    answer = await teams.execute(who, verb, data)
                assert "perf:" not in str(answer.get("actions")), (step, answer)  # not the form
    finally:
        await client.close()


async def save_from_teams_menu(teams: Teams, who: int, org: Org, answers: dict[str, Any]) -> None:
    """Teams' message extension: the dialog asked for (fetchTask), then submitted."""
    message = {
        "id": "1700000001", "createdDateTime": "2026-07-14T15:20:00Z",
        "body": {"contentType": "html", "content": f"<p>{SAVED_MESSAGE}</p>"},
        "from": {"user": {"id": f"29:user-{org.lm}", "aadObjectId": f"aad-{org.lm}",
                          "displayName": "Someone"}},
        "linkToMessage": "https://teams.microsoft.com/l/message/19:c/1700000001",
    }  # fmt: skip

    async def invoke(name: str, value: dict[str, Any]) -> dict[str, Any]:
        body = activity(teams.connector, who, type="invoke", name=name,
                        value={"commandId": "saveEvidence", "commandContext": "message",
                               "messagePayload": message, **value})  # fmt: skip
        answer = await teams.client.post("/api/messages", json=body)
        assert answer.status == 200
        return dict(await answer.json())

    opened = await invoke("composeExtension/fetchTask", {})
    card = opened["task"]["value"]["card"]["content"]
    (submit,) = card["actions"]
    shown = {e["id"]: e.get("value") for e in card["body"] if "id" in e}
    saved = await invoke("composeExtension/submitAction", {"data": {**submit["data"], **shown,
                                                                    **answers}})  # fmt: skip
    assert saved["task"]["type"] == "message", saved


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
    (objective,) = via_slack["objectives"]
    assert objective == (org.js, "business_delivery", "closed")
    assert [r[2] for r in via_slack["revisions"]] == ["Pass the bill", "Pass the bill by spring"]
    ((objective_id, *_), *_) = via_slack["revisions"]
    (milestone,) = via_slack["milestones"]
    assert milestone == (objective_id, "Second reading", date(2026, 11, 30), NOW.date(), org.lm)
    assert via_slack["awards"] == [
        (org.js, 150_000, "Led the launch.", "approved", org.lm, org.dg_a, None, None),
        (org.js, 100_000, "Second reading early", "withdrawn", org.lm, None, objective_id, 1),
        (org.js, 100_000, "Ran the review.", "rejected", org.lm, org.dg_a, None, None),
    ]
    assert via_slack["write_ups"] == [
        (org.js, "mid_year", "Passed the bill", "Kept the team together", org.lm, True, True)
    ]
    assert via_slack["respondents"] == [
        (org.js, "Peer", org.peer, "Peer", org.lm, None),
        (org.js, "Sam Cole, HM Treasury", None, "Stakeholder", None, org.lm),
    ]
    assert via_slack["evidence"] == [
        (org.js, "talent", "Chaired the spending panel", org.js, True, None),
        (org.js, "delivery", SAVED_MESSAGE, org.js, False, "Lm"),  # saved from a message
    ]
    # The one snoozed reminder waits two working days; the line manager's others do not.
    (snoozed,) = [r for r in via_slack["snoozed"] if r[3] == date(2026, 7, 17)]
    assert snoozed[2] == "pending" and len(via_slack["snoozed"]) > 1
    assert via_slack["exports"] == [(org.hr, EXPORT_ACTION)]  # HR took the workbook, once
    assert via_teams == via_slack
