"""360 feedback respondents (F24): the job holder proposes them - colleagues in the roster by
their work email, people outside it by name - and the line manager agrees or removes them.
"360 undertaken" in the end-year write-up follows from the agreed ones."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from store.config import DepartmentConfig
from store.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from store.models import FeedbackRespondent, Person
from store.services.base import (
    Actor,
    acting_person,
    active_subject,
    actor_id,
    audited,
    clean_text,
    is_line_manager,
    load_people,
    require_line_manager,
    require_self,
    resolve_year,
)

RELATIONSHIPS = ("Peer", "Direct report", "Senior colleague", "Stakeholder", "Other")
RESPONDENT_MAX_CHARS = 200


def live_respondents(session: Session, subject_id: int, year: int) -> list[FeedbackRespondent]:
    """This year's respondents not removed, in the order they were proposed."""
    return list(
        session.exec(
            select(FeedbackRespondent)
            .where(
                FeedbackRespondent.person_id == subject_id,
                FeedbackRespondent.year == year,
                col(FeedbackRespondent.removed_at).is_(None),
            )
            .order_by(col(FeedbackRespondent.id))
        ).all()
    )


def agreed_respondent_count(session: Session, subject_id: int, year: int) -> int:
    """F24: respondents the line manager agreed (and did not remove) this year."""
    return session.exec(
        select(func.count()).where(
            FeedbackRespondent.person_id == subject_id,
            FeedbackRespondent.year == year,
            col(FeedbackRespondent.agreed_at).is_not(None),
            col(FeedbackRespondent.removed_at).is_(None),
        )
    ).one()


def _roster_match(session: Session, text: str) -> Person | None:
    if "@" not in text:
        return None
    return session.exec(
        select(Person).where(
            func.lower(Person.email) == text.lower(), col(Person.left_on).is_(None)
        )
    ).first()


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
    """F24: the job holder proposes a 360 respondent - by work email for someone in the
    roster (their roster name is kept), or by name for someone outside it."""
    subject = require_self(session, actor, subject_id, "propose 360 respondents")
    respondent = clean_text(respondent, "respondent", required=True, limit=RESPONDENT_MAX_CHARS)
    said = clean_text(relationship, "relationship", required=True, limit=100)
    relationship = next((r for r in RELATIONSHIPS if r.casefold() == said.casefold()), "")
    if not relationship:
        raise InvalidInput(
            f"Choose how they know you: {', '.join(RELATIONSHIPS)}.", field="relationship"
        )
    year = resolve_year(session, config, now, year)
    person = _roster_match(session, respondent)
    if person is not None and person.id == subject.id:
        raise InvalidInput("Propose someone other than yourself.", field="respondent")
    name = person.name if person is not None else respondent
    for row in live_respondents(session, subject_id, year):
        same = (
            row.respondent_person_id == person.id
            if person is not None
            else row.respondent.casefold() == name.casefold()
        )
        if same:
            raise Conflict(f"{name} is already one of your respondents.", field="respondent")
    if person is None and "@" in respondent:
        raise InvalidInput(
            f"No one in the roster has the email {respondent}. For someone outside the "
            "department, give their name and organisation instead.",
            field="respondent",
        )
    row = FeedbackRespondent(
        person_id=subject_id,
        year=year,
        respondent=name,
        respondent_person_id=person.id if person is not None else None,
        relationship=relationship,
        proposed_by_id=actor_id(actor),
        proposed_at=now,
    )
    return audited(
        session, row, actor=actor, now=now, action="respondent.propose", subject_id=subject_id,
        fields=("respondent", "respondent_person_id", "relationship"),
    )  # fmt: skip


def _respondent(session: Session, respondent_id: int) -> FeedbackRespondent:
    row = session.get(FeedbackRespondent, respondent_id)
    if row is None:
        raise NotFound("That respondent does not exist.", field="respondent")
    if row.removed_at is not None:
        raise Conflict(f"{row.respondent} was already removed as a respondent.")
    return row


def agree_respondent(
    session: Session, *, actor: Actor, respondent_id: int, now: datetime
) -> FeedbackRespondent:
    """F24: the line manager agrees a proposed respondent (guidance §75)."""
    row = _respondent(session, respondent_id)
    require_line_manager(session, actor, row.person_id, "agree 360 respondents")
    if row.agreed_at is not None:
        return row
    row.agreed_by_id, row.agreed_at = actor.person_id, now
    return audited(
        session, row, actor=actor, now=now, action="respondent.agree", subject_id=row.person_id,
        new={"agreed": True},
    )  # fmt: skip


def remove_respondent(
    session: Session, *, actor: Actor, respondent_id: int, now: datetime
) -> FeedbackRespondent:
    """F24: the line manager removes a respondent; the job holder may withdraw one of their
    own proposals until it is agreed. The row stays, marked removed."""
    row = _respondent(session, respondent_id)
    load_people(session, actor.person_id, row.person_id)
    acting = acting_person(session, actor)
    subject = active_subject(session, row.person_id)
    own = acting is not None and acting.id == subject.id and row.agreed_at is None
    if not (own or is_line_manager(acting, subject)):
        raise PermissionDenied(
            "You can't remove this respondent - only the line manager can, or the job holder "
            "before it is agreed."
        )
    row.removed_by_id, row.removed_at = actor.person_id, now
    return audited(
        session, row, actor=actor, now=now, action="respondent.remove", subject_id=row.person_id,
        old={"respondent": row.respondent, "agreed": row.agreed_at is not None},
        new={"removed": True},
    )  # fmt: skip
