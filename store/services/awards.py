"""In-year awards (F15): nominated by a line manager or countersigning officer, decided once
by the nominee's Director General, within the per-award and per-year caps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import Conflict, InvalidInput, NotFound, RuleViolation
from store.framework import Grade
from store.models import (
    Award,
    AwardStatus,
    Objective,
    ObjectiveMilestone,
    Outbox,
    OutboxStatus,
    Person,
)
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
    require_hr,
    resolve_year,
)


def _award_total(session: Session, person_id: int, year: int, status: AwardStatus) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(Award.amount_pence), 0)).where(
            Award.nominee_id == person_id, Award.year == year, Award.status == status
        )
    ).one()
    return int(total)


def approved_award_total(session: Session, person_id: int, year: int) -> int:
    """F15: pence already approved for this person in this year."""
    return _award_total(session, person_id, year, AwardStatus.APPROVED)


def pending_award_total(session: Session, person_id: int, year: int) -> int:
    """F15: pence nominated for this person this year and awaiting a decision."""
    return _award_total(session, person_id, year, AwardStatus.PENDING)


def committed_award_total(session: Session, person_id: int, year: int) -> int:
    """F15: approved awards plus those a DG approved that wait for the Chief Secretary: the
    latter are not paid yet, but hold their place under the cap."""
    return approved_award_total(session, person_id, year) + _award_total(
        session, person_id, year, AwardStatus.AWAITING_CST
    )


def award_headroom(session: Session, config: DepartmentConfig, person_id: int, year: int) -> int:
    """F15: how much more can be nominated for this person this year (pence): nominations
    awaiting a decision, or the Chief Secretary, hold their place."""
    committed = committed_award_total(session, person_id, year) + pending_award_total(
        session, person_id, year
    )
    return max(config.award_limits.per_year_pence - committed, 0)


def permanent_secretary(session: Session, config: DepartmentConfig) -> Person | None:
    """F15: who decides the awards a Director General cannot: the configured deputy, else the
    roster's Permanent Secretary (who has not left)."""
    email = (config.awards.dg_awards_decided_by or "").strip().lower()
    query = select(Person).where(col(Person.left_on).is_(None))
    if email:
        return session.exec(query.where(Person.email == email)).first()
    return session.exec(query.where(Person.grade == Grade.PERMSEC).order_by(col(Person.id))).first()


def goes_to_permanent_secretary(nominee: Person, nominated_by_id: int | None) -> bool:
    """F15: a nomination of a DG, and a DG's own nomination, go past the DG (as does one for
    someone with no DG in the roster). queries.award_decider_id says the same in SQL."""
    return nominee.is_dg or nominee.dg_id is None or nominated_by_id == nominee.dg_id


def award_decider(
    session: Session, config: DepartmentConfig, nominee: Person, nominated_by_id: int | None
) -> Person | None:
    """F15, guidance §54c: the nominee's Director General decides, or the Permanent Secretary
    (or deputy) when the DG cannot; never the nominator or the nominee."""
    if goes_to_permanent_secretary(nominee, nominated_by_id):
        decider = permanent_secretary(session, config)
    else:
        decider = session.get(Person, nominee.dg_id)
    if decider is None or not decider.active or decider.id in (nominated_by_id, nominee.id):
        return None
    return decider


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


def _check_links(
    session: Session, nominee_id: int, objective_id: int | None, milestone_id: int | None
) -> int | None:
    """The nominee's own objective (and milestone) an award recognises; returns the objective."""
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
    return objective_id


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
    acting = acting_person(session, actor)
    nominee = active_subject(session, nominee_id, field="nominee")
    if acting is not None and acting.id == nominee_id:
        raise deny("nominate yourself for an award")
    if not (is_line_manager(acting, nominee) or is_countersigning(acting, nominee)):
        raise deny(
            f"nominate {nominee.name} - only their line manager or countersigning officer can"
        )
    if not isinstance(amount_pence, int) or isinstance(amount_pence, bool):
        raise InvalidInput("The amount must be a whole number of pence.", field="amount")
    reason = clean_text(reason, "reason", required=True)
    year = resolve_year(session, config, now, year)
    if award_decider(session, config, nominee, actor.person_id) is None:
        raise RuleViolation(
            "F15",
            f"There is no one in the roster who can decide an award for {nominee.name}: it "
            "needs their Director General, or the Permanent Secretary (or the deputy set in "
            "the department's configuration), and never the nominator. Ask HR.",
            field="nominee",
        )
    fw.check_award(
        amount_pence=amount_pence,
        approved_total_pence=committed_award_total(session, nominee_id, year),
        pending_pence=pending_award_total(session, nominee_id, year),
        on_poor_performance_measures=nominee.poor_performance_measures,
        limits=config.award_limits,
    )
    award = Award(
        nominee_id=nominee_id,
        year=year,
        amount_pence=amount_pence,
        reason=reason,
        objective_id=_check_links(session, nominee_id, objective_id, milestone_id),
        milestone_id=milestone_id,
        nominated_by_id=actor_id(actor),
        nominated_at=now,
    )
    return audited(
        session,
        award,
        actor=actor,
        now=now,
        action="award.nominate",
        subject_id=nominee_id,
        fields=("amount_pence", "status", "objective_id", "milestone_id"),
    )


def _decided_message(session: Session, award: Award, zone: str = "Europe/London") -> str:
    who = session.get(Person, award.decided_by_id) if award.decided_by_id else None
    by = f" by {who.name}" if who else ""
    local = award.decided_at.astimezone(ZoneInfo(zone)) if award.decided_at else None
    when = f" on {local.day} {local:%B %Y} at {local:%H:%M}" if local else ""
    state = (
        "approved, and is waiting for the Chief Secretary's approval"
        if award.status is AwardStatus.AWAITING_CST
        else award.status.value
    )
    return f"This nomination was already {state}{by}{when}."


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
    acting = acting_person(session, actor)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("That award nomination does not exist.", field="award")
    nominee = _lock_person(session, award.nominee_id)
    session.refresh(award)  # read the status after taking the lock
    if acting is not None and acting.id in (award.nominated_by_id, award.nominee_id):
        raise deny("decide a nomination you made or that names you")
    decider = award_decider(session, config, nominee, award.nominated_by_id)
    if acting is None or decider is None or acting.id != decider.id:
        who = (
            "the Permanent Secretary"
            if goes_to_permanent_secretary(nominee, award.nominated_by_id)
            else "the Director General for the nominee's group"
        )
        raise deny(f"decide this award - only {who} can")
    if award.status is not AwardStatus.PENDING:
        raise Conflict(_decided_message(session, award, config.department.timezone))
    reason = clean_text(reason, "reason", required=not approve) or None
    cst = False
    if approve and not nominee.active and not nominee.left_to_department:
        # F15 (FAQ): someone who has left the Civil Service gets no performance reward.
        raise RuleViolation(
            "F15",
            f"{nominee.name} has left the Civil Service, so this award cannot be approved. "
            "Reject it to close the nomination.",
        )
    if approve:
        committed = committed_award_total(session, award.nominee_id, award.year)
        fw.check_award(
            amount_pence=award.amount_pence,
            approved_total_pence=committed,
            on_poor_performance_measures=nominee.poor_performance_measures,
            limits=config.award_limits,
        )
        cst = fw.needs_cst_approval(committed + award.amount_pence, config.award_limits)
    # F15: a total at the Chief Secretary threshold is not final until HR records that approval.
    status = (
        AwardStatus.REJECTED
        if not approve
        else AwardStatus.AWAITING_CST
        if cst
        else AwardStatus.APPROVED
    )
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
    session.refresh(award)
    if cast(sa.CursorResult[Any], result).rowcount != 1:
        raise Conflict(_decided_message(session, award, config.department.timezone))
    # The nominator hears the decision once the decider can no longer undo it.
    tell(
        session, recipient_id=award.nominated_by_id, notice=Notice.AWARD,
        subject_id=award.nominee_id, milestone=f"award:{award.id}",
        step=f"{status.value}_{version(now)}", year=award.year, now=now,
        due_at=now + timedelta(minutes=config.awards.undo_minutes),
        payload={"nominee": nominee.name, "amount_pence": award.amount_pence,
                 "decider": acting.name, "reason": reason},
    )  # fmt: skip
    return audited(
        session,
        award,
        actor=actor,
        now=now,
        action="award.approve_pending_cst" if cst else f"award.{status.value}",
        subject_id=award.nominee_id,
        fields=("status", "amount_pence", "cst_approval_needed"),
        old={"status": "pending"},
        reason=reason,
    )


def record_cst_decision(
    session: Session,
    *,
    actor: Actor,
    award_id: int,
    approved: bool,
    reference: str,
    now: datetime,
    reason: str | None = None,
) -> Award:
    """F15 (guidance FAQ): HR records the Chief Secretary to the Treasury's answer on an award
    a DG approved that takes the year's total to the threshold. Approved: the award is final
    and counts as paid. Refused: it is rejected and frees its place under the cap."""
    require_hr(session, actor, deny("record the Chief Secretary's approval - only HR can").message)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("That award nomination does not exist.", field="award")
    nominee = _lock_person(session, award.nominee_id)
    session.refresh(award)
    if award.status is not AwardStatus.AWAITING_CST:
        if award.cst_recorded_at is not None:
            raise Conflict(
                f"The Chief Secretary's answer on this award was already recorded "
                f"(reference {award.cst_reference}): it is {award.status.label.lower()}."
            )
        raise Conflict(
            f"This award is {award.status.label.lower()}, not waiting for the Chief Secretary."
        )
    reference = clean_text(reference, "reference", required=True, limit=100)
    reason = clean_text(reason, "reason", required=not approved) or None
    if approved and not nominee.active and not nominee.left_to_department:
        raise RuleViolation(
            "F15",
            f"{nominee.name} has left the Civil Service, so this award cannot be paid. "
            "Record the answer as refused to close it.",
        )
    status = AwardStatus.APPROVED if approved else AwardStatus.REJECTED
    award.status = status
    award.cst_reference = reference
    award.cst_recorded_by_id = actor.person_id
    award.cst_recorded_at = now
    if reason:
        award.decision_reason = reason
    return audited(
        session,
        award,
        actor=actor,
        now=now,
        action="award.cst_approve" if approved else "award.cst_refuse",
        subject_id=award.nominee_id,
        fields=("status", "cst_reference"),
        old={"status": AwardStatus.AWAITING_CST.value},
        reason=reason,
    )


def undo_award_decision(
    session: Session, *, config: DepartmentConfig, actor: Actor, award_id: int, now: datetime
) -> Award:
    """F15: the person who decided a nomination may undo the decision for a short while
    (``awards.undo_minutes``) - a mis-click - and it waits for a decision again. The audit
    keeps both the decision and its undoing."""
    acting_person(session, actor)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("That award nomination does not exist.", field="award")
    _lock_person(session, award.nominee_id)
    session.refresh(award)
    if award.status in (AwardStatus.PENDING, AwardStatus.WITHDRAWN):
        raise Conflict(
            f"This nomination is {award.status.label.lower()}: there is no decision to undo."
        )
    if actor.person_id is None or award.decided_by_id != actor.person_id:
        raise deny("undo this decision - only the person who made it can")
    window = timedelta(minutes=config.awards.undo_minutes)
    if award.decided_at is None or now - award.decided_at > window or award.cst_recorded_at:
        raise Conflict(
            f"A decision can be undone only within {config.awards.undo_minutes} minutes of "
            "making it. Ask HR if it needs changing now."
        )
    old = {"status": award.status.value, "decision_reason": award.decision_reason}
    award.status = AwardStatus.PENDING
    award.decided_by_id = award.decided_at = award.decision_reason = None
    award.cst_approval_needed = False
    return audited(
        session, award, actor=actor, now=now, action="award.undo", subject_id=award.nominee_id,
        old=old, new={"status": AwardStatus.PENDING.value},
    )  # fmt: skip


def withdraw_award(
    session: Session, *, actor: Actor, award_id: int, now: datetime, reason: str | None = None
) -> Award:
    """F15: the nominator withdraws a nomination that is still pending."""
    acting_person(session, actor)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("That award nomination does not exist.", field="award")
    if actor.person_id is None or award.nominated_by_id != actor.person_id:
        raise deny("withdraw this nomination - only the person who made it can")
    _lock_person(session, award.nominee_id)
    session.refresh(award)
    if award.status is not AwardStatus.PENDING:
        raise Conflict(_decided_message(session, award))
    award.status = AwardStatus.WITHDRAWN
    award.decision_reason = clean_text(reason, "reason", required=False) or None
    return audited(
        session,
        award,
        actor=actor,
        now=now,
        action="award.withdraw",
        subject_id=award.nominee_id,
        old={"status": "pending"},
        new={"status": "withdrawn"},
        reason=award.decision_reason,
    )


def record_award_copy(
    session: Session, *, recipient_id: int, award_id: int, message_ref: str, now: datetime
) -> None:
    """A nomination shown to its decider again ("Show them", "Decide" on the home page) is a
    message with an Approve button like the first: kept as sent with where it is, so that
    once the nomination is decided it is edited to say so, as the first one is (F15)."""
    award = session.get(Award, award_id)
    if award is None or not message_ref:
        return
    shown = session.exec(
        select(func.count())
        .select_from(Outbox)
        .where(
            col(Outbox.recipient_id) == recipient_id,
            col(Outbox.kind) == "award_decision",
            col(Outbox.milestone) == f"award:{award_id}",
            col(Outbox.step).startswith("shown_"),
        )
    ).one()
    session.add(
        Outbox(
            recipient_id=recipient_id, kind="award_decision",
            subject_key=f"p:{award.nominee_id}", subject_id=award.nominee_id,
            milestone=f"award:{award_id}", step=f"shown_{shown + 1}", year=award.year,
            due_at=now, status=OutboxStatus.SENT, created_at=now, sent_at=now,
            message_ref=message_ref[:200],
        )
    )  # fmt: skip
    session.flush()
