"""Mid- and end-year write-ups (F6, F7, F23) and the end-year gates they carry: the four
minimum standards (F8) and the finance outcome (F9)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import InvalidInput, RuleViolation
from store.framework import MinimumStandard, Rating, Stage
from store.models import FinanceOutcome, MinimumStandardResult, Person, WriteUp
from store.notices import Notice, tell, version
from store.services.base import (
    Actor,
    acting_person,
    active_subject,
    actor_id,
    audited,
    clean_text,
    deny,
    is_countersigning,
    is_line_manager,
    require_line_manager,
    require_self,
    resolve_year,
    snapshot,
)
from store.services.feedback import agreed_respondent_count

_MANAGER_FIELDS = (
    "stage",
    "manager_what",
    "manager_how",
    "recommended_rating",
    "feedback_360",
    "bias_acknowledged",
)


def _find(session: Session, subject_id: int, year: int, stage: Stage) -> WriteUp | None:
    return session.exec(
        select(WriteUp).where(
            WriteUp.person_id == subject_id, WriteUp.year == year, WriteUp.stage == stage
        )
    ).first()


def _stage(stage: Stage | str) -> Stage:
    try:
        return Stage(stage)
    except ValueError:
        raise InvalidInput(f"'{stage}' is not mid_year or end_year.", field="stage") from None


def record_self_assessment(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    stage: Stage | str,
    text: str,
    now: datetime,
    year: int | None = None,
) -> WriteUp:
    """F23: the job holder's self-assessment for the mid-year or end-year write-up."""
    require_self(session, actor, subject_id, "write a self-assessment")
    stage = _stage(stage)
    text = clean_text(text, "self_assessment", required=True, limit=fw.NOTE_MAX_CHARS)
    year = resolve_year(session, config, now, year)
    row = _find(session, subject_id, year, stage)
    old = snapshot(row, "self_assessment")
    row = row or WriteUp(person_id=subject_id, year=year, stage=stage)
    row.self_assessment, row.self_assessed_at = text, now
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="write_up.self",
        subject_id=subject_id,
        fields=("stage", "self_assessment"),
        old=old,
    )


def _recommendation(
    stage: Stage,
    recommended_rating: Rating | str | None,
    feedback_360: bool | None,
    bias_acknowledged: bool,
) -> Rating | None:
    """F7, F23: the end-year recommendation with its 360 answer and bias statement; none at
    mid-year."""
    if stage is not Stage.END_YEAR:
        if recommended_rating not in (None, ""):
            raise RuleViolation(
                "F7",
                "A box-rating recommendation is made at end-year only; mid-year uses the "
                "Q2 indicative rating.",
                field="recommended_rating",
            )
        return None
    if recommended_rating is None or recommended_rating == "":
        raise InvalidInput("Give your box-rating recommendation.", field="recommended_rating")
    recommendation = Rating.parse(recommended_rating, field="recommended_rating")
    fw.check_bias_acknowledged(stage, bias_acknowledged)  # F23
    return recommendation


def _feedback_360(session: Session, subject_id: int, year: int, said: bool | None) -> bool:
    """F24: "360 undertaken" follows from the respondents agreed this year (when not said),
    and cannot be yes with none agreed."""
    agreed = agreed_respondent_count(session, subject_id, year)
    if said and not agreed:
        raise RuleViolation(
            "F24",
            "360 feedback can't be recorded as undertaken: no 360 respondents are agreed for "
            "this year. The job holder proposes them and you agree them first.",
            field="feedback_360",
        )
    return bool(agreed) if said is None else said


def record_manager_assessment(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    stage: Stage | str,
    what: str,
    how: str,
    now: datetime,
    recommended_rating: Rating | str | None = None,
    feedback_360: bool | None = None,
    bias_acknowledged: bool = False,
    year: int | None = None,
) -> WriteUp:
    """F6, F7, F23: the line manager's assessment; at end-year also the recommendation."""
    require_line_manager(session, actor, subject_id, "write this assessment")
    stage = _stage(stage)
    fw.check_what_and_how(what, how)  # F6
    recommendation = _recommendation(stage, recommended_rating, feedback_360, bias_acknowledged)
    year = resolve_year(session, config, now, year)
    if stage is Stage.END_YEAR:
        feedback_360 = _feedback_360(session, subject_id, year, feedback_360)
    row = _find(session, subject_id, year, stage)
    old = snapshot(row, *_MANAGER_FIELDS)
    row = row or WriteUp(person_id=subject_id, year=year, stage=stage)
    row.manager_what, row.manager_how = what.strip(), how.strip()
    row.recommended_rating, row.feedback_360 = recommendation, feedback_360
    row.bias_acknowledged = bool(bias_acknowledged)
    row.manager_id, row.manager_assessed_at = actor.person_id, now
    # A changed assessment needs agreeing again; writing it is the line manager's agreement.
    row.job_holder_agreed_at = row.countersigned_at = None
    row.line_manager_agreed_at = now
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="write_up.manager",
        subject_id=subject_id,
        fields=_MANAGER_FIELDS,
        old=old,
    )


def agree_write_up(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    stage: Stage | str,
    now: datetime,
    year: int | None = None,
) -> WriteUp:
    """F23: agreement by job holder, line manager and countersigning officer (Annex B)."""
    acting = acting_person(session, actor)
    subject = active_subject(session, subject_id)
    stage = _stage(stage)
    year = resolve_year(session, config, now, year)
    row = _find(session, subject_id, year, stage)
    if row is None or row.manager_assessed_at is None:
        raise RuleViolation("F23", "There is no manager assessment to agree yet.")
    if acting is not None and acting.id == subject_id:
        row.job_holder_agreed_at = now
        part = "job_holder"
        assert row.manager_assessed_at is not None
        tell(  # the line manager hears that the write-up they wrote is agreed
            session, recipient_id=row.manager_id, notice=Notice.AGREED, subject_id=subject_id,
            milestone=f"write_up:{stage.value}", step=version(row.manager_assessed_at),
            year=year, now=now, payload={"commented": row.job_holder_comment is not None},
        )  # fmt: skip
    elif is_line_manager(acting, subject):
        row.line_manager_agreed_at = now
        part = "line_manager"
    elif is_countersigning(acting, subject):
        if row.job_holder_agreed_at is None:  # F23: the job holder reads and agrees it first
            raise RuleViolation(
                "F23",
                f"{subject.name} has not agreed this write-up yet; it is countersigned after "
                "they agree it.",
            )
        row.countersigned_at = now
        part = "countersigning_officer"
    else:
        raise deny(
            "sign this write-up - only the job holder, line manager or countersigning officer can"
        )
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="write_up.agree",
        subject_id=subject_id,
        new={"stage": stage.value, "by": part},
    )


def comment_on_write_up(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    stage: Stage | str,
    comment: str,
    now: datetime,
    year: int | None = None,
) -> WriteUp:
    """F23 (Annex B): the job holder's comment, kept beside the manager's assessment; it does
    not agree the write-up, and the line manager may revise in answer to it."""
    require_self(session, actor, subject_id, "comment on a write-up")
    stage = _stage(stage)
    comment = clean_text(comment, "comment", required=True, limit=fw.NOTE_MAX_CHARS)
    year = resolve_year(session, config, now, year)
    row = _find(session, subject_id, year, stage)
    if row is None or row.manager_assessed_at is None:
        raise RuleViolation("F23", "There is no manager assessment to comment on yet.")
    old = snapshot(row, "job_holder_comment")
    row.job_holder_comment, row.job_holder_commented_at = comment, now
    return audited(
        session, row, actor=actor, now=now, action="write_up.comment", subject_id=subject_id,
        fields=("stage", "job_holder_comment"), old=old,
    )  # fmt: skip


# --- F8, F9: minimum standards and finance ------------------------------------------------------
def _gates(
    session: Session, person_id: int, year: int
) -> tuple[dict[MinimumStandard, bool | None], bool | None]:
    standards = dict(
        session.exec(
            select(MinimumStandardResult.standard, MinimumStandardResult.met).where(
                MinimumStandardResult.person_id == person_id, MinimumStandardResult.year == year
            )
        ).all()
    )
    finance = session.exec(
        select(FinanceOutcome.met).where(
            FinanceOutcome.person_id == person_id, FinanceOutcome.year == year
        )
    ).first()
    return {MinimumStandard(k): v for k, v in standards.items()}, finance


def end_year_gates(
    session: Session, person_id: int, year: int
) -> tuple[dict[MinimumStandard, bool | None], bool | None]:
    """F8, F9: each minimum standard and the finance outcome as assessed (None: not yet)."""
    standards, finance = _gates(session, person_id, year)
    return {s: standards.get(s) for s in MinimumStandard}, finance


def gated_recommendation(session: Session, person_id: int, year: int) -> fw.GatedRating | None:
    """F7-F9: the end-year recommendation after the gates (None before there is one)."""
    row = _find(session, person_id, year, Stage.END_YEAR)
    if row is None or row.recommended_rating is None:
        return None
    standards, finance = _gates(session, person_id, year)
    return fw.apply_gates(Rating(row.recommended_rating), standards, finance)


def year_end_outcome(
    session: Session, subject: Person, year: int, moderated: Rating | None = None
) -> fw.FinalRating:
    """F7-F9, F23: the final rating this person's record allows (with ``moderated`` as the
    panel's rating), or why there is none yet."""
    row = _find(session, subject.id or 0, year, Stage.END_YEAR)
    standards, finance = _gates(session, subject.id or 0, year)
    agreed = row is not None and row.job_holder_agreed_at is not None  # F23
    recommended = row.recommended_rating if row is not None else None
    return fw.final_rating(
        Rating(recommended) if recommended else None,
        standards,
        finance,
        agreed=agreed,
        moderated=moderated,
    )


def record_minimum_standards(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    results: Mapping[MinimumStandard | str, bool],
    now: datetime,
    notes: Mapping[MinimumStandard | str, str] | None = None,
    year: int | None = None,
) -> dict[MinimumStandard, bool]:
    """F8: the line manager records each minimum standard as met or not met at year end."""
    require_line_manager(session, actor, subject_id, "assess minimum standards")
    parsed: dict[MinimumStandard, bool] = {}
    for key, met in results.items():
        standard = MinimumStandard.parse(key)
        if not isinstance(met, bool):
            raise InvalidInput(f"Say met or not met for '{standard.label}'.", field=standard.value)
        parsed[standard] = met
    if not parsed:
        raise InvalidInput("Assess at least one minimum standard.", field="standards")
    clean_notes = {
        MinimumStandard.parse(k): clean_text(v, "note", required=False)
        for k, v in (notes or {}).items()
    }
    year = resolve_year(session, config, now, year)
    fields = ("standard", "met", "note")
    for standard, met in parsed.items():
        row = session.exec(
            select(MinimumStandardResult).where(
                MinimumStandardResult.person_id == subject_id,
                MinimumStandardResult.year == year,
                MinimumStandardResult.standard == standard,
            )
        ).first()
        old = snapshot(row, *fields)
        row = row or MinimumStandardResult(
            person_id=subject_id, year=year, standard=standard, met=met
        )
        row.met, row.note = met, clean_notes.get(standard) or row.note
        row.recorded_by_id, row.recorded_at = actor_id(actor), now
        audited(
            session,
            row,
            actor=actor,
            now=now,
            action="minimum_standard.record",
            subject_id=subject_id,
            fields=fields,
            old=old,
        )
    return parsed


def record_finance_outcome(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    met: bool,
    now: datetime,
    note: str | None = None,
    year: int | None = None,
) -> FinanceOutcome:
    """F9: whether the finance/efficiency objective was met (caps the rating at Achieving)."""
    require_line_manager(session, actor, subject_id, "record the finance outcome")
    if not isinstance(met, bool):
        raise InvalidInput("Say met or not met.", field="finance_met")
    year = resolve_year(session, config, now, year)
    row = session.exec(
        select(FinanceOutcome).where(
            FinanceOutcome.person_id == subject_id, FinanceOutcome.year == year
        )
    ).first()
    old = snapshot(row, "met", "note")
    row = row or FinanceOutcome(person_id=subject_id, year=year, met=met)
    row.met = met
    row.note = clean_text(note, "note", required=False) or row.note
    row.recorded_by_id, row.recorded_at = actor_id(actor), now
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="finance_outcome.record",
        subject_id=subject_id,
        fields=("met", "note"),
        old=old,
    )
