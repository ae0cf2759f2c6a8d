"""Closing the loop: someone's action that concerns another person tells them, once, with what
they need - and never something that changed before it went (a rating recorded again, an award
decision undone)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from scheduler.delivery import Deliverer
from scheduler.recording import RecordingMessenger
from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import PermissionDenied
from tests.conftest import Org
from tests.fakes import FakeClock, give_everyone_slack_ids

MONDAY_10 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)  # 10:00 BST


def deliver(db: Database, config: DepartmentConfig, at: datetime) -> list[tuple[int, object]]:
    channel = RecordingMessenger()
    asyncio.run(Deliverer(db, config, {"slack": channel}, clock=FakeClock(at)).run_until_idle())
    return [(int(address.user_id[1:]), nudge) for address, nudge in channel.sent]  # U<id>


def test_the_job_holder_hears_their_rating_once_with_the_notes(db, org: Org, config) -> None:
    give_everyone_slack_ids(db, MONDAY_10)
    rate = {"config": config, "actor": org.actor("lm"), "subject_id": org.js, "quarter": 1}
    with db.write() as session:
        svc.record_indicative_rating(session, rating="Achieving", what_note="Opened it",
                                     how_note="Calm", now=MONDAY_10, **rate)  # fmt: skip
        # Corrected a minute later, before it went: only the correction is told.
        svc.record_indicative_rating(session, rating="High Performing",
                                     what_note="Opened the service early",
                                     how_note="Calm", now=MONDAY_10 + timedelta(minutes=1),
                                     **rate)  # fmt: skip
    sent = [(who, n) for who, n in deliver(db, config, MONDAY_10 + timedelta(minutes=2))
            if n.kind == "rating_recorded"]  # fmt: skip
    assert [who for who, _ in sent] == [org.js]
    [(_, told)] = sent
    assert told.text == (
        "Your line manager recorded your Q1 indicative rating: High Performing. It replaces the "
        "Achieving recorded before."
    )
    assert ("What was delivered", "Opened the service early") in told.facts
    assert deliver(db, config, MONDAY_10 + timedelta(minutes=3)) == []  # once
    with db.write() as session:  # a later change is told afresh, saying what it replaces
        later = MONDAY_10 + timedelta(days=1)
        svc.record_indicative_rating(session, rating="Partially Met", what_note="w",
                                     how_note="h", now=later, **rate)  # fmt: skip
    [(_, again)] = deliver(db, config, MONDAY_10 + timedelta(days=1, minutes=1))
    assert "Partially Met. It replaces the High Performing recorded before." in again.text


def test_the_nominator_hears_the_decision_once_it_can_no_longer_be_undone(
    db, org: Org, config
) -> None:
    give_everyone_slack_ids(db, MONDAY_10)
    with db.write() as session:
        awards = [
            svc.nominate_award(session, config=config, actor=org.actor("lm"), nominee_id=who,
                               amount_pence=100_000, reason="Led the launch", now=MONDAY_10).id
            for who in (org.js, org.peer)
        ]  # fmt: skip
        svc.decide_award(session, config=config, actor=org.actor("dg_a"), award_id=awards[0],
                         approve=True, now=MONDAY_10)  # fmt: skip
        svc.decide_award(session, config=config, actor=org.actor("dg_a"), award_id=awards[1],
                         approve=False, reason="Not this quarter", now=MONDAY_10)  # fmt: skip
    early = [n for _, n in deliver(db, config, MONDAY_10 + timedelta(minutes=5))]
    assert not [n for n in early if n.kind == "award_decided"]  # the DG may still undo it
    with db.write() as session:
        undone = MONDAY_10 + timedelta(minutes=6)
        svc.undo_award_decision(session, config=config, actor=org.actor("dg_a"),
                                award_id=awards[1], now=undone)  # fmt: skip
    later = [(who, n) for who, n in deliver(db, config, MONDAY_10 + timedelta(minutes=11))
             if n.kind == "award_decided"]  # fmt: skip
    assert [(who, n.text) for who, n in later] == [
        (org.lm, "Dg A approved your nomination of Js for £1,000.")
    ]  # the undone rejection is never told


def test_plans_and_agreed_write_ups_are_told_to_the_other_party(db, org: Org, config) -> None:
    give_everyone_slack_ids(db, MONDAY_10)
    with db.write() as session:
        for quarter in (1, 2):  # F10: two Partially Met quarters prompt a plan
            svc.record_indicative_rating(session, config=config, actor=org.actor("lm"),
                                         subject_id=org.js, quarter=quarter,
                                         rating="Partially Met", what_note="w", how_note="h",
                                         now=MONDAY_10)  # fmt: skip
        svc.update_development_plan(session, config=config, actor=org.actor("lm"),
                                    subject_id=org.js, status="agreed",
                                    review_on=date(2026, 9, 1), now=MONDAY_10)  # fmt: skip
        svc.record_manager_assessment(session, config=config, actor=org.actor("lm"),
                                      subject_id=org.js, stage="mid_year", what="w", how="h",
                                      now=MONDAY_10)  # fmt: skip
        svc.agree_write_up(session, config=config, actor=org.actor("js"), subject_id=org.js,
                           stage="mid_year", now=MONDAY_10)  # fmt: skip
    sent = {n.kind: (who, n.text) for who, n in deliver(db, config, MONDAY_10)}
    assert sent["plan_recorded"] == (
        org.js,
        "Your line manager has recorded your development plan. Your review meeting is on "
        "Tuesday 1 September 2026.",
    )
    assert sent["write_up_agreed"] == (org.lm, "Js agreed the mid-year write-up you wrote.")


def test_an_escalation_asks_the_owner_once_and_never_opens_the_readers_own_form(
    db, org: Org, config
) -> None:
    """Escalations act on the subject: the countersigning officer told of Js's overdue Q1
    rating gets Remind them (not Rate now, which would open their own team's form), worded for
    their relation; pressing it sends the line manager one reminder naming who asked."""
    from sqlmodel import select

    from bot.flows.actions import Tell, run_action
    from bot.flows.model import Context
    from scheduler.nudges import NudgeContext, compose
    from scheduler.planner import plan
    from store.framework import Nation
    from store.models import Outbox, Via

    give_everyone_slack_ids(db, MONDAY_10)
    overdue = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)  # Q1 due 30 June: 3 working days after
    with db.write() as session:
        plan(session, config=config, now=datetime(2026, 6, 29, 9, 0, tzinfo=UTC))
        plan(session, config=config, now=overdue)
        [escalation] = session.exec(
            select(Outbox).where(Outbox.kind == "rating_due", Outbox.subject_id == org.js,
                                 Outbox.recipient_id == org.ps)
        ).all()  # fmt: skip
    ctx = NudgeContext(escalation.id or 0, "rating_due", escalation.step, "q1_conversation",
                       2026, org.js, "Js", None, False, Nation.ENGLAND,
                       "countersigning")  # fmt: skip
    told = compose(config, ctx)
    assert told.text.endswith("is overdue. You are told as their countersigning officer.")
    assert [a.action_id for a in told.actions] == ["remind_owner", "snooze"]
    as_manager = compose(config, NudgeContext(**{**ctx.__dict__, "relation": "line_manager"}))
    assert [a.action_id for a in as_manager.actions] == ["rate", "snooze"]  # theirs to do

    def press(who: int, at: datetime) -> str:
        with db.write() as session:
            result = run_action(session, "remind_owner", Context(who, Via.SLACK, at), config,
                                str(escalation.id))  # fmt: skip
        assert isinstance(result, Tell)
        return result.message.text

    assert press(org.ps, overdue) == "Sent Lm one reminder, saying you asked."
    assert "had a reminder in the last two days" in press(org.ps, overdue + timedelta(hours=1))
    sent = [(who, n) for who, n in deliver(db, config, overdue + timedelta(minutes=5))
            if n.kind == "reminded"]  # fmt: skip
    [(to, reminder)] = sent
    assert to == org.lm
    assert reminder.text.startswith("Ps asked me to remind you. Js's indicative rating after")
    assert [a.action_id for a in reminder.actions] == ["rate", "snooze"]  # the owner's own
    with db.write() as session, pytest.raises(PermissionDenied):  # not the reader's to press
        run_action(session, "remind_owner", Context(org.peer, Via.SLACK, overdue), config,
                   str(escalation.id))  # fmt: skip


def test_a_nomination_left_waiting_goes_to_the_permanent_secretary_not_a_daily_list(
    db, org: Org, config
) -> None:
    """F15: a pending £1,000 is not listed to its Director General every day from July to
    April: after awards.escalate_after_working_days (15) it goes to the Permanent Secretary,
    whose Remind them sends the Director General one reminder with Approve and Reject."""
    from sqlmodel import select

    from bot.flows.actions import run_action
    from bot.flows.model import Context
    from scheduler.planner import plan
    from store.models import Outbox, Via

    give_everyone_slack_ids(db, MONDAY_10)
    with db.write() as session:
        award = svc.nominate_award(session, config=config, actor=org.actor("lm"),
                                   nominee_id=org.js, amount_pence=100_000,
                                   reason="Led the launch", now=MONDAY_10)  # fmt: skip
    mondays = [datetime(2026, 7, day, 9, tzinfo=UTC) for day in (20, 27)]  # 5 and 10 days on
    day15 = datetime(2026, 8, 3, 9, tzinfo=UTC)
    for at in (MONDAY_10, *mondays, day15):
        with db.write() as session:
            plan(session, config=config, now=at)

    def rows(kind: str) -> list[tuple[int, str]]:
        with db.read() as session:
            found = session.exec(select(Outbox).where(Outbox.kind == kind)).all()
            return [(r.recipient_id, r.step if kind != "award_digest" else r.milestone)
                    for r in found]  # fmt: skip

    assert (org.ps, "escalated_15") in rows("award_decision")
    # A line in Monday's list while it waits; not the Monday it is reminded of on its own,
    # nor once it has gone to the overseer.
    assert {m for _, m in rows("award_digest")} == {"digest:2026-07-20"}
    with db.read() as session:
        escalation = session.exec(select(Outbox).where(Outbox.step == "escalated_15")).one()
    with db.write() as session:
        said = run_action(session, "remind_owner", Context(org.ps, Via.SLACK, day15), config,
                          str(escalation.id))  # fmt: skip
    assert said.message.text == "Sent Dg A one reminder, saying you asked."
    reminded = [n for who, n in deliver(db, config, day15 + timedelta(minutes=1))
                if n.kind == "reminded" and who == org.dg_a]  # fmt: skip
    [nudge] = reminded
    assert nudge.text.startswith("Ps asked me to remind you. A nomination of £1,000 needs")
    approve = next(a for a in nudge.actions if a.action_id == "award_approve")
    assert approve.value == str(award.id) and approve.confirm == "Approve £1,000 for Js?"


def test_a_persons_reminders_due_together_are_one_list_most_urgent_first(
    db, org: Org, config
) -> None:
    """One message per person, not one per overdue item: the Director General told of three
    overdue Q1 ratings in their group gets one list, a line each with Remind them, overdue
    first; Snooze on the list snoozes every line."""
    from scheduler.planner import plan

    give_everyone_slack_ids(db, MONDAY_10)
    day = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)  # Q1 due 30 June: 10 working days after
    with db.write() as session:
        plan(session, config=config, now=day)
    to_dg = [n for who, n in deliver(db, config, day) if who == org.dg_a]
    [listed] = to_dg  # one message
    assert listed.kind == "digest" and len(listed.outbox_ids) >= 3
    overdue = [(line, a) for line, a in listed.items if "is overdue" in line]
    assert {line.split("'s")[0] for line, _ in overdue} >= {"Js", "Peer", "Ppm"}
    others = [a for line, a in overdue if line.split("'s")[0] in ("Js", "Peer", "Ppm")]
    assert [a.action_id for a in others if a] == ["remind_owner"] * 3  # not their own form
    assert listed.items[: len(overdue)] == tuple(overdue)  # the most urgent first
    [snooze] = [a for a in listed.actions if a.action_id == "snooze"]
    assert snooze.value == ",".join(map(str, listed.outbox_ids)) + ":2"


def test_forty_overdue_items_are_one_message_not_forty(db, org: Org, config) -> None:
    """Issue figure: a Director General with 40 overdue items in their group gets one list."""
    import sqlalchemy as sa

    from store.models import Outbox, OutboxStatus

    give_everyone_slack_ids(db, MONDAY_10)
    with db.write() as session:
        session.execute(
            sa.insert(Outbox),
            [{"recipient_id": org.dg_a, "kind": "rating_due", "subject_key": f"p:{n}",
              "subject_id": org.js, "milestone": "q1_conversation", "step": "overdue_10",
              "year": 2026, "due_at": MONDAY_10, "status": OutboxStatus.PENDING, "attempts": 0,
              "created_at": MONDAY_10} for n in range(40)],
        )  # fmt: skip
    to_dg = [n for who, n in deliver(db, config, MONDAY_10) if who == org.dg_a]
    assert len(to_dg) == 1 and len(to_dg[0].items) == 40


def test_a_reminder_due_after_the_days_list_went_heads_the_next_working_days(
    db, org: Org, config
) -> None:
    """One scheduled message a person a working day: a reminder that comes due in the
    afternoon (a plan asked for after a rating) waits for the next working day's list - a
    Friday's for Monday's - instead of going as a second message."""
    import sqlalchemy as sa

    from store.models import Outbox, OutboxStatus

    give_everyone_slack_ids(db, MONDAY_10)
    friday_10 = datetime(2026, 7, 17, 9, 0, tzinfo=UTC)

    def due(subject: int, at: datetime) -> dict[str, object]:
        return {"recipient_id": org.lm, "kind": "rating_due", "subject_key": f"p:{subject}",
                "subject_id": subject, "milestone": "q1_conversation", "step": "overdue_5",
                "year": 2026, "due_at": at, "status": OutboxStatus.PENDING, "attempts": 0,
                "created_at": at}  # fmt: skip

    with db.write() as session:
        session.execute(sa.insert(Outbox), [due(org.js, friday_10), due(org.peer, friday_10)])
    [(who, morning)] = deliver(db, config, friday_10)
    assert who == org.lm and morning.kind == "digest"
    friday_3pm = friday_10 + timedelta(hours=5)
    with db.write() as session:
        session.execute(sa.insert(Outbox), [due(org.ppm, friday_3pm)])
    assert deliver(db, config, friday_3pm) == []
    assert deliver(db, config, datetime(2026, 7, 20, 7, 59, tzinfo=UTC)) == []  # 08:59 Monday
    [(who, monday)] = deliver(db, config, datetime(2026, 7, 20, 8, 0, tzinfo=UTC))
    assert who == org.lm and "Ppm" in monday.text + str(monday.items)


def test_evidence_prompts_wait_after_two_brought_nothing_until_evidence_is_added(
    db, org: Org, config
) -> None:
    """F14: the portfolio prompts are optional, and back off on their own: two in a row that
    brought no evidence, and the next waits until the person adds some; then they come again
    while the portfolio is thin."""
    import sqlalchemy as sa

    from store.models import Outbox, OutboxStatus

    give_everyone_slack_ids(db, MONDAY_10)

    def prompt(period: int) -> datetime:
        when = MONDAY_10 + timedelta(weeks=period)
        with db.write() as session:
            session.execute(sa.insert(Outbox), [
                {"recipient_id": org.js, "kind": "evidence_reminder", "subject_key": "p:js",
                 "subject_id": org.js, "milestone": "evidence", "step": f"period_{period}",
                 "year": 2026, "due_at": when, "status": OutboxStatus.PENDING, "attempts": 0,
                 "created_at": when}])  # fmt: skip
        return when

    def prompted(when: datetime) -> bool:
        return any(n.kind == "evidence_reminder" for who, n in deliver(db, config, when)
                   if who == org.js)  # fmt: skip

    assert prompted(prompt(1)) and prompted(prompt(2))
    assert not prompted(prompt(3))  # two brought nothing: it waits
    with db.write() as session:
        svc.add_evidence(session, config=config, actor=org.actor("js"), subject_id=org.js,
                         text="Chaired the review", standard="delivery",
                         now=MONDAY_10 + timedelta(weeks=3, days=1))  # fmt: skip
    assert prompted(prompt(4))  # still thin, and they are adding to it


def test_an_evidence_prompt_rides_in_a_list_the_person_gets_anyway_or_waits_then_goes_alone(
    db, org: Org, config
) -> None:
    """F14: the optional portfolio prompt is no message of its own when a to-do list comes
    within two weeks of its period's start: it is a line in that list. With none coming, it
    goes alone on the tenth working day."""
    from scheduler.nudges.evidence import WAITS_FOR_A_LIST
    from scheduler.planner import plan
    from store.framework import Nation
    from store.worktime import WorkingTime

    give_everyone_slack_ids(db, datetime(2026, 5, 1, 9, tzinfo=UTC))
    work = WorkingTime(config)
    every = config.reminders.evidence_every_working_days
    first = work.add_working_days(date(2026, 4, 1), every, Nation.ENGLAND)  # Monday 18 May
    second = work.add_working_days(first, every, Nation.ENGLAND)  # Tuesday 30 June
    alone = work.add_working_days(second, WAITS_FOR_A_LIST, Nation.ENGLAND)
    heard: dict[date, list[tuple[str, str]]] = {}
    day = date(2026, 5, 14)  # the job holder's first objectives reminder
    while day <= alone + timedelta(days=7):
        if work.is_working_day(day, Nation.ENGLAND):
            ten = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            with db.write() as session:
                plan(session, config=config, now=ten)
            for who, nudge in deliver(db, config, ten):
                if who == org.js:
                    lines = " ".join(line for line, _ in nudge.items) + nudge.text
                    heard.setdefault(day, []).append((nudge.kind, lines))
        day += timedelta(days=1)
    prompts = {d: kind for d, sent in heard.items() for kind, words in sent if "ortfolio" in words}
    # Not on the period's start (nothing else came that day) but with the objectives
    # reminder three working days later, in one list; the next period's, alone at the end
    # of its wait.
    assert first not in heard
    assert prompts == {date(2026, 5, 21): "digest", alone: "evidence_reminder"}
    assert [kind for kind, _ in heard[date(2026, 5, 21)]] == ["digest"]  # one message
    assert second not in heard


def test_a_countersigning_officers_asks_are_lines_in_one_list_the_job_holders_come_alone(
    db, org: Org, config
) -> None:
    """F23: a job holder is asked to agree their write-up at once, on its own; once two agree,
    their countersigning officer gets one list with a line and a Read it button each."""
    from scheduler.planner import plan

    quiet = datetime(2026, 8, 5, 9, tzinfo=UTC)  # 10:00 BST: no deadline near
    give_everyone_slack_ids(db, quiet)
    with db.write() as session:
        for subject in (org.peer, org.ppm):  # both countersigned by dg_a
            svc.record_manager_assessment(session, config=config, actor=org.actor("lm"),
                                          subject_id=subject, stage="mid_year", what="w",
                                          how="h", now=quiet)  # fmt: skip
        plan(session, config=config, now=quiet)
    asked = [(who, n.kind) for who, n in deliver(db, config, quiet) if "write_up" in n.kind]
    assert sorted(asked) == sorted([(org.peer, "write_up_agreement"),
                                    (org.ppm, "write_up_agreement")])  # fmt: skip
    later = quiet + timedelta(days=1)  # the next working day
    with db.write() as session:
        for who, subject in (("peer", org.peer), ("ppm", org.ppm)):
            svc.agree_write_up(session, config=config, actor=org.actor(who),
                               subject_id=subject, stage="mid_year", now=later)  # fmt: skip
        plan(session, config=config, now=later)
    to_dg = [n for who, n in deliver(db, config, later) if who == org.dg_a]
    [listed] = to_dg  # one message
    assert listed.kind == "digest"
    lines = {line: action.label for line, action in listed.items if action is not None}
    assert lines == {
        "Peer has agreed the mid-year assessment their line manager wrote. Read it, then "
        "countersign it.": "Read it",
        "Ppm has agreed the mid-year assessment their line manager wrote. Read it, then "
        "countersign it.": "Read it",
    }


def test_a_reminder_two_working_days_ahead_rides_in_todays_list_or_waits_for_its_day(
    db, org: Org, config
) -> None:
    """A reminder due in a day or two joins a list the person gets today anyway, instead of
    making another day of lists; someone with no list today gets theirs on its own day."""
    from scheduler.planner import plan

    friday = datetime(2027, 3, 12, 10, tzinfo=UTC)  # the Q4 rating's last reminder (15 March)
    monday = datetime(2027, 3, 15, 9, tzinfo=UTC)  # ten working days before 31 March
    give_everyone_slack_ids(db, friday)
    with db.write() as session:  # a full portfolio: no evidence prompt for the job holder
        for standard in ("delivery", "culture", "talent"):
            svc.add_evidence(session, config=config, actor=org.actor("js"), subject_id=org.js,
                             text="Chaired the review", standard=standard,
                             now=friday - timedelta(days=30))  # fmt: skip

    def day(when: datetime) -> dict[int, list[str]]:
        with db.write() as session:
            plan(session, config=config, now=when)
        heard: dict[int, list[str]] = {}
        for who, nudge in deliver(db, config, when):
            lines = [line for line, _ in nudge.items] if nudge.items else [nudge.text]
            heard.setdefault(who, []).extend(lines)
        return heard

    on_friday, on_monday = day(friday), day(monday)
    lm_friday = " ".join(on_friday[org.lm])
    assert "indicative rating after the Q4" in lm_friday  # what the list went for
    assert "The end-year write-up for Js" in lm_friday  # Monday's reminder, in it already
    assert "end-year write-up" not in " ".join(on_monday.get(org.lm, []))  # not again
    assert org.js not in on_friday  # no list on Friday: the job holder's comes on Monday
    assert "Your end-year self-assessment" in " ".join(on_monday[org.js])


def test_hr_gets_moderation_readiness_as_one_table_not_a_message_a_unit(
    db, org: Org, config
) -> None:
    """F19: before local moderation HR hears how ready each business unit is - one message,
    a line a unit, the least ready named in its words."""
    from scheduler.planner import plan

    give_everyone_slack_ids(db, MONDAY_10)
    ten_before = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)  # local moderation 14 April 2027
    with db.write() as session:
        plan(session, config=config, now=ten_before)
    to_hr = [n for who, n in deliver(db, config, ten_before) if who == org.hr]
    alone = [n for n in to_hr if n.kind == "moderation_readiness"]
    listed = [line for n in to_hr if n.kind == "digest" for line, _ in n.items
              if "end-year write-ups are done across" in line]  # fmt: skip
    assert len(alone) + len(listed) == 1  # once, whether alone or a line in the day's list
    if alone:
        [table] = alone
        assert ("Unit A1: 0 of 4 written", None) in table.items  # a line a unit
        assert [a.action_id for a in table.actions][:1] == ["hr_workbook"]
        summary = table.text
    else:
        [summary] = listed
    assert "Furthest behind: Unit A1 (0 of 4)" in summary


def test_a_person_chooses_when_their_list_comes_and_mutes_evidence_prompts(
    db, org: Org, config
) -> None:
    """One list a person: its hour is theirs to choose; the optional evidence prompts can be
    turned off, never the framework's reminders. Only their own settings, within the day."""
    from datetime import time

    from scheduler.planner import plan
    from store.errors import InvalidInput
    from store.models import Outbox

    give_everyone_slack_ids(db, MONDAY_10)
    monday_9 = datetime(2026, 6, 29, 8, 0, tzinfo=UTC)  # 09:00 BST: the Q1 before_1 day
    choose = {"config": config, "actor": org.actor("lm"), "now": monday_9}
    with db.write() as session:
        with pytest.raises(InvalidInput):
            svc.set_preferences(session, list_at=time(19), evidence_prompts=True, **choose)
        svc.set_preferences(session, list_at=time(14), evidence_prompts=False, **choose)
        plan(session, config=config, now=monday_9)
    assert [w for w, _ in deliver(db, config, monday_9) if w == org.lm] == []  # not yet
    with db.read() as session:
        rows = session.exec(select(Outbox).where(Outbox.recipient_id == org.lm)).all()
    assert {r.kind for r in rows if r.last_error == "muted by the recipient"} == {
        "evidence_reminder"
    }
    at_two = datetime(2026, 6, 29, 13, 0, tzinfo=UTC)  # 14:00 BST
    [(who, listed)] = [(w, n) for w, n in deliver(db, config, at_two) if w == org.lm]
    assert "Js's indicative rating" in str(listed.items)  # the framework's reminders came
    assert "portfolio" not in str(listed.items).lower()  # the muted prompt did not


def test_the_line_manager_is_asked_again_when_agreed_objectives_change(
    db, org: Org, config
) -> None:
    """F11: a change to an agreed set needs the line manager's agreement again - and they are
    told so (until they agree again)."""
    from scheduler.nudges import is_done
    from store.models import Outbox

    give_everyone_slack_ids(db, MONDAY_10)
    with db.write() as session:
        ids = [
            svc.set_objective(session, config=config, actor=org.actor("js"), subject_id=org.js,
                              heading=h, what="w", how="h", now=MONDAY_10).objective.id
            for h in ("business_delivery", "finance", "people", "corporate")
        ]  # fmt: skip
        svc.agree_objectives(session, config=config, actor=org.actor("lm"), subject_id=org.js,
                             now=MONDAY_10)  # fmt: skip
        svc.revise_objective(session, actor=org.actor("js"), objective_id=ids[0], what="w2",
                             how="h", reason="Moved", now=MONDAY_10)  # fmt: skip
    [(who, told)] = [(w, n) for w, n in deliver(db, config, MONDAY_10)
                     if n.kind == "objectives_changed"]  # fmt: skip
    assert who == org.lm
    assert (
        told.text == "Js's objectives changed after you agreed them. Look at them and agree "
        "them again."
    )
    with db.write() as session:
        svc.agree_objectives(session, config=config, actor=org.actor("lm"), subject_id=org.js,
                             now=MONDAY_10)  # fmt: skip
        row = session.exec(select(Outbox).where(Outbox.kind == "objectives_changed")).one()
        assert is_done(session, row, config)
