"""Moderation: the moderated rating kept beside the recommendation (F7), and who moderates
whom when people move between departments (F18)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import Conflict, InvalidInput, RuleViolation
from store.framework import Rating
from store.models import ModeratedRating, Person, RatingReview
from store.services.base import (
    Actor,
    audited,
    clean_text,
    deny,
    get_person,
    require_hr,
    resolve_year,
    snapshot,
)
from store.services.write_ups import year_end_outcome


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
