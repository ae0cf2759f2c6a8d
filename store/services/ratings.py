"""Quarterly indicative ratings (F5) and what two Partially Met quarters prompt (F10)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import InvalidInput, NotFound, RuleViolation
from store.framework import Rating
from store.models import DevelopmentPlan, IndicativeRating, PlanStatus
from store.notices import Notice, tell, version
from store.services.base import (
    Actor,
    actor_id,
    audited,
    clean_text,
    local_date,
    require_line_manager,
    resolve_year,
    snapshot,
)

# A person's ratings in this year and the one before (F10 looks across the boundary): one query.
_TWO_YEARS_RATINGS = select(IndicativeRating).where(
    IndicativeRating.person_id == sa.bindparam("person"),
    col(IndicativeRating.year).in_(sa.bindparam("years", expanding=True)),
)


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
    require_line_manager(session, actor, subject_id, "rate this person")
    if quarter not in fw.QUARTERS:
        raise InvalidInput("The quarter must be 1, 2, 3 or 4.", field="quarter")
    parsed = Rating.parse(rating)
    fw.check_what_and_how(what_note, how_note)  # F6
    year = resolve_year(session, config, now, year)
    today = local_date(config, now)
    quarter_starts = fw.year_start(year, config.year.start_month)
    month = (quarter_starts.month - 1 + 3 * (quarter - 1)) % 12 + 1
    starts = date(quarter_starts.year + (1 if month < quarter_starts.month else 0), month, 1)
    if starts > today:
        raise RuleViolation(
            "F5", f"Q{quarter} has not started yet, so it can't be rated.", field="quarter"
        )

    rows = session.exec(
        _TWO_YEARS_RATINGS, params={"person": subject_id, "years": [year - 1, year]}
    ).all()
    year_rows = {r.quarter: r for r in rows if r.year == year}
    last_year = {r.quarter: Rating(r.rating) for r in rows if r.year == year - 1}
    row = year_rows.get(quarter)
    fields = ("quarter", "rating", "what_note", "how_note")
    old = snapshot(row, *fields)
    if row is None:
        row = IndicativeRating(person_id=subject_id, year=year, quarter=quarter, rating=parsed)
        year_rows[quarter] = row
    row.rating, row.what_note, row.how_note = parsed, what_note.strip(), how_note.strip()
    row.recorded_by_id, row.recorded_at = actor_id(actor), now
    audited(
        session,
        row,
        actor=actor,
        now=now,
        action="rating.record",
        subject_id=subject_id,
        fields=fields,
        old=old,
    )
    # The job holder hears the rating they discussed, with their manager's notes.
    changed = old is not None and old["rating"] != parsed.value
    replaces = Rating(old["rating"]).label if changed and old is not None else None
    tell(
        session, recipient_id=subject_id, notice=Notice.RATING, subject_id=subject_id,
        milestone=f"q{quarter}", step=version(now), year=year, now=now,
        payload={"quarter": quarter, "rating": parsed.label, "what": row.what_note,
                 "how": row.how_note, "replaces": replaces},
    )  # fmt: skip
    quarters = {q: Rating(r.rating) for q, r in year_rows.items()}
    step = fw.underperformance_step(quarters, last_year=last_year)
    prompted = _prompt_development_plan(session, actor, subject_id, year, quarters, last_year, now)
    previous = quarters.get(quarter - 1) if quarter > 1 else last_year.get(fw.QUARTERS[-1])
    return RatingOutcome(row, previous, step, prompted)


def _prompt_development_plan(
    session: Session,
    actor: Actor,
    subject_id: int,
    year: int,
    quarters: Mapping[int, Rating],
    last_year: Mapping[int, Rating],
    now: datetime,
) -> bool:
    """F10: two consecutive Partially Met quarters -> prompt the manager for a development plan.

    Derived from the ratings, never typed in; created once per person and year. A run that
    began last year (Q4 then Q1) prompts this year's plan at Q1; one completed last year
    already had its plan there.
    """
    trigger = fw.consecutive_partially_met(quarters, last_year)
    if trigger is None or trigger < 1:
        return False
    exists = session.exec(
        select(DevelopmentPlan.id).where(
            DevelopmentPlan.person_id == subject_id, DevelopmentPlan.year == year
        )
    ).first()
    if exists is not None:
        return False
    audited(
        session,
        DevelopmentPlan(
            person_id=subject_id, year=year, triggered_by_quarter=trigger, prompted_at=now
        ),
        actor=actor,
        now=now,
        action="development_plan.prompt",
        subject_id=subject_id,
        fields=("triggered_by_quarter", "status"),
        reason="Partially Met in two consecutive quarters",
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
    require_line_manager(session, actor, subject_id, "update this development plan")
    year = resolve_year(session, config, now, year)
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
    if review_on is not None:  # a typo's year 1 or 9999 would never come round
        first = fw.year_start(year, config.year.start_month)
        today = local_date(config, now)
        last = (
            today.replace(year=today.year + 1)
            if (today.month, today.day) != (2, 29)
            else (today.replace(year=today.year + 1, day=28))
        )
        if not first <= review_on <= last:
            raise InvalidInput(
                f"Give a review date between {fw.day_words(first, weekday=False)} {first.year} "
                f"and {fw.day_words(last, weekday=False)} {last.year}.",
                field="review_on",
            )
    fields = ("status", "review_on", "note")
    old = snapshot(plan, *fields)
    plan.status, plan.review_on = new_status, review_on
    plan.note = clean_text(note, "note", required=False) or None
    plan.updated_by_id, plan.updated_at = actor.person_id, now
    tell(
        session, recipient_id=subject_id, notice=Notice.PLAN, subject_id=subject_id,
        milestone="development_plan", step=version(now), year=year, now=now,
        payload={"status": new_status.value,
                 "review_on": review_on.isoformat() if review_on else None},
    )  # fmt: skip
    return audited(
        session,
        plan,
        actor=actor,
        now=now,
        action="development_plan.update",
        subject_id=subject_id,
        fields=fields,
        old=old,
    )
