"""360 feedback respondents, agreed between job holder and line manager (F24)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from store.config import DepartmentConfig
from store.errors import NotFound
from store.models import FeedbackRespondent
from store.services.base import (
    Actor,
    actor_id,
    audited,
    clean_text,
    require_line_manager,
    require_self,
    resolve_year,
)


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
    require_self(session, actor, subject_id, "propose 360 respondents")
    respondent = clean_text(respondent, "respondent", required=True, limit=200)
    relationship = clean_text(relationship, "relationship", required=True, limit=100)
    year = resolve_year(session, config, now, year)
    row = FeedbackRespondent(
        person_id=subject_id,
        year=year,
        respondent=respondent,
        relationship=relationship,
        proposed_by_id=actor_id(actor),
    )
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="respondent.propose",
        subject_id=subject_id,
        fields=("respondent", "relationship"),
    )


def agree_respondent(
    session: Session, *, actor: Actor, respondent_id: int, now: datetime
) -> FeedbackRespondent:
    """F24: the line manager agrees a proposed respondent (guidance §75)."""
    row = session.get(FeedbackRespondent, respondent_id)
    if row is None:
        raise NotFound("That respondent does not exist.", field="respondent")
    require_line_manager(session, actor, row.person_id, "agree 360 respondents")
    if row.agreed_at is not None:
        return row
    row.agreed_by_id, row.agreed_at = actor.person_id, now
    return audited(
        session,
        row,
        actor=actor,
        now=now,
        action="respondent.agree",
        subject_id=row.person_id,
        new={"agreed": True},
    )
