"""Objectives (F11-F13) and their project milestones (F17, the milestone pilot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import InvalidInput, NotFound
from store.models import (
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    ObjectivesAgreement,
    ObjectiveStatus,
)
from store.notices import Notice, tell, version
from store.queries import live_objective_count, live_objective_headings
from store.services.base import (
    Actor,
    actor_id,
    audited,
    clean_text,
    local_date,
    pk,
    require_line_manager,
    require_self_or_manager,
    resolve_year,
    snapshot,
)

_REVISION_FIELDS = ("number", "what", "how", "measure")


@dataclass(frozen=True)
class ObjectiveOutcome:
    objective: Objective
    revision: ObjectiveRevision
    warning: str | None  # F12: outside the recommended 3-6


def objectives_agreement(
    session: Session, subject_id: int, year: int
) -> ObjectivesAgreement | None:
    """F11: the line manager's standing agreement of this person's objectives, if any."""
    row = session.exec(
        select(ObjectivesAgreement).where(
            ObjectivesAgreement.person_id == subject_id, ObjectivesAgreement.year == year
        )
    ).first()
    return row if row is not None and row.agreed_at is not None else None


def _reopen(session: Session, subject_id: int, year: int, actor: Actor, now: datetime) -> None:
    """F11: a change to agreed objectives needs the line manager's agreement again."""
    agreed = objectives_agreement(session, subject_id, year)
    if agreed is None:
        return
    old = {"agreed_by_id": agreed.agreed_by_id, "agreed_at": f"{agreed.agreed_at:%Y-%m-%dT%H:%M}"}
    manager = agreed.agreed_by_id
    agreed.agreed_by_id, agreed.agreed_at = None, None
    audited(
        session, agreed, actor=actor, now=now, action="objectives.reopen",
        subject_id=subject_id, old=old, new={"agreed_at": None},
        reason="The objectives changed after they were agreed.",
    )  # fmt: skip
    if manager is not None and manager != actor.person_id:  # they are asked to agree again
        tell(
            session, recipient_id=manager, notice=Notice.OBJECTIVES_CHANGED,
            subject_id=subject_id, milestone="objectives", step=version(now), year=year, now=now,
        )  # fmt: skip


def agree_objectives(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    now: datetime,
    year: int | None = None,
) -> ObjectivesAgreement:
    """F11 (guidance §23, §42; outcome form): the line manager agrees (signs off) the set;
    only a set that covers all four headings can be agreed."""
    subject = require_line_manager(session, actor, subject_id, "agree these objectives")
    year = resolve_year(session, config, now, year)
    fw.check_objectives_agreeable(subject.name, live_objective_headings(session, subject_id, year))
    row = session.exec(
        select(ObjectivesAgreement).where(
            ObjectivesAgreement.person_id == subject_id, ObjectivesAgreement.year == year
        )
    ).first() or ObjectivesAgreement(person_id=subject_id, year=year)
    if row.agreed_at is not None:
        return row  # already agreed: a second click changes nothing
    row.agreed_by_id, row.agreed_at = actor.person_id, now
    return audited(
        session, row, actor=actor, now=now, action="objectives.agree", subject_id=subject_id,
        new={"agreed_by_id": actor.person_id, "agreed_at": now.isoformat()},
    )  # fmt: skip


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
    over_limit_reason: str | None = None,
) -> ObjectiveOutcome:
    """F11, F12: add an objective under a heading; a ninth live one needs the line manager,
    with a reason. Adding to an agreed set asks for agreement again."""
    subject = require_self_or_manager(session, actor, subject_id, "set objectives")
    parsed_heading = fw.ObjectiveHeading.parse(heading)
    fw.check_what_and_how(what, how)  # F6: objectives cover the what and the how (§3b)
    measure = clean_text(measure, "measure", required=False, limit=fw.NOTE_MAX_CHARS) or None
    year = resolve_year(session, config, now, year)
    live = live_objective_count(session, subject_id, year)
    by_manager = actor.person_id is not None and actor.person_id == subject.line_manager_id
    over_limit_reason = clean_text(over_limit_reason, "over_limit_reason", required=False) or None
    fw.check_can_add_objective(
        live, by_line_manager=by_manager, over_limit_reason=over_limit_reason
    )  # F12
    _reopen(session, subject_id, year, actor, now)
    objective = Objective(
        person_id=subject_id,
        year=year,
        heading=parsed_heading,
        created_by_id=actor_id(actor),
        created_at=now,
    )
    session.add(objective)
    session.flush()
    revision = _add_revision(session, objective, 1, what, how, measure, None, actor, now)
    audited(
        session,
        objective,
        actor=actor,
        now=now,
        action="objective.set",
        subject_id=subject_id,
        new={
            "heading": parsed_heading.value,
            "what": revision.what,
            "how": revision.how,
            "measure": measure,
        },
        reason=over_limit_reason if live >= fw.OBJECTIVES_MAX_LIVE else None,
    )
    return ObjectiveOutcome(objective, revision, fw.objective_count_warning(live + 1))


def _add_revision(
    session: Session,
    objective: Objective,
    number: int,
    what: str,
    how: str,
    measure: str | None,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> ObjectiveRevision:
    """F13: one more revision beside the earlier ones (the first is the original)."""
    revision = ObjectiveRevision(
        objective_id=pk(objective),
        number=number,
        what=what.strip(),
        how=how.strip(),
        measure=measure,
        reason=reason,
        created_by_id=actor_id(actor),
        created_at=now,
    )
    session.add(revision)
    return revision


def _objective_for(session: Session, actor: Actor, objective_id: int, what: str) -> Objective:
    objective = session.get(Objective, objective_id)
    if objective is None:
        raise NotFound("That objective does not exist.", field="objective")
    require_self_or_manager(session, actor, objective.person_id, what)
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
    reason = clean_text(reason, "reason", required=True)
    measure = clean_text(measure, "measure", required=False, limit=fw.NOTE_MAX_CHARS) or None
    latest = session.exec(
        select(ObjectiveRevision)
        .where(ObjectiveRevision.objective_id == objective.id)
        .order_by(col(ObjectiveRevision.number).desc())
    ).first()
    assert latest is not None  # every objective is created with revision 1
    revision = _add_revision(
        session, objective, latest.number + 1, what, how, measure, reason, actor, now
    )
    _reopen(session, objective.person_id, objective.year, actor, now)
    audited(
        session,
        objective,
        actor=actor,
        now=now,
        action="objective.revise",
        subject_id=objective.person_id,
        old=snapshot(latest, *_REVISION_FIELDS),
        new=snapshot(revision, *_REVISION_FIELDS),
        reason=reason,
    )
    return revision


def close_objective(
    session: Session, *, actor: Actor, objective_id: int, reason: str, now: datetime
) -> Objective:
    """F12: closing an objective frees a live slot; its history stays."""
    objective = _objective_for(session, actor, objective_id, "close this objective")
    reason = clean_text(reason, "reason", required=True)
    if objective.status is ObjectiveStatus.CLOSED:
        return objective
    objective.status = ObjectiveStatus.CLOSED
    _reopen(session, objective.person_id, objective.year, actor, now)
    return audited(
        session,
        objective,
        actor=actor,
        now=now,
        action="objective.close",
        subject_id=objective.person_id,
        old={"status": "live"},
        new={"status": "closed"},
        reason=reason,
    )


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
    title = clean_text(title, "title", required=True, limit=300)
    if not isinstance(due_on, date):
        raise InvalidInput("Give the milestone's due date.", field="due_on")
    return audited(
        session,
        ObjectiveMilestone(objective_id=pk(objective), title=title, due_on=due_on),
        actor=actor,
        now=now,
        action="milestone.add",
        subject_id=objective.person_id,
        fields=("title", "due_on"),
    )


def record_milestone_met(
    session: Session, *, config: DepartmentConfig, actor: Actor, milestone_id: int, now: datetime
) -> ObjectiveMilestone:
    """F17: the line manager confirms a milestone met; the caller may prompt a nomination."""
    milestone = session.get(ObjectiveMilestone, milestone_id)
    if milestone is None:
        raise NotFound("That milestone does not exist.", field="milestone")
    objective = session.get(Objective, milestone.objective_id)
    assert objective is not None
    require_line_manager(session, actor, objective.person_id, "confirm this milestone")
    if milestone.met_on is not None:
        return milestone
    milestone.met_on = local_date(config, now)
    milestone.met_recorded_by_id = actor.person_id
    return audited(
        session,
        milestone,
        actor=actor,
        now=now,
        action="milestone.met",
        subject_id=objective.person_id,
        fields=("title", "met_on"),
    )
