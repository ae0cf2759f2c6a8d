"""Services on SQLite and PostgreSQL: rules enforced, audited, bad input stores nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from store import queries
from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PerfbotError,
    PermissionDenied,
    RuleViolation,
)
from store.framework import MinimumStandard, Rating, Stage
from store.models import (
    AuditEntry,
    Award,
    AwardStatus,
    DevelopmentPlan,
    Evidence,
    IndicativeRating,
    ModeratedRating,
    ObjectiveRevision,
    Person,
    PlanStatus,
    WriteUp,
)
from tests.conftest import Org, end_year_ready

YEAR = 2026
END = datetime(2027, 3, 22, 10, 0, tzinfo=UTC)  # Q4, end-year write-up time


def table_counts(db: Database) -> dict[str, int]:
    from sqlmodel import SQLModel

    with db.read() as session:
        return {
            t.name: session.execute(sa.select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


def call(db: Database, service: Any, **kwargs: Any) -> Any:
    with db.write() as session:
        return service(session, **kwargs)


def rejected(db: Database, service: Any, error: type[PerfbotError], **kwargs: Any) -> PerfbotError:
    """Call a service expecting ``error``; prove nothing at all was written."""
    before = table_counts(db)
    with pytest.raises(error) as caught:
        call(db, service, **kwargs)
    assert table_counts(db) == before, "a rejected call changed the store"
    assert caught.value.message and "Traceback" not in caught.value.message
    return caught.value


def rate(
    db: Database,
    org: Org,
    config: DepartmentConfig,
    now: datetime,
    quarter: int,
    rating: str,
    subject: str = "js",
    **extra: Any,
) -> svc.RatingOutcome:
    return call(
        db,
        svc.record_indicative_rating,
        config=config,
        actor=org.actor("lm"),
        subject_id=getattr(org, subject),
        quarter=quarter,
        rating=rating,
        what_note="Delivered the plan",
        how_note="Led the team well",
        now=now,
        **extra,
    )


# --- F5, F10: ratings -------------------------------------------------------------------------
def test_f5_line_manager_records_indicative_rating_with_history(db, org, config, now) -> None:
    first = rate(db, org, config, now, 1, "Achieved")
    assert first.rating.rating is Rating.ACHIEVING and first.previous_quarter is None
    second = rate(db, org, config, now, 2, "High Performing")
    assert second.previous_quarter is Rating.ACHIEVING  # shown in the form next time
    rate(db, org, config, now, 2, "Exceeded")  # a correction updates in place ...
    with db.read() as session:
        rows = session.exec(
            select(IndicativeRating).where(IndicativeRating.person_id == org.js)
        ).all()
        assert sorted((r.quarter, r.rating) for r in rows) == [
            (1, Rating.ACHIEVING),
            (2, Rating.EXCEEDING),
        ]
        audits = session.exec(
            select(AuditEntry).where(AuditEntry.action == "rating.record").order_by(AuditEntry.id)
        ).all()
    # ... and the audit log keeps old -> new, who and via which channel.
    assert audits[-1].old["rating"] == "high_performing"
    assert audits[-1].new["rating"] == "exceeding"
    assert audits[-1].actor_id == org.lm and audits[-1].via == "test"


def test_f5_future_quarter_cannot_be_rated(db, org, config, now) -> None:
    err = rejected(
        db,
        svc.record_indicative_rating,
        RuleViolation,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        quarter=3,
        rating="Achieving",
        what_note="w",
        how_note="h",
        now=now,
    )
    assert err.field == "quarter"


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"rating": "Outstanding"}, InvalidInput, "rating"),
        ({"quarter": 5}, InvalidInput, "quarter"),
        ({"how_note": ""}, RuleViolation, "how"),  # F6
        ({"what_note": "x" * 5000}, InvalidInput, "what"),
        ({"subject_id": 99999}, NotFound, "person"),
        ({"year": 1066}, InvalidInput, "year"),
    ],
)
def test_rating_bad_input_is_rejected_and_stores_nothing(
    db, org, config, now, changes, error, field
) -> None:
    args = {
        "config": config,
        "actor": org.actor("lm"),
        "subject_id": org.js,
        "quarter": 1,
        "rating": "Achieving",
        "what_note": "w",
        "how_note": "h",
        "now": now,
    } | changes
    assert rejected(db, svc.record_indicative_rating, error, **args).field == field


def test_f10_two_consecutive_partially_met_prompt_a_development_plan(db, org, config, now):
    later = datetime(2026, 10, 20, 10, tzinfo=now.tzinfo)
    assert not rate(db, org, config, later, 1, "Partially Met").plan_prompted  # §56: support
    outcome = rate(db, org, config, later, 2, "Partially Met")
    assert outcome.plan_prompted and outcome.step.value == "development_plan"
    assert not rate(db, org, config, later, 3, "Partially Met").plan_prompted  # once only
    with db.read() as session:
        plan = session.exec(select(DevelopmentPlan)).one()
    assert (plan.person_id, plan.triggered_by_quarter, plan.status) == (
        org.js,
        2,
        PlanStatus.PROMPTED,
    )
    # The manager records the plan and the review meeting; a plan needs a review date.
    rejected(
        db,
        svc.update_development_plan,
        RuleViolation,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        status="agreed",
        now=later,
    )
    call(
        db,
        svc.update_development_plan,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        status="agreed",
        review_on=date(2026, 11, 30),
        now=later,
    )
    with db.read() as session:
        assert session.exec(select(DevelopmentPlan.status)).one() == PlanStatus.AGREED


# --- F6-F9, F23: write-ups and gates --------------------------------------------------------
def end_year_write_up(db, org, config, recommended="Exceeding", **extra: Any) -> WriteUp:
    args = {
        "config": config,
        "actor": org.actor("lm"),
        "subject_id": org.js,
        "stage": "end_year",
        "what": "Delivered",
        "how": "Behaved well",
        "recommended_rating": recommended,
        "feedback_360": False,
        "bias_acknowledged": True,
        "now": END,
        "year": YEAR,
    } | extra
    return call(db, svc.record_manager_assessment, **args)


def test_f23_end_year_write_up_needs_bias_tick_360_and_recommendation(db, org, config):
    base = {
        "config": config,
        "actor": org.actor("lm"),
        "subject_id": org.js,
        "stage": "end_year",
        "what": "Delivered",
        "how": "Behaved",
        "recommended_rating": "Exceeding",
        "feedback_360": False,
        "bias_acknowledged": True,
        "now": END,
        "year": YEAR,
    }
    for change, error, field in (
        ({"bias_acknowledged": False}, RuleViolation, "bias_acknowledged"),
        ({"feedback_360": True}, RuleViolation, "feedback_360"),  # F24: no agreed respondents
        ({"recommended_rating": None}, InvalidInput, "recommended_rating"),
        ({"recommended_rating": "Superb"}, InvalidInput, "recommended_rating"),
        ({"what": " "}, RuleViolation, "what"),
        ({"stage": "quarterly"}, InvalidInput, "stage"),
    ):
        assert rejected(db, svc.record_manager_assessment, error, **(base | change)).field == field
    # F7: no recommendation at mid-year.
    assert (
        rejected(
            db, svc.record_manager_assessment, RuleViolation, **(base | {"stage": "mid_year"})
        ).rule
        == "F7"
    )
    row = call(db, svc.record_manager_assessment, **base)
    assert row.recommended_rating is Rating.EXCEEDING and row.bias_acknowledged


def test_f23_agreement_by_job_holder_manager_and_countersigning_officer(db, org, config):
    call(
        db,
        svc.record_self_assessment,
        config=config,
        actor=org.actor("js"),
        subject_id=org.js,
        stage=Stage.END_YEAR,
        text="I delivered",
        now=END,
        year=YEAR,
    )
    end_year_write_up(db, org, config)
    for who in ("js", "lm", "ps"):  # ps is the countersigning officer
        call(
            db,
            svc.agree_write_up,
            config=config,
            actor=org.actor(who),
            subject_id=org.js,
            stage="end_year",
            now=END,
            year=YEAR,
        )
    rejected(
        db,
        svc.agree_write_up,
        PerfbotError,
        config=config,
        actor=org.actor("peer"),
        subject_id=org.js,
        stage="end_year",
        now=END,
        year=YEAR,
    )
    with db.read() as session:
        row = session.exec(select(WriteUp)).one()
    assert row.self_assessment == "I delivered"
    assert row.job_holder_agreed_at and row.line_manager_agreed_at and row.countersigned_at


def test_f23_the_job_holder_agrees_or_comments_then_it_is_countersigned(db, org, config):
    """F23, guidance Annex B: agreement by job holder, line manager and countersigning officer
    - the job holder first (Annex D: agreed "then taken to moderation"); their comment is kept
    beside the assessment; a revision after agreement asks them all again."""
    sign = {"config": config, "subject_id": org.js, "stage": "end_year", "year": YEAR}
    err = rejected(db, svc.comment_on_write_up, RuleViolation, actor=org.actor("js"),
                   comment="Too early", now=END, **sign)  # fmt: skip
    assert "no manager assessment" in err.message
    end_year_write_up(db, org, config)
    with db.read() as session:  # writing it is the line manager's own agreement
        assert session.exec(select(WriteUp)).one().line_manager_agreed_at is not None
    err = rejected(db, svc.agree_write_up, RuleViolation, actor=org.actor("ps"), now=END, **sign)
    assert err.message.startswith("Js has not agreed this write-up yet")
    for who, error in (("lm", PermissionDenied), ("peer", PermissionDenied)):
        rejected(db, svc.comment_on_write_up, error, actor=org.actor(who), comment="c",
                 now=END, **sign)  # fmt: skip
    rejected(db, svc.comment_on_write_up, InvalidInput, actor=org.actor("js"), comment=" ",
             now=END, **sign)  # fmt: skip
    call(db, svc.comment_on_write_up, actor=org.actor("js"), comment="Add the bid.", now=END,
         **sign)  # fmt: skip
    for who in ("js", "ps"):
        call(db, svc.agree_write_up, actor=org.actor(who), now=END, **sign)
    with db.read() as session:
        row = session.exec(select(WriteUp)).one()
    assert row.job_holder_comment == "Add the bid." and row.countersigned_at is not None
    end_year_write_up(db, org, config)  # a revision after agreement
    with db.read() as session:
        row = session.exec(select(WriteUp)).one()
    assert (row.job_holder_agreed_at, row.countersigned_at) == (None, None)
    assert row.job_holder_comment == "Add the bid."  # kept, beside the revised assessment


def test_f8_f9_gates_are_derived_never_typed(db, org, config) -> None:
    end_year_write_up(db, org, config, recommended="Exceeding")
    with db.read() as session:
        assert svc.gated_recommendation(session, org.js, YEAR).rating is Rating.EXCEEDING
    call(
        db,
        svc.record_finance_outcome,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        met=False,
        now=END,
        year=YEAR,
    )
    with db.read() as session:
        gated = svc.gated_recommendation(session, org.js, YEAR)
    assert gated.rating is Rating.ACHIEVING and gated.reasons[0].startswith(
        "Finance objective not met"
    )
    call(
        db,
        svc.record_minimum_standards,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        results={"value_for_money": True, "delivery": True, "culture": False, "talent": True},
        now=END,
        year=YEAR,
    )
    with db.read() as session:
        gated = svc.gated_recommendation(session, org.js, YEAR)
        stored = session.exec(select(WriteUp.recommended_rating)).one()
    assert gated.rating is Rating.PARTIALLY_MET and gated.reasons[0].startswith(
        "Minimum standard not met"
    )
    assert stored == Rating.EXCEEDING  # F7: the recommendation itself is untouched
    rejected(
        db,
        svc.record_minimum_standards,
        InvalidInput,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        results={"kindness": True},
        now=END,
    )
    rejected(
        db,
        svc.record_minimum_standards,
        InvalidInput,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        results={"talent": "maybe"},
        now=END,
    )


def test_f7_moderated_rating_kept_apart_from_recommendation(db, org, config) -> None:
    with db.write() as session:
        end_year_ready(
            session, config, END, manager=org.actor("lm"), subject_id=org.js,
            signers=(org.actor("js"),), recommended="High Performing",
        )  # fmt: skip
    call(
        db,
        svc.record_moderated_rating,
        config=config,
        actor=org.actor("hr"),
        subject_id=org.js,
        rating="Achieving",
        reason="Local panel",
        now=END,
        year=YEAR,
    )
    with db.read() as session:
        assert session.exec(select(WriteUp.recommended_rating)).one() == Rating.HIGH_PERFORMING
        assert session.exec(select(ModeratedRating.rating)).one() == Rating.ACHIEVING
    rejected(
        db,
        svc.record_moderated_rating,
        InvalidInput,
        config=config,
        actor=org.actor("hr"),
        subject_id=org.js,
        rating="Achieving",
        reason="",
        now=END,
        year=YEAR,
    )


def test_f7_f23_moderation_waits_for_agreement_and_every_gate(db, org, config) -> None:
    """F7: "There is no final rating ... while a minimum standard or the finance outcome is
    unassessed." Annex D: "Once a performance rating has been provisionally agreed by the job
    holder and the line manager, it is then taken to moderation"."""
    moderate = {
        "config": config, "actor": org.actor("hr"), "subject_id": org.js,
        "rating": "Achieving", "reason": "Local panel", "now": END, "year": YEAR,
    }  # fmt: skip
    with db.write() as session:  # written, gates assessed, but the job holder has not agreed
        end_year_ready(
            session, config, END, manager=org.actor("lm"), subject_id=org.js, signers=(),
            finance_met=None,
        )  # fmt: skip
    err = rejected(db, svc.record_moderated_rating, RuleViolation, **moderate)
    assert err.message == (
        "Js cannot be moderated yet: end-year write-up not yet agreed; finance objective not "
        "assessed."
    )
    call(db, svc.agree_write_up, config=config, actor=org.actor("js"), subject_id=org.js,
         stage="end_year", now=END, year=YEAR)  # fmt: skip
    err = rejected(db, svc.record_moderated_rating, RuleViolation, **moderate)
    assert err.message.endswith("yet: finance objective not assessed.")
    call(db, svc.record_finance_outcome, config=config, actor=org.actor("lm"), subject_id=org.js,
         met=True, now=END, year=YEAR)  # fmt: skip
    assert call(db, svc.record_moderated_rating, **moderate).rating is Rating.ACHIEVING
    with db.read() as session:
        person = session.get(Person, org.js)
        outcome = svc.year_end_outcome(session, person, YEAR, Rating.ACHIEVING)
    assert outcome.rating is Rating.ACHIEVING and outcome.missing == ()
    # A revised write-up must be agreed again before the panel's rating counts.
    end_year_write_up(db, org, config, recommended="Achieving")
    with db.read() as session:
        person = session.get(Person, org.js)
        again = svc.year_end_outcome(session, person, YEAR, Rating.ACHIEVING)
    assert again.rating is None and again.missing == ("end-year write-up not yet agreed",)


def test_f27_hr_puts_a_final_rating_under_review_and_records_the_outcome(
    db, org, config, tmp_path
) -> None:
    """F27, guidance FAQ: a job holder may challenge a final rating through the grievance
    route; "HR can mark a rating as under review and record the outcome, which changes the
    final rating with a reason in the audit log"."""
    from store.workbook import export_workbook
    from tests.store.test_export import sheet_rows

    review = {"config": config, "subject_id": org.js, "now": END, "year": YEAR}
    err = rejected(db, svc.open_rating_review, RuleViolation, actor=org.actor("hr"),
                   reason="Grievance", **review)  # fmt: skip
    assert "has no final rating" in err.message
    with db.write() as session:
        end_year_ready(session, config, END, manager=org.actor("lm"), subject_id=org.js,
                       signers=(org.actor("js"),), recommended="Achieving")  # fmt: skip
    rejected(db, svc.open_rating_review, PermissionDenied, actor=org.actor("lm"),
             reason="Grievance", **review)  # fmt: skip
    call(db, svc.open_rating_review, actor=org.actor("hr"), reason="Grievance lodged", **review)
    rejected(db, svc.open_rating_review, Conflict, actor=org.actor("hr"), reason="Again",
             **review)  # fmt: skip
    path = tmp_path / "open.xlsx"
    export_workbook(db, config, path, actor=org.actor("hr"), now=END, year=YEAR)
    row = next(r for r in sheet_rows(path, "Ratings") if r["Name"] == "Js")
    assert row["Final rating"] == "Achieving"
    assert row["Review of the rating"].startswith("Under review since")
    call(db, svc.close_rating_review, actor=org.actor("hr"), outcome="High Performing",
         reason="Evidence of the Q3 launch was missed", **review)  # fmt: skip
    rejected(db, svc.close_rating_review, Conflict, actor=org.actor("hr"), outcome="Exceeding",
             reason="Again", **review)  # fmt: skip
    path = tmp_path / "closed.xlsx"
    export_workbook(db, config, path, actor=org.actor("hr"), now=END, year=YEAR)
    row = next(r for r in sheet_rows(path, "Ratings") if r["Name"] == "Js")
    assert row["Final rating"] == "High Performing" and row["End-year bonus"] == "Eligible"
    assert row["Review of the rating"].endswith(
        "final rating High Performing: Evidence of the Q3 launch was missed"
    )
    with db.read() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "rating_review.close")
        ).one()
    assert entry.reason == "Evidence of the Q3 launch was missed"
    assert entry.old == {"final_rating": "achieving"}
    assert entry.new == {"final_rating": "high_performing"}


def test_f18_moderation_refused_for_someone_moderated_elsewhere(db, org, config) -> None:
    with db.write() as session:  # a test fixture change: moved in on 2 January
        session.execute(
            sa.update(Person)
            .where(Person.id == org.other)
            .values(start_date=date(2027, 1, 2), civil_service_start=date(2015, 1, 1))
        )
    err = rejected(
        db,
        svc.record_moderated_rating,
        RuleViolation,
        config=config,
        actor=org.actor("hr"),
        subject_id=org.other,
        rating="Achieving",
        reason="panel",
        now=END,
        year=YEAR,
    )
    assert err.rule == "F18"


def test_f18_department_move_out_before_january_hands_moderation_over(db, org, config, now):
    rejected(
        db,
        svc.record_department_move,
        PerfbotError,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        left_to="HM Treasury",
        left_on=date(2026, 12, 1),
        now=now,
    )
    rejected(
        db,
        svc.record_department_move,
        InvalidInput,
        config=config,
        actor=org.actor("hr"),
        subject_id=org.js,
        now=now,
    )
    call(
        db,
        svc.record_department_move,
        config=config,
        actor=org.actor("hr"),
        subject_id=org.js,
        left_to="HM Treasury",
        left_on=date(2026, 12, 1),
        now=now,
    )
    with db.read() as session:
        person = session.get(Person, org.js)
        assert svc.moderation_placement(person, YEAR).value == "other_department"
    err = rejected(
        db,
        svc.record_moderated_rating,
        RuleViolation,
        config=config,
        actor=org.actor("hr"),
        subject_id=org.js,
        rating="Achieving",
        reason="panel",
        now=END,
        year=YEAR,
    )
    assert err.rule == "F18"


# --- F11-F13, F17: objectives -----------------------------------------------------------------
def objective(db, org, config, now, who="js", **extra: Any) -> svc.ObjectiveOutcome:
    args = {
        "config": config,
        "actor": org.actor(who),
        "subject_id": org.js,
        "heading": "finance",
        "what": "Save £1m",
        "how": "With the team",
        "now": now,
    } | extra
    return call(db, svc.set_objective, **args)


def test_f12_warns_outside_three_to_six_and_a_ninth_needs_the_line_managers_reason(
    db, org, config, now
) -> None:
    """F12: 3 to 6 recommended (outcome form); "where possible" no more than 8 live at once
    (guidance Annex A) - so a ninth is the line manager's call, with a reason, not a wall."""
    warnings = [objective(db, org, config, now).warning for _ in range(8)]
    assert warnings[0] and warnings[1] and not any(warnings[2:6]) and warnings[6]
    ninth = {"heading": "people", "what": "w", "how": "h"}
    err = rejected(db, svc.set_objective, RuleViolation, config=config, actor=org.actor("js"),
                   subject_id=org.js, now=now, over_limit_reason="Busy", **ninth)  # fmt: skip
    assert err.rule == "F12" and "ask your line manager" in err.message
    err = rejected(db, svc.set_objective, RuleViolation, config=config, actor=org.actor("lm"),
                   subject_id=org.js, now=now, **ninth)  # fmt: skip
    assert err.field == "over_limit_reason"
    done = objective(
        db, org, config, now, who="lm", over_limit_reason="A second programme", **ninth
    )
    assert done.warning == "9 live objectives; 3 to 6 are recommended."
    with db.read() as session:
        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "objective.set")
            .order_by(
                AuditEntry.id.desc()  # type: ignore[union-attr]
            )
        ).first()
    assert entry.reason == "A second programme" and entry.actor_id == org.lm


def test_f11_objectives_are_done_when_the_four_headings_are_covered_and_agreed(
    db, org, config, now
) -> None:
    """F11 (corrected), guidance §23: objectives "must" be set under each heading, and are
    agreed - signed off - by the line manager (§42; outcome form). Three objectives under any
    heading are not enough; a change after agreement needs agreeing again."""
    agree = {"config": config, "subject_id": org.js, "now": now}
    for heading in ("business_delivery", "business_delivery", "people"):
        objective(db, org, config, now, heading=heading)
    err = rejected(db, svc.agree_objectives, RuleViolation, actor=org.actor("lm"), **agree)
    assert err.rule == "F11" and "Finance/efficiency and Corporate contribution" in err.message
    finance = objective(db, org, config, now, heading="finance").objective
    objective(db, org, config, now, heading="corporate")
    for who in ("js", "peer", "dg_a", "hr"):  # only the line manager signs them off
        rejected(db, svc.agree_objectives, PermissionDenied, actor=org.actor(who), **agree)
    first = call(db, svc.agree_objectives, actor=org.actor("lm"), **agree)
    assert (first.agreed_by_id, first.agreed_at) == (org.lm, now)
    with db.read() as session:
        assert svc.objectives_agreement(session, org.js, YEAR) is not None
    # Closing the only finance objective reopens the set, and it cannot be agreed again as is.
    call(db, svc.close_objective, actor=org.actor("js"), objective_id=finance.id,
         reason="Moved to another team", now=now)  # fmt: skip
    with db.read() as session:
        assert svc.objectives_agreement(session, org.js, YEAR) is None
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.action.like("objectives.%"))  # type: ignore[attr-defined]
        ).all()
    assert actions == ["objectives.agree", "objectives.reopen"]
    rejected(db, svc.agree_objectives, RuleViolation, actor=org.actor("lm"), **agree)


def test_f11_f13_revisions_keep_the_original(db, org, config, now) -> None:
    first = objective(db, org, config, now, heading="Business delivery")
    oid = first.objective.id
    call(
        db,
        svc.revise_objective,
        actor=org.actor("lm"),
        objective_id=oid,
        what="Save £2m",
        how="With partners",
        reason="Budget changed",
        now=now + timedelta(days=30),
    )
    with db.read() as session:
        revisions = session.exec(
            select(ObjectiveRevision)
            .where(ObjectiveRevision.objective_id == oid)
            .order_by(ObjectiveRevision.number)
        ).all()
    assert [(r.number, r.what, r.reason) for r in revisions] == [
        (1, "Save £1m", None),
        (2, "Save £2m", "Budget changed"),
    ]
    rejected(
        db,
        svc.revise_objective,
        InvalidInput,
        actor=org.actor("lm"),
        objective_id=oid,
        what="x",
        how="y",
        reason="",
        now=now,
    )
    rejected(
        db,
        svc.set_objective,
        InvalidInput,
        config=config,
        actor=org.actor("js"),
        subject_id=org.js,
        heading="Hobbies",
        what="w",
        how="h",
        now=now,
    )


def test_f17_milestone_met_can_back_a_nomination(db, org, config, now) -> None:
    oid = objective(db, org, config, now).objective.id
    ms = call(
        db,
        svc.add_milestone,
        actor=org.actor("js"),
        objective_id=oid,
        title="White paper published",
        due_on=date(2026, 11, 30),
        now=now,
    )
    met = call(
        db,
        svc.record_milestone_met,
        config=config,
        actor=org.actor("lm"),
        milestone_id=ms.id,
        now=now,
    )
    assert met.met_on == date(2026, 7, 15)
    award = call(
        db,
        svc.nominate_award,
        config=config,
        actor=org.actor("lm"),
        nominee_id=org.js,
        amount_pence=300_000,
        reason="Milestone met",
        milestone_id=ms.id,
        now=now,
    )
    assert (award.milestone_id, award.objective_id) == (ms.id, oid)


# --- F14: evidence ------------------------------------------------------------------------------
def test_f14_evidence_portfolio_and_idempotent_saves(db, org, config, now) -> None:
    args = {
        "config": config,
        "actor": org.actor("js"),
        "subject_id": org.js,
        "text": "Chaired review",
        "standard": "talent",
        "link": "https://chat.example/p1",
        "source_ref": "slack:C1/p1",
        "now": now,
    }
    first = call(db, svc.add_evidence, **args)
    again = call(db, svc.add_evidence, **args)  # the same message saved twice
    assert first.id == again.id
    with db.read() as session:
        assert session.exec(select(func.count()).select_from(Evidence)).one() == 1
    for change, field in (
        ({"text": ""}, "text"),
        ({"text": "x" * 5000}, "text"),
        ({"link": "ftp://x"}, "link"),
        ({"standard": "kindness"}, "standard"),
        ({"standard": None}, "target"),
        ({"objective_id": 12345}, "objective"),
    ):
        bad = args | change | {"source_ref": None}
        assert rejected(db, svc.add_evidence, InvalidInput, **bad).field == field


# --- F15: awards -----------------------------------------------------------------------------
def nominate(db, org, config, now, amount=250_000, who="lm", nominee="js") -> Award:
    return call(
        db,
        svc.nominate_award,
        config=config,
        actor=org.actor(who),
        nominee_id=getattr(org, nominee),
        amount_pence=amount,
        reason="Great work",
        now=now,
    )


def decide(db, org, config, now, award_id, approve=True, who="dg_a", reason=None) -> Award:
    return call(
        db,
        svc.decide_award,
        config=config,
        actor=org.actor(who),
        award_id=award_id,
        approve=approve,
        reason=reason,
        now=now,
    )


def test_f15_award_bad_input(db, org, config, now) -> None:
    base = {
        "config": config,
        "actor": org.actor("lm"),
        "nominee_id": org.js,
        "amount_pence": 100_000,
        "reason": "Great",
        "now": now,
    }
    cases = [
        ({"amount_pence": 0}, InvalidInput),
        ({"amount_pence": -500}, InvalidInput),
        ({"amount_pence": 500_001}, RuleViolation),  # over one award's cap
        ({"amount_pence": 12.5}, InvalidInput),
        ({"reason": " "}, InvalidInput),
        ({"nominee_id": org.ppm}, RuleViolation),  # on poor-performance measures (§49)
        ({"nominee_id": 424242}, NotFound),
        ({"objective_id": 999}, InvalidInput),
    ]
    for change, error in cases:
        rejected(db, svc.nominate_award, error, **(base | change))


def test_f15_yearly_cap_checked_at_nomination_and_again_at_decision(db, org, config, now):
    """F15, guidance FAQ: several awards are allowed but the total in one performance year
    may not exceed £17,500. Nominations awaiting a decision hold their place, so two pending
    nominations cannot promise the same headroom twice."""
    a1, a2, a3 = (nominate(db, org, config, now, 500_000) for _ in range(3))
    with db.read() as session:  # £15,000 awaiting decisions: £2,500 left to nominate
        assert svc.award_headroom(session, config, org.js, YEAR) == 250_000
    err = rejected(
        db, svc.nominate_award, RuleViolation, config=config, actor=org.actor("lm"),
        nominee_id=org.js, amount_pence=500_000, reason="x", now=now,
    )  # fmt: skip
    assert err.message == (
        "This would take their in-year awards to £20,000 (£15,000 of it is in nominations "
        "awaiting a decision), over the £17,500 yearly limit. Headroom left: £2,500."
    )
    decide(db, org, config, now, a1.id, approve=False, reason="Not this one")  # frees £5,000
    a4 = nominate(db, org, config, now, 500_000)
    for award in (a2, a3):
        decide(db, org, config, now, award.id)
    # Checked again at decision: a cap lowered since the nomination is respected.
    lowered = config.model_copy(
        update={"awards": config.awards.model_copy(update={"per_year_pounds": 12_000})}
    )
    err = rejected(
        db, svc.decide_award, RuleViolation, config=lowered, actor=org.actor("dg_a"),
        award_id=a4.id, approve=True, now=now,
    )  # fmt: skip
    assert err.rule == "F15" and "£12,000" in err.message
    last = nominate(db, org, config, now, 250_000)
    decide(db, org, config, now, a4.id)
    assert decide(db, org, config, now, last.id).cst_approval_needed  # reached £17,500


def test_f15_an_award_reaching_the_chief_secretary_threshold_waits_for_hr_to_record_it(
    db, org, config, now
) -> None:
    """F15, guidance FAQ: the total in one performance year may not exceed £17,500, "and
    totals at this level will require Chief Secretary to the Treasury approval". The award
    that reaches it is not final (or paid) until HR records that approval, with a reference;
    meanwhile it holds its place under the cap."""
    for award in [nominate(db, org, config, now, 500_000) for _ in range(3)]:
        assert decide(db, org, config, now, award.id).status is AwardStatus.APPROVED
    last = decide(db, org, config, now, nominate(db, org, config, now, 250_000).id)
    assert last.status is AwardStatus.AWAITING_CST and last.cst_approval_needed
    with db.read() as session:  # not paid yet, but its £2,500 is spoken for
        assert svc.approved_award_total(session, org.js, YEAR) == 1_500_000
        assert svc.award_headroom(session, config, org.js, YEAR) == 0
    rejected(db, svc.nominate_award, RuleViolation, config=config, actor=org.actor("lm"),
             nominee_id=org.js, amount_pence=100_000, reason="r", now=now)  # fmt: skip
    # Only HR records the Chief Secretary's answer; the DG who approved cannot.
    args = {"award_id": last.id, "approved": True, "now": now}
    for who in ("dg_a", "lm", "js"):
        rejected(db, svc.record_cst_decision, PermissionDenied, actor=org.actor(who),
                 reference="CST-1", **args)  # fmt: skip
    err = rejected(db, svc.record_cst_decision, InvalidInput, actor=org.actor("hr"),
                   reference=" ", **args)  # fmt: skip
    assert err.field == "reference"
    done = call(db, svc.record_cst_decision, actor=org.actor("hr"), reference="CST-1", **args)
    assert (done.status, done.cst_reference) == (AwardStatus.APPROVED, "CST-1")
    with db.read() as session:
        assert svc.approved_award_total(session, org.js, YEAR) == 1_750_000
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "award.cst_approve")
        ).one()
        assert entry.entity_id == str(last.id) and entry.actor_id == org.hr
    err = rejected(db, svc.record_cst_decision, Conflict, actor=org.actor("hr"),
                   reference="CST-2", **args)  # fmt: skip
    assert "already recorded (reference CST-1)" in err.message
    # A refusal (with its reason) rejects the award and frees its place under the cap.
    # (A department may set the threshold lower than the cap: here £5,000.)
    low = config.model_copy(
        update={"awards": config.awards.model_copy(update={"cst_approval_from_pounds": 5_000})}
    )
    waiting = decide(db, org, low, now, nominate(db, org, low, now, 500_000, nominee="peer").id)
    assert waiting.status is AwardStatus.AWAITING_CST
    refuse = {"award_id": waiting.id, "approved": False, "reference": "CST-9", "now": now}
    err = rejected(db, svc.record_cst_decision, InvalidInput, actor=org.actor("hr"), **refuse)
    assert err.field == "reason"
    refused = call(db, svc.record_cst_decision, actor=org.actor("hr"), reason="Over the pot",
                   **refuse)  # fmt: skip
    assert (refused.status, refused.decision_reason) == (AwardStatus.REJECTED, "Over the pot")
    with db.read() as session:
        assert svc.award_headroom(session, low, org.peer, YEAR) == 1_750_000


def test_f15_a_decision_can_be_undone_by_its_decider_for_a_short_while(db, org, config, now):
    """A mis-click on Approve is put right by the same person within awards.undo_minutes
    (default 10); the audit keeps the decision and its undoing; nobody else can undo it."""
    award = nominate(db, org, config, now)
    decide(db, org, config, now, award.id)
    undo = {"config": config, "award_id": award.id}
    for who in ("dg_b", "lm", "hr"):
        rejected(db, svc.undo_award_decision, PermissionDenied, actor=org.actor(who),
                 now=now + timedelta(minutes=5), **undo)  # fmt: skip
    err = rejected(db, svc.undo_award_decision, Conflict, actor=org.actor("dg_a"),
                   now=now + timedelta(minutes=11), **undo)  # fmt: skip
    assert "within 10 minutes" in err.message
    back = call(db, svc.undo_award_decision, actor=org.actor("dg_a"),
                now=now + timedelta(minutes=9), **undo)  # fmt: skip
    assert (back.status, back.decided_by_id) == (AwardStatus.PENDING, None)
    with db.read() as session:
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.entity == "award").order_by(AuditEntry.id)
        ).all()
    assert actions == ["award.nominate", "award.approved", "award.undo"]
    # Pending again: it can be decided afresh (here rejected), and withdrawn only while pending.
    decide(db, org, config, now, award.id, approve=False, reason="Not this year")
    rejected(db, svc.withdraw_award, Conflict, actor=org.actor("lm"), award_id=award.id, now=now)


def test_f15_decided_once_and_rejection_needs_reason(db, org, config, now) -> None:
    award = nominate(db, org, config, now)
    rejected(
        db,
        svc.decide_award,
        InvalidInput,
        config=config,
        actor=org.actor("dg_a"),
        award_id=award.id,
        approve=False,
        reason="",
        now=now,
    )
    decide(db, org, config, now, award.id, approve=False, reason="Not this time")
    err = rejected(
        db,
        svc.decide_award,
        Conflict,
        config=config,
        actor=org.actor("dg_a"),
        award_id=award.id,
        approve=True,
        now=now,
    )
    assert "already rejected by Dg A" in err.message
    rejected(db, svc.withdraw_award, Conflict, actor=org.actor("lm"), award_id=award.id, now=now)


def test_f15_f16_a_civil_service_leaver_is_never_awarded_or_bonus_eligible(
    db, org, config, now
) -> None:
    """F15, F16, guidance FAQ: "If the individual has left the Civil Service entirely they
    will not be entitled to any bonus or performance reward if they were eligible for one."""
    award = nominate(db, org, config, now)
    with db.write() as session:  # a test fixture change: js leaves after the nomination
        session.execute(sa.update(Person).where(Person.id == org.js).values(left_on=now.date()))
    err = rejected(
        db, svc.decide_award, RuleViolation, config=config, actor=org.actor("dg_a"),
        award_id=award.id, approve=True, now=now,
    )  # fmt: skip
    assert err.message.startswith("Js has left the Civil Service, so this award cannot be")
    assert decide(db, org, config, now, award.id, approve=False, reason="Left").status == (
        AwardStatus.REJECTED
    )
    rejected(db, svc.nominate_award, InvalidInput, config=config, actor=org.actor("lm"),
             nominee_id=org.js, amount_pence=100_000, reason="r", now=now)  # fmt: skip
    # F16: the workbook never marks a leaver eligible for an end-year bonus.
    from store.workbook.population import derive

    record = (("exceeding",) * 4, "exceeding", (1, 1, 1, 1), 1, None, True)
    assert derive(*record, False).bonus == "Eligible - pay first"
    assert derive(*record, True).bonus == "Not eligible (left the Civil Service)"


def test_f15_a_dgs_nomination_and_a_nomination_of_a_dg_go_to_the_permanent_secretary(
    db, org, config, now
) -> None:
    """F15 (corrected), guidance §54c delegates decisions to Directors General; "A nomination
    is never decided by the person who made it or who receives it: a DG's own nomination,
    and any nomination of a DG, go to the Permanent Secretary (or a configured deputy)"."""
    own = nominate(db, org, config, now, who="dg_a", nominee="lm")  # dg_a manages lm
    err = rejected(db, svc.decide_award, PermissionDenied, config=config,
                   actor=org.actor("dg_a"), award_id=own.id, approve=True, now=now)  # fmt: skip
    assert "a nomination you made" in err.message
    with db.read() as session:
        assert [a.id for a in queries.pending_awards_for(session, config, org.ps)] == [own.id]
        assert queries.pending_awards_for(session, config, org.dg_a) == []
    assert decide(db, org, config, now, own.id, who="ps").status is AwardStatus.APPROVED
    # The Permanent Secretary manages dg_a, so cannot decide their own nomination of a DG:
    # without a deputy there is no one to decide, and the nomination says so.
    err = rejected(db, svc.nominate_award, RuleViolation, config=config, actor=org.actor("ps"),
                   nominee_id=org.dg_a, amount_pence=100_000, reason="r", now=now)  # fmt: skip
    assert err.message.startswith("There is no one in the roster who can decide an award for Dg A")
    deputy = config.model_copy(
        update={
            "awards": config.awards.model_copy(update={"dg_awards_decided_by": "hr@dept.example"})
        }
    )
    of_dg = nominate(db, org, deputy, now, 100_000, who="ps", nominee="dg_a")
    rejected(db, svc.decide_award, PermissionDenied, config=deputy, actor=org.actor("dg_b"),
             award_id=of_dg.id, approve=True, now=now)  # fmt: skip
    assert decide(db, org, deputy, now, of_dg.id, who="hr").status is AwardStatus.APPROVED


def test_f15_withdraw_by_nominator_only(db, org, config, now) -> None:
    award = nominate(db, org, config, now)
    rejected(
        db, svc.withdraw_award, PerfbotError, actor=org.actor("dg_a"), award_id=award.id, now=now
    )
    assert (
        call(db, svc.withdraw_award, actor=org.actor("lm"), award_id=award.id, now=now).status
        is AwardStatus.WITHDRAWN
    )


def test_f24_respondents_proposed_by_job_holder_agreed_by_manager(db, org, config, now):
    """F24: "Respondents are agreed between job holder and line manager" (guidance §75); "360
    undertaken" cannot be yes with no agreed respondents - and follows from them when unsaid."""
    propose = {"config": config, "actor": org.actor("js"), "subject_id": org.js, "now": now}
    row = call(db, svc.propose_respondent, respondent="Peer@Dept.example",
               relationship="peer", **propose)  # fmt: skip
    assert (row.respondent, row.respondent_person_id, row.relationship) == (
        "Peer",
        org.peer,
        "Peer",
    )  # a colleague in the roster, by their work email, under their roster name
    outside = call(db, svc.propose_respondent, respondent="Sam Cole, HM Treasury",
                   relationship="Stakeholder", **propose)  # fmt: skip
    assert outside.respondent_person_id is None
    for respondent, error, words in (
        ("peer@dept.example", Conflict, "Peer is already one of your respondents"),
        ("js@dept.example", InvalidInput, "someone other than yourself"),
        ("nobody@dept.example", InvalidInput, "No one in the roster has the email"),
    ):
        err = rejected(db, svc.propose_respondent, error, respondent=respondent,
                       relationship="Peer", **propose)  # fmt: skip
        assert words in err.message
    rejected(db, svc.propose_respondent, InvalidInput, respondent="X", relationship="Friend",
             **propose)  # fmt: skip
    rejected(
        db,
        svc.propose_respondent,
        PermissionDenied,
        respondent="X",
        relationship="Peer",
        **(propose | {"actor": org.actor("lm")}),
    )  # fmt: skip  (the job holder proposes)
    rejected(db, svc.agree_respondent, PerfbotError, actor=org.actor("peer"),
             respondent_id=row.id, now=now)  # fmt: skip
    # "360 undertaken" can't be yes before any respondent is agreed.
    written = {"config": config, "actor": org.actor("lm"), "subject_id": org.js,
               "stage": "end_year", "what": "W", "how": "H", "recommended_rating": "Achieving",
               "bias_acknowledged": True, "now": END, "year": YEAR}  # fmt: skip
    end = END.replace(year=2027)
    assert rejected(db, svc.record_manager_assessment, RuleViolation, feedback_360=True,
                    **written).field == "feedback_360"  # fmt: skip
    assert call(db, svc.record_manager_assessment, **written).feedback_360 is False  # derived
    agreed = call(db, svc.agree_respondent, actor=org.actor("lm"), respondent_id=row.id, now=now)
    assert agreed.agreed_by_id == org.lm
    assert call(db, svc.record_manager_assessment, **written).feedback_360 is True
    # Removing: the job holder only their own proposal before it is agreed; the manager any.
    rejected(db, svc.remove_respondent, PermissionDenied, actor=org.actor("js"),
             respondent_id=row.id, now=end)  # fmt: skip
    call(db, svc.remove_respondent, actor=org.actor("js"), respondent_id=outside.id, now=end)
    call(db, svc.remove_respondent, actor=org.actor("lm"), respondent_id=row.id, now=end)
    rejected(db, svc.remove_respondent, Conflict, actor=org.actor("lm"), respondent_id=row.id,
             now=end)  # fmt: skip
    with db.read() as session:
        assert svc.live_respondents(session, org.js, YEAR) == []
        assert svc.agreed_respondent_count(session, org.js, YEAR) == 0
        removed = session.exec(
            select(AuditEntry.actor_id).where(AuditEntry.action == "respondent.remove")
        ).all()
    assert removed == [org.js, org.lm]  # both kept on the record


def test_leavers_and_strangers_cannot_act(db, org, config, now) -> None:
    with db.write() as session:
        session.execute(
            sa.update(Person).where(Person.id == org.lm).values(left_on=date(2026, 7, 1))
        )
    rejected(
        db,
        svc.record_indicative_rating,
        PerfbotError,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        quarter=1,
        rating="Achieving",
        what_note="w",
        how_note="h",
        now=now,
    )
    rejected(
        db,
        svc.add_evidence,
        PerfbotError,
        config=config,
        actor=svc.Actor(987654, org.actor("js").via),
        subject_id=org.js,
        text="x",
        standard="talent",
        now=now,
    )


def test_chat_identity_linked_once_and_audited(db, org, now) -> None:
    for _ in range(2):
        call(
            db,
            svc.link_chat_identity,
            person_id=org.js,
            platform="slack",
            external_id="U123",
            workspace_id="T1",
            now=now,
        )
    with db.read() as session:
        links = session.exec(
            select(AuditEntry).where(AuditEntry.action == "chat_identity.link")
        ).all()
    assert len(links) == 1
    rejected(
        db,
        svc.link_chat_identity,
        InvalidInput,
        person_id=org.js,
        platform="irc",
        external_id="x",
        now=now,
    )


def test_session_is_not_left_half_written(db: Database, org: Org, config, now) -> None:
    """A failure after a flush inside one transaction rolls back everything before it."""
    before = table_counts(db)
    with pytest.raises(RuntimeError):
        with db.write() as session:
            _rate_in(session, org, config, now)
            raise RuntimeError("crash after the write")
    assert table_counts(db) == before


def _rate_in(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> None:
    svc.record_indicative_rating(
        session,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        quarter=1,
        rating="Achieving",
        what_note="w",
        how_note="h",
        now=now,
    )


def test_f26_hr_releases_the_year_once_and_only_with_something_to_release(db, org, config) -> None:
    """F26: "Once HR releases the year's moderated ratings, each job holder ... is told"; no
    moderated rating reaches a job holder before the release. Only HR releases, once, audited."""
    release = {"config": config, "now": END + timedelta(days=60), "year": YEAR}
    err = rejected(db, svc.release_outcomes, RuleViolation, actor=org.actor("hr"), **release)
    assert "nothing to release" in err.message  # the panels have not rated anyone yet
    with db.write() as session:
        end_year_ready(session, config, END, manager=org.actor("lm"), subject_id=org.js,
                       signers=(org.actor("js"),), recommended="High Performing")  # fmt: skip
    call(db, svc.record_moderated_rating, config=config, actor=org.actor("hr"), subject_id=org.js,
         rating="Achieving", reason="Panel: strong, not stand-out", now=END, year=YEAR)  # fmt: skip
    rejected(db, svc.release_outcomes, PermissionDenied, actor=org.actor("lm"), **release)
    with db.read() as session:
        assert svc.outcome_release(session, YEAR) is None
        told = svc.final_outcome(session, session.get(Person, org.js), YEAR)
    assert told == svc.Outcome(
        Rating.ACHIEVING, Rating.HIGH_PERFORMING, "Panel: strong, not stand-out"
    )
    # Without a year, the release is for the latest year the panels rated - not the new one.
    done = call(db, svc.release_outcomes, config=config, actor=org.actor("hr"),
                now=END + timedelta(days=60))  # fmt: skip
    assert done.year == YEAR
    err = rejected(db, svc.release_outcomes, Conflict, actor=org.actor("hr"), **release)
    assert "already released on 21 May 2027" in err.message
    with db.read() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "outcomes.release")
        ).all()
        assert [e.actor_id for e in entries] == [org.hr]
        assert svc.outcome_release(session, YEAR) is not None


def test_f14_the_job_holder_edits_or_deletes_their_own_evidence_only(db, org, config, now):
    """F14: the portfolio is the job holder's: they edit or delete their own items (audited,
    without the words); no one else can, and a bad edit changes nothing."""
    item = call(db, svc.add_evidence, config=config, actor=org.actor("js"), subject_id=org.js,
                text="Chaired the panel", standard="culture", source_author="Peer",
                source_posted_at=now, now=now)  # fmt: skip
    edit = {"evidence_id": item.id, "text": "Chaired the spending panel", "now": now}
    for who in ("lm", "peer"):
        rejected(db, svc.update_evidence, PermissionDenied, actor=org.actor(who), **edit)
        rejected(db, svc.delete_evidence, PermissionDenied, actor=org.actor(who),
                 evidence_id=item.id, now=now)  # fmt: skip
    for bad, field in (({"text": " "}, "text"), ({"standard": None}, "target"),
                       ({"link": "javascript:x"}, "link")):  # fmt: skip
        err = rejected(db, svc.update_evidence, InvalidInput, actor=org.actor("js"),
                       **(edit | {"standard": "talent"} | bad))  # fmt: skip
        assert err.field == field
    with db.read() as session:
        assert session.get(Evidence, item.id).text == "Chaired the panel"  # unchanged
    done = call(db, svc.update_evidence, actor=org.actor("js"), standard="talent", **edit)
    assert (done.text, done.standard, done.source_author) == (
        "Chaired the spending panel",
        MinimumStandard.TALENT,
        "Peer",
    )
    call(db, svc.delete_evidence, actor=org.actor("js"), evidence_id=item.id, now=now)
    rejected(db, svc.delete_evidence, NotFound, actor=org.actor("js"), evidence_id=item.id,
             now=now)  # fmt: skip
    with db.read() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "evidence").order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == ["evidence.add", "evidence.edit", "evidence.delete"]
    assert "Chaired" not in str([(e.old, e.new) for e in entries])
