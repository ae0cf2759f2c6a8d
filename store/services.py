"""Services: the only way anything is written.

Each one authorises the actor, checks the framework's rules, writes and audits inside the
caller's write transaction (``Database.write()``): if anything raises, nothing is kept.
Errors are ``store.errors`` types with a message for the user and, for forms, the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from store.framework import MinimumStandard, Rating, Stage
from store.models import (
    AuditEntry,
    Award,
    AwardStatus,
    Channel,
    ChatIdentity,
    DevelopmentPlan,
    Evidence,
    FeedbackRespondent,
    FinanceOutcome,
    IndicativeRating,
    MinimumStandardResult,
    ModeratedRating,
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    ObjectiveStatus,
    PerformanceYear,
    Person,
    PlanStatus,
    WriteUp,
)

REASON_MAX_CHARS = 2000


@dataclass(frozen=True)
class Actor:
    """Who is acting and through which channel. ``person_id=None`` is the operator at the CLI
    (or the system itself), allowed only where HR may act."""

    person_id: int | None
    via: Channel

    @classmethod
    def system(cls, via: Channel = Channel.CLI) -> Actor:
        return cls(person_id=None, via=via)


# --- shared helpers -----------------------------------------------------------------------------
def local_date(config: DepartmentConfig, now: datetime) -> date:
    """Today in the department's zone (Europe/London by default)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(config.department.timezone)).date()


# Statements on the hot path of a chat submission, built once (building one costs more than
# SQLite takes to run it).
_AUDIT_INSERT = sa.insert(cast(sa.Table, AuditEntry.__table__))  # type: ignore[attr-defined]
_PEOPLE_BY_ID = select(Person).where(col(Person.id).in_(sa.bindparam("ids", expanding=True)))
_YEAR_RATINGS = select(IndicativeRating).where(
    IndicativeRating.person_id == sa.bindparam("person"),
    IndicativeRating.year == sa.bindparam("year"),
)
_YEAR_INSERTS = {
    dialect: insert(PerformanceYear)
    .values(
        start_year=sa.bindparam("start_year"),
        starts_on=sa.bindparam("starts_on"),
        ends_on=sa.bindparam("ends_on"),
    )
    .on_conflict_do_nothing()
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def ensure_year(session: Session, config: DepartmentConfig, start_year: int) -> int:
    """F1: make sure the performance year row exists (safe when two writers race)."""
    start_month = config.year.start_month
    connection = session.connection()  # Core, not the ORM: nothing to track here
    connection.execute(
        _YEAR_INSERTS[connection.dialect.name],
        {
            "start_year": start_year,
            "starts_on": fw.year_start(start_year, start_month),
            "ends_on": fw.year_end(start_year, start_month),
        },
    )
    return start_year


def _resolve_year(
    session: Session, config: DepartmentConfig, now: datetime, year: int | None
) -> int:
    if year is None:
        year = fw.performance_year_of(local_date(config, now), config.year.start_month)
    elif not 2000 <= year <= 2100:
        raise InvalidInput(f"{year} is not a performance year.", field="year")
    return ensure_year(session, config, year)


def _json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def snapshot(obj: Any, *fields: str) -> dict[str, Any] | None:
    """The named fields of a row as JSON-safe values, for the audit log."""
    if obj is None:
        return None
    return {f: _json(getattr(obj, f)) for f in fields}


def audit(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    entity_id: Any = None,
    subject_id: int | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Append one entry to the audit log (who, what, old -> new, why, when, via).

    A plain INSERT in the caller's transaction: entries are never read back or changed, so
    they need none of the ORM's unit-of-work bookkeeping (a third of a rating's cost).
    """
    session.flush()  # the rows this entry names exist first (their ids, the FK to person)
    session.connection().execute(
        _AUDIT_INSERT,
        {
            "at": now,
            "actor_id": actor.person_id,
            "via": actor.via,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "subject_id": subject_id,
            "old": old,
            "new": new,
            "reason": reason,
        },
    )


def load_people(session: Session, *ids: int | None) -> None:
    """Load these people with one query and keep them for the rest of the session.

    SQLAlchemy's identity map holds rows weakly; pinning them in ``session.info`` lets the
    later ``session.get`` calls of one request (actor, subject, the name in the reply) be
    answered from memory instead of a query each.
    """
    wanted = [
        i
        for i in ids
        if i is not None and session.identity_map.get(session.identity_key(Person, i)) is None
    ]
    if wanted:
        rows = session.exec(_PEOPLE_BY_ID, params={"ids": wanted}).all()
        session.info.setdefault("pinned", []).extend(rows)


def get_person(session: Session, person_id: int, *, field: str = "person") -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("That person is not in the roster.", field=field)
    return person


def _acting_person(session: Session, actor: Actor) -> Person | None:
    if actor.person_id is None:
        return None
    person = session.get(Person, actor.person_id)
    if person is None or not person.active:
        raise PermissionDenied("You are not in the current roster - ask HR to add you.")
    return person


def _active_subject(session: Session, subject_id: int, *, field: str = "person") -> Person:
    subject = get_person(session, subject_id, field=field)
    if not subject.active:
        raise InvalidInput(f"{subject.name} has left; their record is closed.", field=field)
    return subject


def _actor_id(actor: Actor) -> int:
    """The acting person's id, for rows that must name a person (not the CLI operator)."""
    if actor.person_id is None:
        raise PermissionDenied("This must be done by a person in the roster, not the system.")
    return actor.person_id


def _pk(row: Any) -> int:
    """A flushed row's primary key."""
    assert row.id is not None, "flush before reading the id"
    return int(row.id)


def _deny(what: str) -> PermissionDenied:
    return PermissionDenied(f"You can't {what}.")


def is_line_manager(actor: Person | None, subject: Person) -> bool:
    return actor is not None and subject.line_manager_id == actor.id


def is_countersigning(actor: Person | None, subject: Person) -> bool:
    return actor is not None and subject.countersigning_id == actor.id


def is_dg_for(actor: Person | None, subject: Person) -> bool:
    """A Director General decides for people in their own group only (F15, guidance §54c)."""
    return actor is not None and actor.is_dg and subject.dg_id == actor.id


def is_hr(actor: Person | None, actor_ref: Actor) -> bool:
    """HR, or the operator at the command line (who already holds the database)."""
    return actor.is_hr if actor is not None else actor_ref.person_id is None


def require_hr(session: Session, actor: Actor, refusal: str) -> Person | None:
    """The acting HR person (None for the CLI operator); anyone else gets ``refusal``."""
    acting = _acting_person(session, actor)
    if not is_hr(acting, actor):
        raise PermissionDenied(refusal)
    return acting


def _require_line_manager(session: Session, actor: Actor, subject_id: int, what: str) -> Person:
    load_people(session, actor.person_id, subject_id)
    acting = _acting_person(session, actor)
    subject = _active_subject(session, subject_id)
    if not is_line_manager(acting, subject):
        raise _deny(f"{what} - only {subject.name}'s line manager can")
    return subject


def _require_self(session: Session, actor: Actor, subject_id: int, what: str) -> Person:
    _acting_person(session, actor)
    subject = _active_subject(session, subject_id)
    if actor.person_id != subject_id:
        raise _deny(f"{what} for someone else - only for your own record")
    return subject


def _clean(text: str | None, field: str, *, required: bool, limit: int = REASON_MAX_CHARS) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput("This is required.", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{len(text)} characters; the limit is {limit}.", field=field)
    return text


# --- F5, F10: quarterly indicative ratings ------------------------------------------------------
@dataclass(frozen=True)
class RatingOutcome:
    rating: IndicativeRating
    previous_quarter: Rating | None
    step: fw.UnderperformanceStep
    plan_prompted: bool


def quarter_ratings(session: Session, person_id: int, year: int) -> dict[int, Rating]:
    rows = session.exec(
        select(IndicativeRating.quarter, IndicativeRating.rating).where(
            IndicativeRating.person_id == person_id, IndicativeRating.year == year
        )
    ).all()
    return {quarter: Rating(rating) for quarter, rating in rows}


def record_indicative_rating(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    quarter: int,
    rating: Rating | str,
    what_note: str,
    how_note: str,
    now: datetime,
    year: int | None = None,
) -> RatingOutcome:
    """F5: the line manager's indicative rating for a quarter (performance as a whole)."""
    _require_line_manager(session, actor, subject_id, "rate this person")
    if quarter not in fw.QUARTERS:
        raise InvalidInput("The quarter must be 1, 2, 3 or 4.", field="quarter")
    parsed = Rating.parse(rating)
    fw.check_what_and_how(what_note, how_note)  # F6
    year = _resolve_year(session, config, now, year)
    today = local_date(config, now)
    quarter_starts = fw.year_start(year, config.year.start_month)
    month = (quarter_starts.month - 1 + 3 * (quarter - 1)) % 12 + 1
    starts = date(quarter_starts.year + (1 if month < quarter_starts.month else 0), month, 1)
    if starts > today:
        raise RuleViolation(
            "F5", f"Q{quarter} has not started yet, so it can't be rated.", field="quarter"
        )

    year_rows = {
        r.quarter: r
        for r in session.exec(_YEAR_RATINGS, params={"person": subject_id, "year": year})
    }
    row = year_rows.get(quarter)
    fields = ("quarter", "rating", "what_note", "how_note")
    old = snapshot(row, *fields)
    if row is None:
        row = IndicativeRating(
            person_id=subject_id,
            year=year,
            quarter=quarter,
            rating=parsed,
            what_note=what_note.strip(),
            how_note=how_note.strip(),
            recorded_by_id=_actor_id(actor),
            recorded_at=now,
        )
        session.add(row)
        year_rows[quarter] = row
    else:
        row.rating, row.what_note, row.how_note = parsed, what_note.strip(), how_note.strip()
        row.recorded_by_id, row.recorded_at = _actor_id(actor), now
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="rating.record",
        entity="indicative_rating",
        entity_id=row.id,
        subject_id=subject_id,
        old=old,
        new=snapshot(row, *fields),
    )

    quarters = {q: Rating(r.rating) for q, r in year_rows.items()}
    step = fw.underperformance_step(quarters)
    prompted = _prompt_development_plan(session, actor, subject_id, year, quarters, now)
    return RatingOutcome(row, quarters.get(quarter - 1), step, prompted)


def _prompt_development_plan(
    session: Session,
    actor: Actor,
    subject_id: int,
    year: int,
    quarters: Mapping[int, Rating],
    now: datetime,
) -> bool:
    """F10: two consecutive Partially Met quarters -> prompt the manager for a development plan.

    Derived from the ratings, never typed in; created once per person and year.
    """
    trigger = fw.consecutive_partially_met(quarters)
    if trigger is None:
        return False
    exists = session.exec(
        select(DevelopmentPlan.id).where(
            DevelopmentPlan.person_id == subject_id, DevelopmentPlan.year == year
        )
    ).first()
    if exists is not None:
        return False
    plan = DevelopmentPlan(
        person_id=subject_id,
        year=year,
        triggered_by_quarter=trigger,
        prompted_at=now,
    )
    session.add(plan)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="development_plan.prompt",
        entity="development_plan",
        entity_id=plan.id,
        subject_id=subject_id,
        new=snapshot(plan, "triggered_by_quarter", "status"),
        reason="F10: Partially Met in two consecutive quarters",
    )
    return True


def update_development_plan(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    status: PlanStatus | str,
    now: datetime,
    review_on: date | None = None,
    note: str | None = None,
    year: int | None = None,
) -> DevelopmentPlan:
    """F10: the line manager records the plan drawn up and the review meeting."""
    _require_line_manager(session, actor, subject_id, "update this development plan")
    year = _resolve_year(session, config, now, year)
    try:
        new_status = PlanStatus(status)
    except ValueError:
        raise InvalidInput(f"'{status}' is not a plan status.", field="status") from None
    plan = session.exec(
        select(DevelopmentPlan).where(
            DevelopmentPlan.person_id == subject_id, DevelopmentPlan.year == year
        )
    ).first()
    if plan is None:
        raise NotFound("There is no development-plan prompt for this person this year.")
    if new_status is PlanStatus.AGREED and review_on is None:
        raise RuleViolation("F10", "Schedule the review meeting: give its date.", field="review_on")
    fields = ("status", "review_on", "note")
    old = snapshot(plan, *fields)
    plan.status, plan.review_on = new_status, review_on
    plan.note = _clean(note, "note", required=False) or None
    plan.updated_by_id, plan.updated_at = actor.person_id, now
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="development_plan.update",
        entity="development_plan",
        entity_id=plan.id,
        subject_id=subject_id,
        old=old,
        new=snapshot(plan, *fields),
    )
    return plan


# --- F23: write-ups ----------------------------------------------------------------------------
def _write_up(session: Session, subject_id: int, year: int, stage: Stage) -> WriteUp:
    row = session.exec(
        select(WriteUp).where(
            WriteUp.person_id == subject_id, WriteUp.year == year, WriteUp.stage == stage
        )
    ).first()
    if row is None:
        row = WriteUp(person_id=subject_id, year=year, stage=stage)
        session.add(row)
    return row


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
    _require_self(session, actor, subject_id, "write a self-assessment")
    stage = _stage(stage)
    text = _clean(text, "self_assessment", required=True, limit=fw.NOTE_MAX_CHARS)
    year = _resolve_year(session, config, now, year)
    row = _write_up(session, subject_id, year, stage)
    old = snapshot(row, "self_assessment") if row.id else None
    row.self_assessment, row.self_assessed_at = text, now
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="write_up.self",
        entity="write_up",
        entity_id=row.id,
        subject_id=subject_id,
        old=old,
        new=snapshot(row, "stage", "self_assessment"),
    )
    return row


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
    _require_line_manager(session, actor, subject_id, "write this assessment")
    stage = _stage(stage)
    fw.check_what_and_how(what, how)  # F6
    recommendation = None
    if stage is Stage.END_YEAR:
        if recommended_rating in (None, ""):
            raise InvalidInput("Give your box-rating recommendation.", field="recommended_rating")
        recommendation = Rating.parse(recommended_rating, field="recommended_rating")
        if feedback_360 is None:
            raise InvalidInput("Say whether 360 feedback was undertaken.", field="feedback_360")
        fw.check_bias_acknowledged(stage, bias_acknowledged)  # F23
    elif recommended_rating not in (None, ""):
        raise RuleViolation(
            "F7",
            "A box-rating recommendation is made at end-year only; mid-year uses the "
            "Q2 indicative rating.",
            field="recommended_rating",
        )
    year = _resolve_year(session, config, now, year)
    row = _write_up(session, subject_id, year, stage)
    fields = (
        "stage",
        "manager_what",
        "manager_how",
        "recommended_rating",
        "feedback_360",
        "bias_acknowledged",
    )
    old = snapshot(row, *fields) if row.id else None
    row.manager_what, row.manager_how = what.strip(), how.strip()
    row.recommended_rating, row.feedback_360 = recommendation, feedback_360
    row.bias_acknowledged = bool(bias_acknowledged)
    row.manager_id, row.manager_assessed_at = actor.person_id, now
    # A changed assessment needs agreeing again.
    row.job_holder_agreed_at = row.line_manager_agreed_at = row.countersigned_at = None
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="write_up.manager",
        entity="write_up",
        entity_id=row.id,
        subject_id=subject_id,
        old=old,
        new=snapshot(row, *fields),
    )
    return row


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
    acting = _acting_person(session, actor)
    subject = _active_subject(session, subject_id)
    stage = _stage(stage)
    year = _resolve_year(session, config, now, year)
    row = session.exec(
        select(WriteUp).where(
            WriteUp.person_id == subject_id, WriteUp.year == year, WriteUp.stage == stage
        )
    ).first()
    if row is None or row.manager_assessed_at is None:
        raise RuleViolation("F23", "There is no manager assessment to agree yet.")
    if acting is not None and acting.id == subject_id:
        row.job_holder_agreed_at = now
        part = "job_holder"
    elif is_line_manager(acting, subject):
        row.line_manager_agreed_at = now
        part = "line_manager"
    elif is_countersigning(acting, subject):
        row.countersigned_at = now
        part = "countersigning_officer"
    else:
        raise _deny(
            "sign this write-up - only the job holder, line manager or countersigning officer can"
        )
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="write_up.agree",
        entity="write_up",
        entity_id=row.id,
        subject_id=subject_id,
        new={"stage": stage.value, "by": part},
    )
    return row


# --- F8, F9: minimum standards and finance ------------------------------------------------------
def gated_recommendation(session: Session, person_id: int, year: int) -> fw.GatedRating | None:
    """F7-F9: the end-year recommendation after the gates (None before there is one)."""
    recommended = session.exec(
        select(WriteUp.recommended_rating).where(
            WriteUp.person_id == person_id, WriteUp.year == year, WriteUp.stage == Stage.END_YEAR
        )
    ).first()
    if recommended is None:
        return None
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
    return fw.apply_gates(
        Rating(recommended), {MinimumStandard(k): v for k, v in standards.items()}, finance
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
    _require_line_manager(session, actor, subject_id, "assess minimum standards")
    parsed: dict[MinimumStandard, bool] = {}
    for key, met in results.items():
        standard = MinimumStandard.parse(key)
        if not isinstance(met, bool):
            raise InvalidInput(f"Say met or not met for '{standard.label}'.", field=standard.value)
        parsed[standard] = met
    if not parsed:
        raise InvalidInput("Assess at least one minimum standard.", field="standards")
    clean_notes = {
        MinimumStandard.parse(k): _clean(v, "note", required=False)
        for k, v in (notes or {}).items()
    }
    year = _resolve_year(session, config, now, year)
    for standard, met in parsed.items():
        row = session.exec(
            select(MinimumStandardResult).where(
                MinimumStandardResult.person_id == subject_id,
                MinimumStandardResult.year == year,
                MinimumStandardResult.standard == standard,
            )
        ).first()
        old = snapshot(row, "standard", "met", "note")
        if row is None:
            row = MinimumStandardResult(
                person_id=subject_id,
                year=year,
                standard=standard,
                met=met,
                recorded_by_id=_actor_id(actor),
                recorded_at=now,
            )
            session.add(row)
        row.met, row.note = met, clean_notes.get(standard) or row.note
        row.recorded_by_id, row.recorded_at = _actor_id(actor), now
        session.flush()
        audit(
            session,
            actor=actor,
            now=now,
            action="minimum_standard.record",
            entity="minimum_standard_result",
            entity_id=row.id,
            subject_id=subject_id,
            old=old,
            new=snapshot(row, "standard", "met", "note"),
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
    _require_line_manager(session, actor, subject_id, "record the finance outcome")
    if not isinstance(met, bool):
        raise InvalidInput("Say met or not met.", field="finance_met")
    year = _resolve_year(session, config, now, year)
    row = session.exec(
        select(FinanceOutcome).where(
            FinanceOutcome.person_id == subject_id, FinanceOutcome.year == year
        )
    ).first()
    old = snapshot(row, "met", "note")
    if row is None:
        row = FinanceOutcome(
            person_id=subject_id,
            year=year,
            met=met,
            recorded_by_id=_actor_id(actor),
            recorded_at=now,
        )
        session.add(row)
    row.met = met
    row.note = _clean(note, "note", required=False) or row.note
    row.recorded_by_id, row.recorded_at = _actor_id(actor), now
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="finance_outcome.record",
        entity="finance_outcome",
        entity_id=row.id,
        subject_id=subject_id,
        old=old,
        new=snapshot(row, "met", "note"),
    )
    return row


# --- F7, F18: moderation ------------------------------------------------------------------------
def moderation_placement(person: Person, year: int) -> fw.ModeratedBy:
    """F18 for a stored person."""
    return fw.moderation_placement(
        start_year=year,
        civil_service_start=person.civil_service_start or person.start_date,
        joined_department=person.start_date,
        left_department=person.left_on,
        left_to_other_department=bool(person.left_to_department),
    )


def record_moderated_rating(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    rating: Rating | str,
    reason: str,
    now: datetime,
    year: int | None = None,
) -> ModeratedRating:
    """F7: HR records the moderated rating beside (never over) the recommendation."""
    require_hr(session, actor, _deny("record a moderated rating - only HR can").message)
    subject = get_person(session, subject_id)  # leavers after 1 January are still moderated
    parsed = Rating.parse(rating)
    reason = _clean(reason, "reason", required=True)
    year = _resolve_year(session, config, now, year)
    placement = moderation_placement(subject, year)
    if placement is not fw.ModeratedBy.THIS_DEPARTMENT:
        raise RuleViolation(
            "F18",
            f"{subject.name} is not moderated by this department for "
            f"{fw.year_label(year, config.year.start_month)} "
            f"({placement.value.replace('_', ' ')}).",
        )
    row = session.exec(
        select(ModeratedRating).where(
            ModeratedRating.person_id == subject_id, ModeratedRating.year == year
        )
    ).first()
    old = snapshot(row, "rating", "reason")
    if row is None:
        row = ModeratedRating(
            person_id=subject_id,
            year=year,
            rating=parsed,
            reason=reason,
            recorded_by_id=actor.person_id,
            recorded_at=now,
        )
        session.add(row)
    row.rating, row.reason = parsed, reason
    row.recorded_by_id, row.recorded_at = actor.person_id, now
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="moderation.record",
        entity="moderated_rating",
        entity_id=row.id,
        subject_id=subject_id,
        old=old,
        new=snapshot(row, "rating", "reason"),
        reason=reason,
    )
    return row


def record_department_move(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    now: datetime,
    joined_from: str | None = None,
    joined_on: date | None = None,
    left_to: str | None = None,
    left_on: date | None = None,
) -> Person:
    """F18: HR records a move into or out of the department (decides who moderates)."""
    require_hr(session, actor, _deny("record a department move - only HR can").message)
    subject = get_person(session, subject_id)
    if (joined_from is None) == (left_to is None):
        raise InvalidInput("Record either a move in (from) or a move out (to).", field="move")
    fields = ("start_date", "joined_from_department", "left_on", "left_to_department")
    old = snapshot(subject, *fields)
    if joined_from is not None:
        if joined_on is None:
            raise InvalidInput("Give the date they joined.", field="joined_on")
        subject.joined_from_department = _clean(
            joined_from, "joined_from", required=True, limit=200
        )
        subject.civil_service_start = subject.civil_service_start or subject.start_date
        subject.start_date = joined_on
    else:
        if left_on is None:
            raise InvalidInput("Give the date they left.", field="left_on")
        subject.left_to_department = _clean(left_to, "left_to", required=True, limit=200)
        subject.left_on = left_on
    subject.updated_at = now
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="person.move",
        entity="person",
        entity_id=subject_id,
        subject_id=subject_id,
        old=old,
        new=snapshot(subject, *fields),
    )
    return subject


# --- F11-F13, F17: objectives and milestones ---------------------------------------------------
def live_objective_count(session: Session, person_id: int, year: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Objective)
        .where(
            Objective.person_id == person_id,
            Objective.year == year,
            Objective.status == ObjectiveStatus.LIVE,
        )
    ).one()


@dataclass(frozen=True)
class ObjectiveOutcome:
    objective: Objective
    revision: ObjectiveRevision
    warning: str | None  # F12: outside the recommended 3-6


def _require_self_or_manager(session: Session, actor: Actor, subject_id: int, what: str) -> Person:
    acting = _acting_person(session, actor)
    subject = _active_subject(session, subject_id)
    if acting is None or not (acting.id == subject_id or is_line_manager(acting, subject)):
        raise _deny(f"{what} - only the job holder and their line manager can")
    return subject


def set_objective(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    heading: fw.ObjectiveHeading | str,
    what: str,
    how: str,
    now: datetime,
    measure: str | None = None,
    year: int | None = None,
) -> ObjectiveOutcome:
    """F11, F12: add an objective under a heading; a ninth live one is refused."""
    _require_self_or_manager(session, actor, subject_id, "set objectives")
    parsed_heading = fw.ObjectiveHeading.parse(heading)
    fw.check_what_and_how(what, how)  # F6: objectives cover the what and the how (§3b)
    measure = _clean(measure, "measure", required=False, limit=fw.NOTE_MAX_CHARS) or None
    year = _resolve_year(session, config, now, year)
    live = live_objective_count(session, subject_id, year)
    fw.check_can_add_objective(live)  # F12
    objective = Objective(
        person_id=subject_id,
        year=year,
        heading=parsed_heading,
        created_by_id=_actor_id(actor),
        created_at=now,
    )
    session.add(objective)
    session.flush()
    revision = ObjectiveRevision(
        objective_id=_pk(objective),
        number=1,
        what=what.strip(),
        how=how.strip(),
        measure=measure,
        created_by_id=_actor_id(actor),
        created_at=now,
    )
    session.add(revision)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="objective.set",
        entity="objective",
        entity_id=objective.id,
        subject_id=subject_id,
        new={
            "heading": parsed_heading.value,
            "what": revision.what,
            "how": revision.how,
            "measure": measure,
        },
    )
    return ObjectiveOutcome(objective, revision, fw.objective_count_warning(live + 1))


def _objective_for(session: Session, actor: Actor, objective_id: int, what: str) -> Objective:
    objective = session.get(Objective, objective_id)
    if objective is None:
        raise NotFound("That objective does not exist.", field="objective")
    _require_self_or_manager(session, actor, objective.person_id, what)
    return objective


def revise_objective(
    session: Session,
    *,
    actor: Actor,
    objective_id: int,
    what: str,
    how: str,
    reason: str,
    now: datetime,
    measure: str | None = None,
) -> ObjectiveRevision:
    """F13: a revision is added alongside the original; nothing is overwritten (§53a)."""
    objective = _objective_for(session, actor, objective_id, "revise this objective")
    if objective.status is not ObjectiveStatus.LIVE:
        raise InvalidInput("This objective is closed; set a new one instead.", field="objective")
    fw.check_what_and_how(what, how)
    reason = _clean(reason, "reason", required=True)
    measure = _clean(measure, "measure", required=False, limit=fw.NOTE_MAX_CHARS) or None
    latest = session.exec(
        select(ObjectiveRevision)
        .where(ObjectiveRevision.objective_id == objective.id)
        .order_by(col(ObjectiveRevision.number).desc())
    ).first()
    assert latest is not None  # every objective is created with revision 1
    revision = ObjectiveRevision(
        objective_id=_pk(objective),
        number=latest.number + 1,
        what=what.strip(),
        how=how.strip(),
        measure=measure,
        reason=reason,
        created_by_id=_actor_id(actor),
        created_at=now,
    )
    session.add(revision)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="objective.revise",
        entity="objective",
        entity_id=objective.id,
        subject_id=objective.person_id,
        old=snapshot(latest, "number", "what", "how", "measure"),
        new=snapshot(revision, "number", "what", "how", "measure"),
        reason=reason,
    )
    return revision


def close_objective(
    session: Session, *, actor: Actor, objective_id: int, reason: str, now: datetime
) -> Objective:
    """F12: closing an objective frees a live slot; its history stays."""
    objective = _objective_for(session, actor, objective_id, "close this objective")
    reason = _clean(reason, "reason", required=True)
    if objective.status is ObjectiveStatus.CLOSED:
        return objective
    objective.status = ObjectiveStatus.CLOSED
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="objective.close",
        entity="objective",
        entity_id=objective.id,
        subject_id=objective.person_id,
        old={"status": "live"},
        new={"status": "closed"},
        reason=reason,
    )
    return objective


def add_milestone(
    session: Session,
    *,
    actor: Actor,
    objective_id: int,
    title: str,
    due_on: date,
    now: datetime,
) -> ObjectiveMilestone:
    """F17: an agreed project milestone on an objective (milestone pilot)."""
    objective = _objective_for(session, actor, objective_id, "add milestones to this objective")
    title = _clean(title, "title", required=True, limit=300)
    if not isinstance(due_on, date):
        raise InvalidInput("Give the milestone's due date.", field="due_on")
    milestone = ObjectiveMilestone(objective_id=_pk(objective), title=title, due_on=due_on)
    session.add(milestone)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="milestone.add",
        entity="objective_milestone",
        entity_id=milestone.id,
        subject_id=objective.person_id,
        new=snapshot(milestone, "title", "due_on"),
    )
    return milestone


def record_milestone_met(
    session: Session, *, config: DepartmentConfig, actor: Actor, milestone_id: int, now: datetime
) -> ObjectiveMilestone:
    """F17: the line manager confirms a milestone met; the caller may prompt a nomination."""
    milestone = session.get(ObjectiveMilestone, milestone_id)
    if milestone is None:
        raise NotFound("That milestone does not exist.", field="milestone")
    objective = session.get(Objective, milestone.objective_id)
    assert objective is not None
    _require_line_manager(session, actor, objective.person_id, "confirm this milestone")
    if milestone.met_on is None:
        milestone.met_on = local_date(config, now)
        milestone.met_recorded_by_id = actor.person_id
        session.flush()
        audit(
            session,
            actor=actor,
            now=now,
            action="milestone.met",
            entity="objective_milestone",
            entity_id=milestone.id,
            subject_id=objective.person_id,
            new=snapshot(milestone, "title", "met_on"),
        )
    return milestone


# --- F14: evidence -------------------------------------------------------------------------------
def add_evidence(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    text: str,
    now: datetime,
    link: str | None = None,
    standard: MinimumStandard | str | None = None,
    objective_id: int | None = None,
    source_ref: str | None = None,
    year: int | None = None,
) -> Evidence:
    """F14: add to your own portfolio, against a minimum standard and/or an objective.

    ``source_ref`` (e.g. a Slack message permalink) makes a repeat save a no-op.
    """
    _require_self(session, actor, subject_id, "add evidence")
    text, link = fw.check_evidence(text, link)
    parsed_standard = MinimumStandard.parse(standard) if standard not in (None, "") else None
    year = _resolve_year(session, config, now, year)
    if objective_id is not None:
        objective = session.get(Objective, objective_id)
        if objective is None or objective.person_id != subject_id or objective.year != year:
            raise InvalidInput("Pick one of your own objectives for this year.", field="objective")
    if parsed_standard is None and objective_id is None:
        raise InvalidInput(
            "Say which minimum standard or objective this evidence supports.", field="target"
        )
    source_ref = _clean(source_ref, "source_ref", required=False, limit=300) or None
    if source_ref is not None:
        existing = session.exec(
            select(Evidence).where(
                Evidence.person_id == subject_id, Evidence.source_ref == source_ref
            )
        ).first()
        if existing is not None:
            return existing  # idempotent: the same message saved twice is one item
    item = Evidence(
        person_id=subject_id,
        year=year,
        standard=parsed_standard,
        objective_id=objective_id,
        text=text,
        link=link,
        source_ref=source_ref,
        added_by_id=_actor_id(actor),
        added_at=now,
    )
    session.add(item)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="evidence.add",
        entity="evidence",
        entity_id=item.id,
        subject_id=subject_id,
        new=snapshot(item, "standard", "objective_id", "link", "source_ref"),
    )
    return item


# --- F24: 360 respondents ---------------------------------------------------------------------
def propose_respondent(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    respondent: str,
    relationship: str,
    now: datetime,
    year: int | None = None,
) -> FeedbackRespondent:
    """F24: the job holder proposes a 360 respondent (agreed later with the line manager)."""
    _require_self(session, actor, subject_id, "propose 360 respondents")
    respondent = _clean(respondent, "respondent", required=True, limit=200)
    relationship = _clean(relationship, "relationship", required=True, limit=100)
    year = _resolve_year(session, config, now, year)
    row = FeedbackRespondent(
        person_id=subject_id,
        year=year,
        respondent=respondent,
        relationship=relationship,
        proposed_by_id=_actor_id(actor),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="respondent.propose",
        entity="feedback_respondent",
        entity_id=row.id,
        subject_id=subject_id,
        new=snapshot(row, "respondent", "relationship"),
    )
    return row


def agree_respondent(
    session: Session, *, actor: Actor, respondent_id: int, now: datetime
) -> FeedbackRespondent:
    """F24: the line manager agrees a proposed respondent (guidance §75)."""
    row = session.get(FeedbackRespondent, respondent_id)
    if row is None:
        raise NotFound("That respondent does not exist.", field="respondent")
    _require_line_manager(session, actor, row.person_id, "agree 360 respondents")
    if row.agreed_at is None:
        row.agreed_by_id, row.agreed_at = actor.person_id, now
        session.flush()
        audit(
            session,
            actor=actor,
            now=now,
            action="respondent.agree",
            entity="feedback_respondent",
            entity_id=row.id,
            subject_id=row.person_id,
            new={"agreed": True},
        )
    return row


# --- F15: in-year awards -------------------------------------------------------------------------
def approved_award_total(session: Session, person_id: int, year: int) -> int:
    """F15: pence already approved for this person in this year."""
    total = session.exec(
        select(func.coalesce(func.sum(Award.amount_pence), 0)).where(
            Award.nominee_id == person_id,
            Award.year == year,
            Award.status == AwardStatus.APPROVED,
        )
    ).one()
    return int(total)


def award_headroom(session: Session, config: DepartmentConfig, person_id: int, year: int) -> int:
    """F15: how much more can be approved for this person this year (pence)."""
    limits = config.award_limits
    return max(limits.per_year_pence - approved_award_total(session, person_id, year), 0)


def _lock_person(session: Session, person_id: int) -> Person:
    """Serialise award decisions for one person: a row lock on PostgreSQL; on SQLite the
    write transaction already began IMMEDIATE, so writers queue."""
    stmt = select(Person).where(Person.id == person_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    person = session.exec(stmt.execution_options(populate_existing=True)).first()
    if person is None:
        raise NotFound("That person is not in the roster.", field="nominee")
    return person


def nominate_award(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    nominee_id: int,
    amount_pence: int,
    reason: str,
    now: datetime,
    objective_id: int | None = None,
    milestone_id: int | None = None,
    year: int | None = None,
) -> Award:
    """F15: a line manager (or countersigning officer) nominates; caps checked now and again
    at decision."""
    acting = _acting_person(session, actor)
    nominee = _active_subject(session, nominee_id, field="nominee")
    if acting is not None and acting.id == nominee_id:
        raise _deny("nominate yourself for an award")
    if not (is_line_manager(acting, nominee) or is_countersigning(acting, nominee)):
        raise _deny(
            f"nominate {nominee.name} - only their line manager or countersigning officer can"
        )
    if not isinstance(amount_pence, int) or isinstance(amount_pence, bool):
        raise InvalidInput("The amount must be a whole number of pence.", field="amount")
    reason = _clean(reason, "reason", required=True)
    year = _resolve_year(session, config, now, year)
    if nominee.dg_id is None:
        raise RuleViolation(
            "F15",
            f"{nominee.name} has no Director General in the roster to "
            "decide an award; ask HR to fix the roster.",
            field="nominee",
        )
    fw.check_award(
        amount_pence=amount_pence,
        approved_total_pence=approved_award_total(session, nominee_id, year),
        on_poor_performance_measures=nominee.poor_performance_measures,
        limits=config.award_limits,
    )
    if milestone_id is not None:
        milestone = session.get(ObjectiveMilestone, milestone_id)
        owner = session.get(Objective, milestone.objective_id) if milestone else None
        if owner is None or owner.person_id != nominee_id:
            raise InvalidInput("Pick one of the nominee's milestones.", field="milestone")
        objective_id = objective_id or owner.id
    if objective_id is not None:
        objective = session.get(Objective, objective_id)
        if objective is None or objective.person_id != nominee_id:
            raise InvalidInput("Pick one of the nominee's objectives.", field="objective")
    award = Award(
        nominee_id=nominee_id,
        year=year,
        amount_pence=amount_pence,
        reason=reason,
        objective_id=objective_id,
        milestone_id=milestone_id,
        nominated_by_id=_actor_id(actor),
        nominated_at=now,
    )
    session.add(award)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="award.nominate",
        entity="award",
        entity_id=award.id,
        subject_id=nominee_id,
        new=snapshot(award, "amount_pence", "status", "objective_id", "milestone_id"),
    )
    return award


def _decided_message(session: Session, award: Award) -> str:
    who = session.get(Person, award.decided_by_id) if award.decided_by_id else None
    by = f" by {who.name}" if who else ""
    when = f" on {award.decided_at:%d %b %Y %H:%M} UTC" if award.decided_at else ""
    return f"This nomination was already {award.status.value}{by}{when}."


def decide_award(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    award_id: int,
    approve: bool,
    now: datetime,
    reason: str | None = None,
) -> Award:
    """F15: the nominee's Director General approves or rejects, once.

    Never their own nomination or award; caps re-checked under a lock so concurrent approvals
    can't pass the yearly limit together; a second click gets ``Conflict``.
    """
    acting = _acting_person(session, actor)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("That award nomination does not exist.", field="award")
    nominee = _lock_person(session, award.nominee_id)
    session.refresh(award)  # read the status after taking the lock
    if not is_dg_for(acting, nominee):
        raise _deny("decide this award - only the Director General for the nominee's group can")
    if acting is not None and acting.id in (award.nominated_by_id, award.nominee_id):
        raise _deny("decide a nomination you made or that names you")
    if award.status is not AwardStatus.PENDING:
        raise Conflict(_decided_message(session, award))
    reason = _clean(reason, "reason", required=not approve) or None
    if approve:
        approved = approved_award_total(session, award.nominee_id, award.year)
        fw.check_award(
            amount_pence=award.amount_pence,
            approved_total_pence=approved,
            on_poor_performance_measures=nominee.poor_performance_measures,
            limits=config.award_limits,
        )
        cst = fw.needs_cst_approval(approved + award.amount_pence, config.award_limits)
    else:
        cst = False
    status = AwardStatus.APPROVED if approve else AwardStatus.REJECTED
    # Compare-and-set: only a pending row changes, whatever else is racing.
    result = session.execute(
        sa.update(Award)
        .where(col(Award.id) == award.id, col(Award.status) == AwardStatus.PENDING)
        .values(
            status=status,
            decided_by_id=actor.person_id,
            decided_at=now,
            decision_reason=reason,
            cst_approval_needed=cst,
        )
    )
    if cast(sa.CursorResult[Any], result).rowcount != 1:
        session.refresh(award)
        raise Conflict(_decided_message(session, award))
    session.refresh(award)
    audit(
        session,
        actor=actor,
        now=now,
        action=f"award.{status.value}",
        entity="award",
        entity_id=award.id,
        subject_id=award.nominee_id,
        old={"status": "pending"},
        new=snapshot(award, "status", "amount_pence", "cst_approval_needed"),
        reason=reason,
    )
    return award


def withdraw_award(
    session: Session, *, actor: Actor, award_id: int, now: datetime, reason: str | None = None
) -> Award:
    """F15: the nominator withdraws a nomination that is still pending."""
    _acting_person(session, actor)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("That award nomination does not exist.", field="award")
    if actor.person_id is None or award.nominated_by_id != actor.person_id:
        raise _deny("withdraw this nomination - only the person who made it can")
    _lock_person(session, award.nominee_id)
    session.refresh(award)
    if award.status is not AwardStatus.PENDING:
        raise Conflict(_decided_message(session, award))
    award.status = AwardStatus.WITHDRAWN
    award.decision_reason = _clean(reason, "reason", required=False) or None
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="award.withdraw",
        entity="award",
        entity_id=award.id,
        subject_id=award.nominee_id,
        old={"status": "pending"},
        new={"status": "withdrawn"},
        reason=award.decision_reason,
    )
    return award


# --- Chat identities -----------------------------------------------------------------------------
def link_chat_identity(
    session: Session,
    *,
    person_id: int,
    platform: str,
    external_id: str,
    now: datetime,
    workspace_id: str | None = None,
    conversation_ref: dict[str, Any] | None = None,
    via: Channel = Channel.SLACK,
) -> ChatIdentity:
    """Remember which Slack/Teams user a person is (matched by email by the adapter)."""
    if platform not in ("slack", "teams"):
        raise InvalidInput(f"Unknown chat platform '{platform}'.", field="platform")
    external_id = _clean(external_id, "external_id", required=True, limit=200)
    get_person(session, person_id)
    row = session.exec(
        select(ChatIdentity).where(
            ChatIdentity.platform == platform, ChatIdentity.external_id == external_id
        )
    ).first()
    old = snapshot(row, "person_id", "workspace_id")
    if row is None:
        row = ChatIdentity(
            person_id=person_id, platform=platform, external_id=external_id, updated_at=now
        )
        session.add(row)
    row.person_id, row.workspace_id, row.updated_at = person_id, workspace_id, now
    if conversation_ref is not None:
        row.conversation_ref = conversation_ref
    session.flush()
    new = snapshot(row, "person_id", "workspace_id")
    if new != old:
        audit(
            session,
            actor=Actor.system(via),
            now=now,
            action="chat_identity.link",
            entity="chat_identity",
            entity_id=row.id,
            subject_id=person_id,
            old=old,
            new=new,
        )
    return row


def linked_person(session: Session, platform: str, external_id: str) -> int | None:
    """The person a Slack or Teams user was linked to, if any."""
    return session.exec(
        select(ChatIdentity.person_id).where(
            ChatIdentity.platform == platform, ChatIdentity.external_id == external_id
        )
    ).first()


def link_by_email(
    session: Session,
    *,
    platform: str,
    external_id: str,
    email: str,
    now: datetime,
    via: Channel,
    workspace_id: str | None = None,
    conversation_ref: dict[str, Any] | None = None,
) -> int | None:
    """Link a chat user to the active roster person with this work email (None if there is
    none: the adapter then says "not in the roster")."""
    person = session.exec(
        select(Person).where(Person.email == email.lower(), col(Person.left_on).is_(None))
    ).first()
    if person is None or person.id is None:
        return None
    link_chat_identity(
        session,
        person_id=person.id,
        platform=platform,
        external_id=external_id,
        workspace_id=workspace_id,
        conversation_ref=conversation_ref,
        now=now,
        via=via,
    )
    return person.id


# --- Idempotency -------------------------------------------------------------------------------
def first_time(session: Session, *, key: str, now: datetime) -> bool:
    """True the first time ``key`` is seen (e.g. a Slack event retried with X-Slack-Retry-Num)."""
    from store.models import IdempotencyKey

    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = session.execute(
        insert(IdempotencyKey).values(key=key[:200], created_at=now).on_conflict_do_nothing(),
        execution_options={"preserve_rowcount": True},
    )
    return bool(cast(sa.CursorResult[Any], result).rowcount)
