"""Once HR releases a year's moderated ratings: each job holder, and their line manager, is told
the final rating, with the reason when it differs from the recommendation (F26). Nothing is
planned before the release; a review's outcome after it is told again (F27)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from scheduler.nudges.base import (
    Action,
    Kind,
    Nudge,
    NudgeKind,
    Tick,
    Words,
    insert_rows,
    outbox_row,
)
from store.config import DepartmentConfig
from store.framework import Grade, Stage, year_label
from store.models import Outbox, OutcomeRelease, Person, RatingReview, WriteUp
from store.services import final_outcome


def _step(rating: str) -> str:
    return f"final_{rating}"


def plan(tick: Tick) -> None:
    session = tick.session
    releases = session.exec(
        select(OutcomeRelease).where(col(OutcomeRelease.year) >= tick.this_year - 1)
    ).all()
    for release in releases:
        # A review's outcome (F27) after they were told changes the rating: they are told again.
        reviewed = (
            select(RatingReview.closed_at)
            .where(RatingReview.person_id == Person.id, RatingReview.year == release.year)
            .scalar_subquery()
        )
        told = select(Outbox.id).where(
            Outbox.kind == Kind.OUTCOME.value,
            Outbox.year == release.year,
            Outbox.subject_id == Person.id,
            Outbox.recipient_id == Person.id,
            sa.or_(reviewed.is_(None), col(Outbox.created_at) >= reviewed),
        )
        people = session.exec(
            select(Person)
            .join(WriteUp, col(WriteUp.person_id) == Person.id)
            .where(
                col(Person.left_on).is_(None),
                Person.grade != Grade.PERMSEC,
                WriteUp.year == release.year,
                WriteUp.stage == Stage.END_YEAR,
                col(WriteUp.job_holder_agreed_at).is_not(None),
                ~sa.exists(told),
            )
        ).all()
        rows = []
        for person in people:
            outcome = final_outcome(session, person, release.year)
            if outcome is None:
                continue
            payload = {
                "rating": outcome.rating.label,
                "recommended": outcome.recommended.label if outcome.recommended else None,
                "why": outcome.why,
            }
            for recipient in (person.id, person.line_manager_id):
                if recipient is None:
                    continue
                rows.append(
                    outbox_row(
                        tick, recipient=recipient, kind=Kind.OUTCOME,
                        subject_key=f"p:{person.id}", subject_id=person.id,
                        milestone=f"outcome:{release.year}", step=_step(outcome.rating.value),
                        year=release.year, due_at=max(release.released_at, tick.now),
                        payload=payload,
                    )
                )  # fmt: skip
        insert_rows(tick, rows)


def is_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    """Stale once the final rating it tells has changed since (a review's outcome)."""
    person = session.get(Person, row.subject_id) if row.subject_id else None
    if person is None:
        return True
    outcome = final_outcome(session, person, row.year)
    return outcome is None or _step(outcome.rating.value) != row.step


def compose(w: Words) -> Nudge:
    rating = str(w.payload.get("rating") or "")
    recommended, why = w.payload.get("recommended"), w.payload.get("why")
    label = year_label(w.ctx.year, w.config.year.start_month) if w.ctx.year else "the year"
    because = f" The reason given: {why}" if why else ""
    if w.ctx.to_subject:
        text = f"Your final rating for {label} is {rating}."
        if recommended and recommended != rating:
            text += f" Your line manager recommended {recommended}.{because}"
    else:
        text = f"{w.who}'s final rating for {label} is {rating}."
        if recommended and recommended != rating:
            text += f" You recommended {recommended}.{because}"
    title = "Your final rating" if w.ctx.to_subject else f"{w.who}'s final rating"
    return w.nudge(title, text, (Action("status", "See the record", ""),), [])


KIND = NudgeKind(Kind.OUTCOME, plan, is_done, compose)
