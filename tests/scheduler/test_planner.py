"""The planner on SQLite and PostgreSQL: idempotent, current step only, stops when done."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import select

from scheduler.planner import plan
from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.models import Outbox, Person
from tests.conftest import Org


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def plan_at(db: Database, config: DepartmentConfig, when: datetime) -> dict[str, int]:
    with db.write() as session:
        return dict(plan(session, config=config, now=when).created)


def outbox(db: Database, **where: object) -> list[tuple]:
    with db.read() as session:
        rows = session.exec(select(Outbox).filter_by(**where).order_by(Outbox.id)).all()
        return [(r.recipient_id, r.kind, r.subject_id, r.milestone, r.step) for r in rows]


def q1(db: Database, org: Org) -> list[tuple]:
    return [
        (r, step)
        for r, _k, s, _m, step in outbox(db, kind="rating_due", milestone="q1_conversation")
        if s == org.js
    ]


def test_planning_twice_or_late_writes_nothing_twice(db, org, config) -> None:
    first = plan_at(db, config, at("2026-06-16"))
    assert first["rating_due"] == 9  # everyone below the permanent secretary
    assert plan_at(db, config, at("2026-06-16")) == {}
    assert plan_at(db, config, at("2026-06-16", 15)) == {}
    assert q1(db, org) == [(org.lm, "before_10")]


def test_ladder_reminders_then_escalations_on_time(db, org, config) -> None:
    # Q1 deadline Tuesday 30 June 2026, England: reminders 10, 5 and 1 working days before;
    # countersigning officer 3 working days after, DG 10 working days after.
    for day in ("2026-06-16", "2026-06-23", "2026-06-29", "2026-07-03", "2026-07-14"):
        plan_at(db, config, at(day))
    assert q1(db, org) == [
        (org.lm, "before_10"),
        (org.lm, "before_5"),
        (org.lm, "before_1"),
        (org.ps, "overdue_3"),
        (org.dg_a, "overdue_10"),
    ]
    # The day before a step, nothing new.
    before = len(outbox(db))
    plan_at(db, config, at("2026-07-13"))
    assert len(outbox(db)) == before


def test_after_ten_days_of_downtime_only_the_current_step_is_sent(db, org, config) -> None:
    plan_at(db, config, at("2026-06-16"))
    # Down from 17 June until 3 July: before_5, before_1 have passed; overdue_3 is current.
    plan_at(db, config, at("2026-07-03"))
    assert q1(db, org) == [(org.lm, "before_10"), (org.ps, "overdue_3")]
    # Long after the last step, a stale ladder is left alone.
    plan_at(db, config, at("2026-08-14"))
    assert q1(db, org) == [(org.lm, "before_10"), (org.ps, "overdue_3")]


def test_no_nudge_once_the_task_is_done(db, org, config) -> None:
    plan_at(db, config, at("2026-06-16"))
    with db.write() as session:
        svc.record_indicative_rating(
            session,
            config=config,
            actor=org.actor("lm"),
            subject_id=org.js,
            quarter=1,
            rating="Achieving",
            what_note="w",
            how_note="h",
            now=at("2026-06-20"),
        )
    for day in ("2026-06-23", "2026-06-29", "2026-07-03"):
        plan_at(db, config, at(day))
    assert q1(db, org) == [(org.lm, "before_10")]


def test_who_is_nudged(db, org, config) -> None:
    with db.write() as session:  # peer left; a new starter joins after the Q1 deadline
        session.execute(
            sa.update(Person).where(Person.id == org.peer).values(left_on=date(2026, 6, 1))
        )
        session.execute(
            sa.update(Person).where(Person.id == org.other).values(start_date=date(2026, 7, 1))
        )
    plan_at(db, config, at("2026-06-16"))
    subjects = {s for _r, _k, s, _m, _st in outbox(db, kind="rating_due")}
    assert org.ps not in subjects  # the permanent secretary has separate guidance (§6)
    assert org.peer not in subjects and org.other not in subjects
    assert org.js in subjects


def test_f11_objectives_are_nudged_until_the_line_manager_agrees_all_four_headings(
    db, org, config
) -> None:
    """F11 (corrected): the objectives task is done only when all four headings are covered
    and the line manager has agreed them - three objectives are no longer enough. The job
    holder is reminded until the four are there; their line manager until they agree."""
    plan_at(db, config, at("2026-05-18"))  # objectives agreed by 31 May: 10 days before
    to_js = {r for r, _k, s, _m, _st in outbox(db, kind="objectives_due") if s == org.js}
    assert to_js == {org.js, org.lm}

    def set_all(*headings: str, day: str) -> None:
        with db.write() as session:
            for heading in headings:
                svc.set_objective(session, config=config, actor=org.actor("js"),
                                  subject_id=org.js, heading=heading, what="w", how="h",
                                  now=at(day))  # fmt: skip

    set_all("business_delivery", "finance", "people", day="2026-05-19")
    plan_at(db, config, at("2026-05-25"))  # before_5: three objectives, one heading missing
    steps = {st for _r, _k, s, _m, st in outbox(db, kind="objectives_due") if s == org.js}
    assert steps == {"before_10", "before_5"}
    set_all("corporate", day="2026-05-26")
    # The job holder has done their part: the last reminder before the deadline (31 May is a
    # Sunday: Friday 29th, so the day before is the 28th) is their line manager's alone.
    plan_at(db, config, at("2026-05-28"))
    last = {r for r, _k, s, _m, st in outbox(db, kind="objectives_due")
            if s == org.js and st == "before_1"}  # fmt: skip
    assert last == {org.lm}
    with db.write() as session:
        svc.agree_objectives(session, config=config, actor=org.actor("lm"), subject_id=org.js,
                             now=at("2026-05-28"))  # fmt: skip
    plan_at(db, config, at("2026-06-02"))  # overdue step: agreed, so nothing more
    steps = {st for _r, _k, s, _m, st in outbox(db, kind="objectives_due") if s == org.js}
    assert steps == {"before_10", "before_5", "before_1"}


def test_award_nomination_reaches_the_dg_then_ages(db, org, config) -> None:
    with db.write() as session:
        award = svc.nominate_award(
            session,
            config=config,
            actor=org.actor("lm"),
            nominee_id=org.js,
            amount_pence=100_000,
            reason="r",
            now=at("2026-07-15"),
        )
    plan_at(db, config, at("2026-07-15", 11))
    assert outbox(db, kind="award_decision") == [
        (org.dg_a, "award_decision", org.js, f"award:{award.id}", "new")
    ]
    assert outbox(db, kind="award_digest") == []  # not repeated in a list the day it came
    plan_at(db, config, at("2026-07-16"))
    assert outbox(db, kind="award_digest") == []  # the waiting ones are a weekly line
    plan_at(db, config, at("2026-07-20"))  # 3 working days later: reminded of on its own...
    assert [st for *_, st in outbox(db, kind="award_decision")] == ["new", "waiting_3"]
    assert outbox(db, kind="award_digest") == []  # ... so not in that Monday's list too
    plan_at(db, config, at("2026-07-27"))  # the next Monday: a line in the day's list
    assert [(r, m) for r, _k, _s, m, _st in outbox(db, kind="award_digest")] == [
        (org.dg_a, "digest:2026-07-27")
    ]
    with db.write() as session:
        svc.decide_award(
            session,
            config=config,
            actor=org.actor("dg_a"),
            award_id=award.id,
            approve=True,
            now=at("2026-07-28"),
        )
    plan_at(db, config, at("2026-07-29"))  # the 10-day step would be due; decided, so none
    assert [st for *_, st in outbox(db, kind="award_decision")] == ["new", "waiting_3"]


def test_f15_a_dgs_own_nomination_reaches_the_permanent_secretary(db, org, config) -> None:
    """F15: a DG's own nomination goes to the Permanent Secretary, not back to the DG."""
    with db.write() as session:
        award = svc.nominate_award(
            session, config=config, actor=org.actor("dg_a"), nominee_id=org.lm,
            amount_pence=100_000, reason="r", now=at("2026-07-15"),
        )  # fmt: skip
    plan_at(db, config, at("2026-07-15", 11))
    assert outbox(db, kind="award_decision") == [
        (org.ps, "award_decision", org.lm, f"award:{award.id}", "new")
    ]
    plan_at(db, config, at("2026-07-27"))  # the next Monday but one (the first is a reminder's)
    assert [r for r, *_ in outbox(db, kind="award_digest")] == [org.ps]


def test_f10_development_plan_prompt_goes_to_the_line_manager(db, org, config) -> None:
    with db.write() as session:
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
                now=at("2026-10-05"),
            )
    plan_at(db, config, at("2026-10-05", 11))
    assert outbox(db, kind="development_plan_due") == [
        (org.lm, "development_plan_due", org.js, "plan:2026", "prompt")
    ]


def test_hr_hears_about_the_consistency_check_and_moderation(db, org, config) -> None:
    plan_at(db, config, at("2026-11-16"))  # consistency check due 30 November
    assert outbox(db, kind="consistency_check_due") == [
        (org.hr, "consistency_check_due", None, "consistency_check", "before_10")
    ]
    plan_at(db, config, at("2027-03-31"))  # local moderation 14 April 2027: 10 days before
    with db.read() as session:
        [readiness] = session.exec(  # one message for HR, not one a unit
            select(Outbox).where(Outbox.kind == "moderation_readiness")
        ).all()
    assert readiness.recipient_id == org.hr and readiness.payload["deadline"] == "2027-04-14"
    assert ["Unit A1", 0, 4] in readiness.payload["units"]


def test_two_planners_at_once_write_each_nudge_once(db, org, config) -> None:
    barrier = threading.Barrier(2)

    def tick() -> None:
        barrier.wait()
        plan_at(db, config, at("2026-06-16"))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = outbox(db)
    assert len(keys) == len(set(keys)) and len(keys) > 0


def test_deadlines_that_passed_before_perfbot_knew_someone_are_not_chased(db, org, config):
    with db.write() as session:  # js was added to perfbot on 1 July, after the Q1 deadline
        session.execute(
            sa.update(Person)
            .where(Person.id == org.js)
            .values(created_at=datetime(2026, 7, 1, 9, tzinfo=UTC))
        )
    plan_at(db, config, at("2026-07-03"))  # Q1 overdue_3 day
    assert q1(db, org) == []
    assert outbox(db, kind="rating_due", subject_id=org.peer)  # others still are


def test_f23_agreement_asks_go_to_the_job_holder_then_the_countersigning_officer(
    db, org, config
) -> None:
    """F23, Annex B: the job holder agrees, then the countersigning officer countersigns -
    and someone with no countersigning officer in the roster is done once they agree."""
    day = at("2026-10-12")
    with db.write() as session:
        for manager, subject in (("lm", org.js), ("ps", org.dg_a)):  # dg_a has no countersigner
            svc.record_manager_assessment(session, config=config, actor=org.actor(manager),
                                          subject_id=subject, stage="mid_year", what="w",
                                          how="h", now=day)  # fmt: skip
    plan_at(db, config, day)
    asks = {(r, s, st.split("_")[0]) for r, _k, s, _m, st in outbox(db, kind="write_up_agreement")}
    assert asks == {(org.js, org.js, "agree"), (org.dg_a, org.dg_a, "agree")}
    with db.write() as session:
        for who, subject in (("js", org.js), ("dg_a", org.dg_a)):
            svc.agree_write_up(session, config=config, actor=org.actor(who), subject_id=subject,
                               stage="mid_year", now=day)  # fmt: skip
    report = plan_at(db, config, day.replace(hour=11))
    assert report.get("write_up_countersign") == 1 and "write_up_agreement" not in report
    asks = {(r, s, st.split("_")[0]) for r, _k, s, _m, st in outbox(db, kind="write_up_agreement")}
    assert asks == {(org.js, org.js, "agree"), (org.dg_a, org.dg_a, "agree")}  # none again
    countersign = [(r, s, st.split("_")[0]) for r, _k, s, _m, st in outbox(db)
                   if _k == "write_up_countersign"]  # fmt: skip
    assert countersign == [(org.ps, org.js, "countersign")]  # none for dg_a: no countersigner


def test_f26_final_ratings_are_told_only_after_release_and_again_after_a_review(
    db, org, config
) -> None:
    """F26: "Once HR releases the year's moderated ratings, each job holder (and their line
    manager) is told the final rating in chat, with the reason when it differs from the
    recommendation"; "No moderated rating reaches a job holder before HR releases the year".
    F27: a review's outcome changes the final rating - they are told the new one."""
    from scheduler.nudges import NudgeContext, compose
    from tests.conftest import end_year_ready

    written, moderated, released = at("2027-03-22"), at("2027-05-10"), at("2027-06-01")
    with db.write() as session:
        end_year_ready(session, config, written, manager=org.actor("lm"), subject_id=org.js,
                       signers=(org.actor("js"),), recommended="High Performing")  # fmt: skip
        svc.record_moderated_rating(session, config=config, actor=org.actor("hr"),
                                    subject_id=org.js, rating="Achieving",
                                    reason="Panel: strong, not stand-out", now=moderated,
                                    year=2026)  # fmt: skip
    plan_at(db, config, moderated.replace(hour=11))
    assert outbox(db, kind="outcome_released") == []  # moderated, not released
    with db.write() as session:
        svc.release_outcomes(session, config=config, actor=org.actor("hr"), now=released)
    plan_at(db, config, released.replace(hour=11))
    told = [(r, s, st) for r, _k, s, _m, st in outbox(db, kind="outcome_released")]
    assert told == [(org.js, org.js, "final_achieving"), (org.lm, org.js, "final_achieving")]
    assert plan_at(db, config, released.replace(hour=12)) == {}  # told once
    with db.read() as session:
        row = session.exec(
            select(Outbox).where(Outbox.recipient_id == org.js, Outbox.kind == "outcome_released")
        ).one()
        to_js = NudgeContext(row.id or 0, row.kind, row.step, row.milestone, row.year,
                             org.js, "Js", row.payload, to_subject=True)  # fmt: skip
        nudge = compose(config, to_js)
        assert nudge.text == (
            "Your final rating for 2026-27 is Achieving. Your line manager recommended High "
            "Performing. The reason given: Panel: strong, not stand-out"
        )
        to_lm = compose(config, NudgeContext(**{**to_js.__dict__, "to_subject": False}))
        assert to_lm.text.startswith("Js's final rating for 2026-27 is Achieving. You recommended")
    reviewed = at("2027-07-01")
    with db.write() as session:
        kw = {"config": config, "actor": org.actor("hr"), "subject_id": org.js, "year": 2026}
        svc.open_rating_review(session, reason="Grievance", now=reviewed, **kw)
        svc.close_rating_review(session, outcome="High Performing", reason="Q3 launch missed",
                                now=reviewed, **kw)  # fmt: skip
    plan_at(db, config, reviewed.replace(hour=11))
    told = [(r, st) for r, _k, _s, _m, st in outbox(db, kind="outcome_released")]
    assert told[2:] == [(org.js, "final_high_performing"), (org.lm, "final_high_performing")]
    from scheduler.nudges import is_done

    with db.read() as session:
        rows = session.exec(select(Outbox).where(Outbox.kind == "outcome_released")).all()
        assert [is_done(session, r, config) for r in rows] == [True, True, False, False]


def test_f24_the_line_manager_is_asked_to_agree_proposed_respondents(db, org, config) -> None:
    """F24: "Respondents are agreed between job holder and line manager": a proposal asks the
    line manager once; agreeing or removing every one ends the ask; a later proposal asks
    again."""
    from scheduler.nudges import is_done

    day = at("2026-09-14")
    propose = {"config": config, "actor": org.actor("js"), "subject_id": org.js,
               "relationship": "Peer"}  # fmt: skip
    with db.write() as session:
        first = svc.propose_respondent(session, respondent="peer@dept.example", now=day,
                                       **propose)  # fmt: skip
        second = svc.propose_respondent(session, respondent="Sam Cole, HMT", now=day, **propose)
    plan_at(db, config, day)
    asks = outbox(db, kind="respondents_to_agree")
    assert asks == [(org.lm, "respondents_to_agree", org.js, "respondents", f"agree_{second.id}")]
    assert plan_at(db, config, day.replace(hour=11)).get("respondents_to_agree") is None  # once
    with db.write() as session:
        svc.agree_respondent(session, actor=org.actor("lm"), respondent_id=first.id, now=day)
        row = session.exec(select(Outbox).where(Outbox.kind == "respondents_to_agree")).one()
        assert not is_done(session, row, config)  # one still waits
        svc.remove_respondent(session, actor=org.actor("lm"), respondent_id=second.id, now=day)
        assert is_done(session, row, config)
        third = svc.propose_respondent(session, respondent="Ada Quill, No10", now=day, **propose)
    plan_at(db, config, day.replace(hour=12))
    assert [a[4] for a in outbox(db, kind="respondents_to_agree")] == [
        f"agree_{second.id}",
        f"agree_{third.id}",
    ]


def test_a_deadline_on_a_weekend_is_the_working_day_before(db, org, config) -> None:
    """Objectives are agreed by 31 May; in 2026 that is a Sunday, so people are told Friday
    29 May, and the ladder counts back from the Friday: its last reminder is Thursday 28 May
    (1 working day before), not Friday 29 May."""
    from scheduler.nudges import NudgeContext, compose
    from store.framework import Nation

    plan_at(db, config, at("2026-05-28"))
    steps = {st for _r, _k, s, _m, st in outbox(db, kind="objectives_due") if s == org.js}
    assert steps == {"before_1"}
    ctx = NudgeContext(1, "objectives_due", "before_1", "objectives_agreed", 2026, org.js, "Js",
                       {}, True, Nation.ENGLAND)  # fmt: skip
    assert "by Friday 29 May" in compose(config, ctx).text


def test_the_report_counts_exactly_the_rows_a_tick_wrote(db, org, config) -> None:
    """Kinds planned row by row (here: award decisions) count what was inserted, not what was
    offered - the second tick offers the same rows and counts none."""
    with db.write() as session:
        for amount in (100_000, 50_000):
            svc.nominate_award(
                session, config=config, actor=org.actor("lm"), nominee_id=org.js,
                amount_pence=amount, reason="r", now=at("2026-07-15"),
            )  # fmt: skip
    first = plan_at(db, config, at("2026-07-15", 11))
    assert first["award_decision"] == 2 == len(outbox(db, kind="award_decision"))
    assert "award_decision" not in plan_at(db, config, at("2026-07-15", 12))
    assert len(outbox(db, kind="award_decision")) == 2
