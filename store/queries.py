"""Every read the chat flows and the command line need, in one place: ``bot/`` builds no SQL
of its own (a test checks). Writes are ``store.services``; the HR workbook has its own
population query (``store.workbook``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from store.config import DepartmentConfig
from store.models import (
    Award,
    AwardStatus,
    ChatIdentity,
    DevelopmentPlan,
    Evidence,
    FeedbackRespondent,
    IndicativeRating,
    ModeratedRating,
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    ObjectiveStatus,
    Outbox,
    OutboxStatus,
    OutcomeRelease,
    Person,
    PlanStatus,
    TeamsInstall,
    WriteUp,
)


def person(session: Session, person_id: int | None) -> Person | None:
    return session.get(Person, person_id) if person_id is not None else None


def person_by_staff_id(session: Session, staff_id: str) -> Person | None:
    return session.exec(select(Person).where(Person.staff_id == staff_id.strip())).first()


def name_of(session: Session, person_id: int | None, default: str = "them") -> str:
    """A person's name for a message (``default`` when there is none)."""
    found = person(session, person_id)
    return found.name if found else default


def reports(session: Session, manager_id: int) -> list[Person]:
    """A line manager's current reports, by name."""
    return list(
        session.exec(
            select(Person)
            .where(Person.line_manager_id == manager_id, col(Person.left_on).is_(None))
            .order_by(Person.name)
        ).all()
    )


def countersigned(session: Session, officer_id: int) -> list[Person]:
    """The people a countersigning officer countersigns for, by name."""
    return list(
        session.exec(
            select(Person)
            .where(Person.countersigning_id == officer_id, col(Person.left_on).is_(None))
            .order_by(Person.name)
        ).all()
    )


def live_objectives(session: Session, person_id: int, year: int) -> list[tuple[int, str]]:
    """A person's live objectives for the year: id and the latest revision's "what"."""
    latest: dict[int, str] = {}
    for objective_id, what in session.exec(
        select(Objective.id, ObjectiveRevision.what)
        .join(ObjectiveRevision, col(ObjectiveRevision.objective_id) == Objective.id)
        .where(
            Objective.person_id == person_id,
            Objective.year == year,
            Objective.status == ObjectiveStatus.LIVE,
        )
        .order_by(col(Objective.id), col(ObjectiveRevision.number))
    ).all():
        assert objective_id is not None
        latest[objective_id] = what  # later revisions replace earlier ones
    return list(latest.items())


@dataclass(frozen=True)
class ObjectiveRecord:
    """One live objective as its owner and line manager see it: the latest wording (F13),
    how many times it was revised, and its milestones (F17)."""

    objective: Objective
    latest: ObjectiveRevision
    revisions: int
    milestones: list[ObjectiveMilestone]


def objective(session: Session, objective_id: int) -> Objective | None:
    return session.get(Objective, objective_id)


def milestone(session: Session, milestone_id: int) -> ObjectiveMilestone | None:
    return session.get(ObjectiveMilestone, milestone_id)


def respondent(session: Session, respondent_id: int) -> FeedbackRespondent | None:
    return session.get(FeedbackRespondent, respondent_id)


def milestone_award(session: Session, milestone_id: int) -> Award | None:
    """F17: a nomination for this milestone that still stands (not withdrawn or rejected)."""
    return session.exec(
        select(Award).where(
            Award.milestone_id == milestone_id,
            col(Award.status).not_in([AwardStatus.WITHDRAWN, AwardStatus.REJECTED]),
        )
    ).first()


def objective_records(session: Session, person_id: int, year: int) -> list[ObjectiveRecord]:
    """A person's live objectives for the year, oldest first, in three queries."""
    objectives = session.exec(
        select(Objective)
        .where(
            Objective.person_id == person_id,
            Objective.year == year,
            Objective.status == ObjectiveStatus.LIVE,
        )
        .order_by(col(Objective.id))
    ).all()
    ids = [o.id for o in objectives]
    revisions: dict[int, list[ObjectiveRevision]] = {}
    for revision in session.exec(
        select(ObjectiveRevision)
        .where(col(ObjectiveRevision.objective_id).in_(ids))
        .order_by(col(ObjectiveRevision.number))
    ).all():
        revisions.setdefault(revision.objective_id, []).append(revision)
    milestones: dict[int, list[ObjectiveMilestone]] = {}
    for milestone in session.exec(
        select(ObjectiveMilestone)
        .where(col(ObjectiveMilestone.objective_id).in_(ids))
        .order_by(col(ObjectiveMilestone.due_on), col(ObjectiveMilestone.id))
    ).all():
        milestones.setdefault(milestone.objective_id, []).append(milestone)
    return [
        ObjectiveRecord(o, revisions[o.id][-1], len(revisions[o.id]), milestones.get(o.id, []))
        for o in objectives
        if o.id in revisions
    ]


def first_objectives(session: Session, people: list[int], year: int) -> list[tuple[int, str, str]]:
    """The objectives of these people for the year as first agreed: id, owner's name, what."""
    rows = session.exec(
        select(Objective.id, Person.name, ObjectiveRevision.what)
        .join(Person, col(Person.id) == Objective.person_id)
        .join(ObjectiveRevision, col(ObjectiveRevision.objective_id) == Objective.id)
        .where(
            col(Objective.person_id).in_(people),
            Objective.year == year,
            ObjectiveRevision.number == 1,
        )
    ).all()
    return [(oid, name, what) for oid, name, what in rows if oid is not None]


def award_decider_id(nominee: Any, permanent_secretary_id: int | None) -> Any:
    """F15 in SQL (services.goes_to_permanent_secretary in Python): who decides a nomination
    of ``nominee`` (a Person alias) - their DG, or the Permanent Secretary (or deputy) for a
    DG's nomination, a nomination of a DG, or someone with no DG."""
    goes_up = sa.or_(
        col(nominee.is_dg),
        col(nominee.dg_id).is_(None),
        col(Award.nominated_by_id) == col(nominee.dg_id),
    )
    return sa.case((goes_up, sa.literal(permanent_secretary_id)), else_=col(nominee.dg_id))


def pending_awards_for(session: Session, config: DepartmentConfig, person_id: int) -> list[Award]:
    """Nominations waiting for this person's decision (a DG, or the Permanent Secretary or
    deputy), oldest first; never one they made or that names them."""
    from store.services.awards import permanent_secretary

    ps = permanent_secretary(session, config)
    nominee = aliased(Person, name="nominee")
    return list(
        session.exec(
            select(Award)
            .join(nominee, col(nominee.id) == Award.nominee_id)
            .where(
                award_decider_id(nominee, ps.id if ps else None) == person_id,
                Award.status == AwardStatus.PENDING,
                col(Award.nominated_by_id) != person_id,
                col(Award.nominee_id) != person_id,
            )
            .order_by(col(Award.nominated_at))
        ).all()
    )


def evidence_count(session: Session, person_id: int, year: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Evidence)
        .where(Evidence.person_id == person_id, Evidence.year == year)
    ).one()


def indicative_rating(
    session: Session, person_id: int, year: int, quarter: int
) -> IndicativeRating | None:
    return session.exec(
        select(IndicativeRating).where(
            IndicativeRating.person_id == person_id,
            IndicativeRating.year == year,
            IndicativeRating.quarter == quarter,
        )
    ).first()


def evidence_items(session: Session, person_id: int, year: int) -> list[Evidence]:
    """F14: a person's portfolio for the year, oldest first."""
    return list(
        session.exec(
            select(Evidence)
            .where(Evidence.person_id == person_id, Evidence.year == year)
            .order_by(col(Evidence.added_at), col(Evidence.id))
        ).all()
    )


def evidence_item(session: Session, evidence_id: int) -> Evidence | None:
    return session.get(Evidence, evidence_id)


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


def write_up(session: Session, person_id: int, year: int, stage: str) -> WriteUp | None:
    """One person's mid- or end-year write-up (F23)."""
    return session.exec(
        select(WriteUp).where(
            WriteUp.person_id == person_id, WriteUp.year == year, WriteUp.stage == stage
        )
    ).first()


def award_link(session: Session, award: Award) -> str | None:
    """F15, F17: the objective (latest wording) or milestone an award recognises, in words."""
    if award.milestone_id is not None:
        milestone = session.get(ObjectiveMilestone, award.milestone_id)
        if milestone is not None:
            return f"Milestone: {milestone.title}"
    if award.objective_id is None:
        return None
    what = session.exec(
        select(ObjectiveRevision.what)
        .where(ObjectiveRevision.objective_id == award.objective_id)
        .order_by(col(ObjectiveRevision.number).desc())
    ).first()
    return f"Objective: {what}" if what else None


def live_objective_headings(session: Session, person_id: int, year: int) -> list[str]:
    """F11: the heading of each live objective (one entry per objective)."""
    return [
        str(heading)
        for heading in session.exec(
            select(Objective.heading).where(
                Objective.person_id == person_id,
                Objective.year == year,
                Objective.status == ObjectiveStatus.LIVE,
            )
        ).all()
    ]


def undelivered_counts(session: Session) -> tuple[int, int]:
    """Reminders that could not go out: (no chat identity, failed after retries)."""
    counts = dict(
        session.exec(
            select(Outbox.status, func.count())
            .where(col(Outbox.status).in_([OutboxStatus.UNDELIVERABLE, OutboxStatus.DEAD]))
            .group_by(Outbox.status)
        ).all()
    )
    return counts.get(OutboxStatus.UNDELIVERABLE, 0), counts.get(OutboxStatus.DEAD, 0)


def unreached_people(session: Session, since: datetime, *, first: int) -> tuple[int, list[str]]:
    """People still in post, in reach now, that a reminder due since ``since`` could not
    reach (it failed after retries, or they had no chat then): how many, and the first names
    by name (those out of reach now are counted by ``unreachable_count``)."""
    failed = (
        select(Outbox.recipient_id)
        .where(
            col(Outbox.status).in_([OutboxStatus.UNDELIVERABLE, OutboxStatus.DEAD]),
            col(Outbox.due_at) >= since,
        )
        .distinct()
    )
    where = (
        col(Person.id).in_(failed),
        col(Person.left_on).is_(None),
        col(Person.id).in_(_reachable()),
    )
    count = session.execute(sa.select(sa.func.count()).select_from(Person).where(*where))
    names = session.execute(
        sa.select(col(Person.name)).where(*where).order_by(col(Person.name)).limit(first)
    )
    return int(count.scalar_one()), list(names.scalars())


def write_ups_to_agree(session: Session, person_id: int, years: list[int]) -> list[WriteUp]:
    """F23: the person's write-ups their line manager has written that they have not agreed."""
    return list(
        session.exec(
            select(WriteUp)
            .where(
                WriteUp.person_id == person_id,
                col(WriteUp.year).in_(years),
                col(WriteUp.manager_assessed_at).is_not(None),
                col(WriteUp.job_holder_agreed_at).is_(None),
            )
            .order_by(col(WriteUp.year), col(WriteUp.stage))
        ).all()
    )


def write_ups_to_countersign(
    session: Session, people: list[int], years: list[int]
) -> list[WriteUp]:
    """F23: write-ups of these people that the job holder has agreed and no one countersigned."""
    return list(
        session.exec(
            select(WriteUp)
            .where(
                col(WriteUp.person_id).in_(people),
                col(WriteUp.year).in_(years),
                col(WriteUp.job_holder_agreed_at).is_not(None),
                col(WriteUp.countersigned_at).is_(None),
            )
            .order_by(col(WriteUp.year), col(WriteUp.person_id), col(WriteUp.stage))
        ).all()
    )


def year_has_ratings(session: Session, year: int) -> bool:
    """Whether anyone was rated in ``year`` (perfbot ran that year)."""
    return (
        session.exec(select(IndicativeRating.id).where(IndicativeRating.year == year)).first()
        is not None
    )


def development_plans(
    session: Session, people: list[int], years: list[int]
) -> dict[int, DevelopmentPlan]:
    """F10: each person's latest development plan in these years that is not closed."""
    plans = session.exec(
        select(DevelopmentPlan)
        .where(
            col(DevelopmentPlan.person_id).in_(people),
            col(DevelopmentPlan.year).in_(years),
            DevelopmentPlan.status != PlanStatus.CLOSED,
        )
        .order_by(col(DevelopmentPlan.year))
    ).all()
    return {plan.person_id: plan for plan in plans}


def awards_awaiting_cst_list(session: Session) -> list[tuple[Award, Person]]:
    """F15: the awards waiting for the Chief Secretary, each with its nominee, oldest first."""
    return [
        (award, nominee)
        for award, nominee in session.exec(
            select(Award, Person)
            .join(Person, col(Person.id) == Award.nominee_id)
            .where(Award.status == AwardStatus.AWAITING_CST)
            .order_by(col(Award.decided_at), col(Award.id))
        ).all()
    ]


def awards_awaiting_cst(session: Session) -> int:
    """F15: awards a DG approved that wait for HR to record the Chief Secretary's approval."""
    return session.exec(
        select(func.count()).select_from(Award).where(Award.status == AwardStatus.AWAITING_CST)
    ).one()


def unreleased_moderated_year(session: Session) -> tuple[int, int] | None:
    """F26: the latest year with moderated ratings that HR has not released, and how many."""
    year = session.exec(select(func.max(ModeratedRating.year))).one()
    if (
        year is None
        or session.exec(select(OutcomeRelease.id).where(OutcomeRelease.year == year)).first()
    ):
        return None
    count = session.exec(
        select(func.count()).select_from(ModeratedRating).where(ModeratedRating.year == year)
    ).one()
    return year, count


def people_counts(session: Session, demo_domain: str) -> tuple[int, int]:
    """How many people are stored, and how many of them are real (not the demo's)."""
    total = session.exec(select(func.count()).select_from(Person)).one()
    real = session.exec(
        select(func.count())
        .select_from(Person)
        .where(~col(Person.email).endswith("@" + demo_domain))
    ).one()
    return total, real


def demo_people(session: Session) -> int:
    """How many people of the fictional demo department are stored (homes then say DEMO)."""
    from store.demo import DEMO_DOMAIN

    total, real = people_counts(session, DEMO_DOMAIN)
    return total - real


def _reachable() -> Any:
    """The people perfbot can message: linked in Slack, or in Teams with their chat known."""
    return select(ChatIdentity.person_id).where(
        sa.or_(
            col(ChatIdentity.platform) == "slack",
            sa.and_(
                col(ChatIdentity.platform) == "teams",
                col(ChatIdentity.conversation_ref).is_not(None),
            ),
        )
    )


def _out_of_reach() -> tuple[Any, ...]:
    """People in post whom no reminder can reach (the conditions, to filter on)."""
    return col(Person.left_on).is_(None), col(Person.id).not_in(_reachable())


class Unreachable(NamedTuple):
    id: int
    staff_id: str
    name: str
    email: str
    business_unit: str
    why: str | None  # the answer to perfbot's last try to install itself in their Teams


def unreachable_count(session: Session) -> int:
    """How many people in post no reminder can reach (HR's home counts them; the workbook
    lists them)."""
    return int(
        session.execute(
            sa.select(sa.func.count()).select_from(Person).where(*_out_of_reach())
        ).scalar_one()
    )


def unreachable_people(session: Session, *, first: int | None = None) -> list[Unreachable]:
    """People in post whom no reminder can reach (no chat with perfbot on either platform),
    by name; only the ``first`` few when given. Plain rows, not people: loading each as a
    Person took 0.2 s for 10,000 out of reach (0.04 s as rows)."""
    rows = session.execute(
        sa.select(
            col(Person.id),
            col(Person.staff_id),
            col(Person.name),
            col(Person.email),
            col(Person.business_unit),
            col(TeamsInstall.outcome),
        )
        .join(TeamsInstall, col(TeamsInstall.person_id) == Person.id, isouter=True)
        .where(*_out_of_reach())
        .order_by(col(Person.name))
        .limit(first)
    ).all()
    return [Unreachable(*row) for row in rows]


def teams_install_due(session: Session, before: datetime) -> list[tuple[int, str]]:
    """People in post, out of reach, that perfbot has not tried to install itself for since
    ``before``: (person id, email), for Microsoft Graph."""
    return [
        (int(pid or 0), email)
        for pid, email in session.exec(
            select(Person.id, Person.email)
            .join(TeamsInstall, col(TeamsInstall.person_id) == Person.id, isouter=True)
            .where(
                *_out_of_reach(),
                Person.email != "",
                sa.or_(
                    col(TeamsInstall.attempted_at).is_(None),
                    col(TeamsInstall.attempted_at) < before,
                ),
            )
            .order_by(col(Person.id))
        ).all()
    ]


def teams_service_url(session: Session, tenant_id: str) -> str | None:
    """The Bot Connector address Teams has used for this tenant (from any stored chat): where a
    chat found through Microsoft Graph is reached."""
    for ref in session.exec(
        select(ChatIdentity.conversation_ref)
        .where(
            col(ChatIdentity.platform) == "teams",
            col(ChatIdentity.workspace_id) == tenant_id,
            col(ChatIdentity.conversation_ref).is_not(None),
        )
        .order_by(col(ChatIdentity.updated_at).desc())
        .limit(20)  # the most recent: the address Teams gave lately
    ).all():
        if isinstance(ref, dict) and ref.get("serviceUrl"):
            return str(ref["serviceUrl"])
    return None
