"""Moderation: the moderated rating kept beside the recommendation (F7), and who moderates
whom when people move between departments (F18)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import Conflict, InvalidInput, RuleViolation
from store.framework import Rating
from store.models import ModeratedRating, OutcomeRelease, Person, RatingReview
from store.services.base import (
    Actor,
    audited,
    clean_text,
    deny,
    get_person,
    local_date,
    require_hr,
    resolve_year,
    snapshot,
)
from store.services.write_ups import gated_recommendation, year_end_outcome


def moderation_placement(
    person: Person, year: int, config: DepartmentConfig | None = None
) -> fw.ModeratedBy:
    """F18, F19, F25 for a stored person."""
    config = config or DepartmentConfig()
    return fw.moderation_placement(
        start_year=year,
        civil_service_start=person.civil_service_start or person.start_date,
        joined_department=person.start_date,
        left_department=person.left_on,
        left_to_other_department=bool(person.left_to_department),
        permanent_secretary=person.grade == fw.Grade.PERMSEC,
        assessed_as_scs=fw.assessed_as_scs(
            start_year=year,
            start_month=config.year.start_month,
            promoted_from=person.temporary_promotion_from,
            left_on=person.left_on,
            approach=config.reporting.temporary_promotion,
        ),
    )


PLACEMENT_WORDS = {
    fw.ModeratedBy.THIS_DEPARTMENT: "moderated here",
    fw.ModeratedBy.OTHER_DEPARTMENT: "their other department moderates them",
    fw.ModeratedBy.NOT_ELIGIBLE: "they joined the Civil Service after 31 December",
    fw.ModeratedBy.LEFT: "they left the Civil Service on or before 31 December",
    fw.ModeratedBy.OUT_OF_SCOPE: "Permanent Secretaries are outside this process",
    fw.ModeratedBy.SUBSTANTIVE_GRADE: "on temporary promotion for less than half the year, "
    "they are assessed at their substantive grade",
}


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
    require_hr(session, actor, deny("record a moderated rating - only HR can").message)
    subject = get_person(session, subject_id)  # leavers after 1 January are still moderated
    parsed = Rating.parse(rating)
    reason = clean_text(reason, "reason", required=True)
    year = resolve_year(session, config, now, year)
    placement = moderation_placement(subject, year, config)
    if placement is not fw.ModeratedBy.THIS_DEPARTMENT:
        raise RuleViolation(
            "F18",
            f"{subject.name} is not moderated by this department for "
            f"{fw.year_label(year, config.year.start_month)} "
            f"({PLACEMENT_WORDS[placement]}).",
        )
    # F7-F9, F23: only an agreed write-up with every gate assessed is moderated, and the
    # panel may not go above what the gates allow.
    fw.check_moderated_rating(subject.name, parsed, year_end_outcome(session, subject, year))
    row = session.exec(
        select(ModeratedRating).where(
            ModeratedRating.person_id == subject_id, ModeratedRating.year == year
        )
    ).first()
    old = snapshot(row, "rating", "reason")
    row = row or ModeratedRating(person_id=subject_id, year=year, rating=parsed)
    row.rating, row.reason = parsed, reason
    row.recorded_by_id, row.recorded_at = actor.person_id, now
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="moderation.record",
        subject_id=subject_id,
        fields=("rating", "reason"),
        old=old,
        reason=reason,
    )


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
    require_hr(session, actor, deny("record a department move - only HR can").message)
    subject = get_person(session, subject_id)
    if (joined_from is None) == (left_to is None):
        raise InvalidInput("Record either a move in (from) or a move out (to).", field="move")
    fields = ("start_date", "joined_from_department", "left_on", "left_to_department")
    old = snapshot(subject, *fields)
    if joined_from is not None:
        if joined_on is None:
            raise InvalidInput("Give the date they joined.", field="joined_on")
        subject.joined_from_department = clean_text(
            joined_from, "joined_from", required=True, limit=200
        )
        subject.civil_service_start = subject.civil_service_start or subject.start_date
        subject.start_date = joined_on
    else:
        if left_on is None:
            raise InvalidInput("Give the date they left.", field="left_on")
        subject.left_to_department = clean_text(left_to, "left_to", required=True, limit=200)
        subject.left_on = left_on
    subject.updated_at = now
    return audited(
        session,
        subject,
        actor=actor,
        now=now,
        action="person.move",
        subject_id=subject_id,
        fields=fields,
        old=old,
    )


# --- F27: review of a final rating ----------------------------------------------------------------
def _review(session: Session, subject_id: int, year: int) -> RatingReview | None:
    return session.exec(
        select(RatingReview).where(RatingReview.person_id == subject_id, RatingReview.year == year)
    ).first()


def _moderated(session: Session, subject_id: int, year: int) -> Rating | None:
    rating = session.exec(
        select(ModeratedRating.rating).where(
            ModeratedRating.person_id == subject_id, ModeratedRating.year == year
        )
    ).first()
    return Rating(rating) if rating else None


def open_rating_review(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    reason: str,
    now: datetime,
    year: int | None = None,
) -> RatingReview:
    """F27: HR marks a final rating as under review (the job holder's grievance)."""
    require_hr(session, actor, deny("put a rating under review - only HR can").message)
    subject = get_person(session, subject_id)
    reason = clean_text(reason, "reason", required=True)
    year = resolve_year(session, config, now, year)
    final = year_end_outcome(session, subject, year, _moderated(session, subject_id, year))
    if final.rating is None:
        raise RuleViolation(
            "F27", f"{subject.name} has no final rating for this year, so there is none to review."
        )
    if _review(session, subject_id, year) is not None:
        raise Conflict(
            f"{subject.name}'s rating for this year has already been put under review; record "
            "its outcome instead."
        )
    row = RatingReview(
        person_id=subject_id, year=year, reason=reason, opened_by_id=actor.person_id, opened_at=now
    )
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="rating_review.open",
        subject_id=subject_id,
        new={"final_rating": final.rating.value},
        reason=reason,
    )


def close_rating_review(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    outcome: Rating | str,
    reason: str,
    now: datetime,
    year: int | None = None,
) -> RatingReview:
    """F27: HR records the review's outcome; it becomes the final rating (the gates still
    bind it), with the reason in the audit log."""
    require_hr(session, actor, deny("record a review's outcome - only HR can").message)
    subject = get_person(session, subject_id)
    parsed = Rating.parse(outcome, field="outcome")
    reason = clean_text(reason, "reason", required=True)
    year = resolve_year(session, config, now, year)
    row = _review(session, subject_id, year)
    if row is None or row.closed_at is not None:
        raise Conflict(
            f"{subject.name}'s rating is not under review"
            + (" any more: its outcome is recorded." if row is not None else ".")
        )
    before = year_end_outcome(session, subject, year, _moderated(session, subject_id, year))
    fw.check_moderated_rating(subject.name, parsed, before)  # F8, F9 still bind
    row.outcome, row.outcome_reason = parsed, reason
    row.closed_by_id, row.closed_at = actor.person_id, now
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="rating_review.close",
        subject_id=subject_id,
        old={"final_rating": before.rating.value if before.rating else None},
        new={"final_rating": parsed.value},
        reason=reason,
    )


def reviewed_outcome(session: Session, subject_id: int, year: int) -> Rating | None:
    """F27: the outcome of a closed review, which replaces the moderated rating."""
    row = _review(session, subject_id, year)
    return Rating(row.outcome) if row is not None and row.outcome is not None else None


# --- F26: the outcome is told ---------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """F26: what a job holder is told once the year is released."""

    rating: Rating
    recommended: Rating | None
    why: str | None  # the panel's (or the review's) reason, when it differs from the recommendation


def _on(config: DepartmentConfig, moment: datetime) -> str:
    """'1 June 2027', in the department's zone."""
    day = local_date(config, moment)
    return f"{fw.day_words(day, weekday=False)} {day.year}"


def outcome_release(session: Session, year: int) -> OutcomeRelease | None:
    return session.exec(select(OutcomeRelease).where(OutcomeRelease.year == year)).first()


def release_outcomes(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    now: datetime,
    year: int | None = None,
) -> OutcomeRelease:
    """F26 (guidance §79; Annex D): HR releases the year's moderated ratings (by default the
    latest year the panels rated); each job holder and line manager is then told the final
    rating in chat. Once only, and only once there is something to release; audited."""
    require_hr(session, actor, deny("release the year's ratings - only HR can").message)
    if year is None:  # the latest year the panels have rated (the release follows year end)
        year = session.exec(select(sa.func.max(ModeratedRating.year))).one()
    year = resolve_year(session, config, now, year)
    done = outcome_release(session, year)
    if done is not None:
        raise Conflict(
            f"The ratings for {fw.year_label(year, config.year.start_month)} were already "
            f"released on {_on(config, done.released_at)}."
        )
    if session.exec(select(ModeratedRating.id).where(ModeratedRating.year == year)).first() is None:
        raise RuleViolation(
            "F26",
            f"There is nothing to release: no moderated ratings for "
            f"{fw.year_label(year, config.year.start_month)} are recorded yet. Import the "
            "moderation panels' ratings first.",
        )
    return audited(
        session, OutcomeRelease(year=year, released_at=now, released_by_id=actor.person_id),
        actor=actor, now=now, action="outcomes.release", subject_id=None, fields=("year",),
    )  # fmt: skip


def final_outcome(session: Session, subject: Person, year: int) -> Outcome | None:
    """F26: the final rating to tell (a review's outcome, else the moderated rating, within the
    gates) and why it differs from the recommendation; None while there is none. Only the
    release lets anyone read this to a job holder."""
    moderated = session.exec(
        select(ModeratedRating).where(
            ModeratedRating.person_id == subject.id, ModeratedRating.year == year
        )
    ).first()
    review = _review(session, subject.id or 0, year)
    panel = reviewed_outcome(session, subject.id or 0, year) or (
        Rating(moderated.rating) if moderated else None
    )
    final = year_end_outcome(session, subject, year, moderated=panel)
    if final.rating is None:
        return None
    recommended = gated_recommendation(session, subject.id or 0, year)
    recommendation = recommended.recommended if recommended else None
    why = None
    if final.rating is not recommendation:
        if review is not None and review.outcome is not None:
            why = review.outcome_reason
        elif moderated is not None:
            why = moderated.reason
        elif recommended is not None and recommended.reasons:
            why = "; ".join(recommended.reasons)
    return Outcome(final.rating, recommendation, why)
