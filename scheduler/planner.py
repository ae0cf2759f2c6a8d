"""The planner: a function of (store state, now) that writes the nudges now due to the outbox.

The database is the source of truth; this is only the clock's question "what is due now and
not yet done or sent?". Every row has a unique key (recipient, kind, subject, milestone,
step), so a tick that runs twice, late, or on two replicas writes nothing twice. Only the
current step of each ladder is planned, so a tick after downtime catches up without sending
the stale steps it missed. Per-person tasks are planned set-based (one INSERT ... SELECT per
task and nation), which keeps a tick for 100,000 people to seconds.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from scheduler.tasks import (
    DEADLINE_TASKS,
    Kind,
    Recipient,
    Step,
    current_step,
    deadline_ladder,
    task_done,
)
from store.config import DepartmentConfig, Milestone, milestone_dates
from store.framework import Grade, Nation, Stage, performance_year_of, year_end, year_start
from store.models import (
    Award,
    AwardStatus,
    DevelopmentPlan,
    Outbox,
    OutboxStatus,
    Person,
    PlanStatus,
    WriteUp,
)
from store.types import UTCDateTime
from store.worktime import WorkingTime

logger = logging.getLogger(__name__)

PLANNER_LOCK_ID = 0x70657266  # "perf": one planner at a time across replicas (PostgreSQL)
OUTBOX_KEY = ["recipient_id", "kind", "subject_key", "milestone", "year", "step"]
_INSERT_COLUMNS = [
    "recipient_id",
    "kind",
    "subject_key",
    "subject_id",
    "milestone",
    "step",
    "year",
    "due_at",
    "status",
    "attempts",
    "created_at",
]


@dataclass
class PlanReport:
    created: Counter[str] = field(default_factory=Counter)
    skipped_locked: bool = False

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _take_planner_lock(session: Session) -> bool:
    """PostgreSQL: a transaction-scoped advisory lock, so only one replica plans at a time.
    SQLite needs none: the write transaction began IMMEDIATE, so planners queue."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(PLANNER_LOCK_ID))).scalar()
    )


def plan(
    session: Session, *, config: DepartmentConfig, now: datetime, work: WorkingTime | None = None
) -> PlanReport:
    """Write every nudge due at ``now`` (idempotent). Run inside ``Database.write()``."""
    work = work or WorkingTime(config)
    report = PlanReport()
    if not _take_planner_lock(session):
        report.skipped_locked = True
        return report
    today = work.today(now)
    this_year = performance_year_of(today, config.year.start_month)
    first_known = session.execute(sa.select(sa.func.min(Person.created_at))).scalar()
    if first_known is None:
        return report  # no roster yet
    for year in (this_year - 1, this_year):  # last year's end-year tasks run into April
        if year_end(year, config.year.start_month) < work.today(first_known):
            continue  # a year that ended before perfbot knew the department: nothing to chase
        dates = milestone_dates(config, year)
        for task in DEADLINE_TASKS:
            _plan_deadline_task(
                session, report, config, work, now, today, year, task, dates[task.milestone]
            )
        _plan_moderation_readiness(
            session, report, config, work, now, today, year, dates[Milestone.LOCAL_MODERATION]
        )
    dates = milestone_dates(config, this_year)
    _plan_evidence(session, report, config, work, now, today, this_year)
    _plan_consistency_check(
        session, report, config, work, now, today, this_year, dates[Milestone.CONSISTENCY_CHECK]
    )
    _plan_awards(session, report, config, work, now, today)
    _plan_development_plans(session, report, config, work, now, today, this_year)
    if report.total:
        logger.info("planner tick now=%s created=%s", now.isoformat(), dict(report.created))
    return report


# --- per-person tasks, set-based ---------------------------------------------------------------
PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
OUTBOX: sa.Table = Outbox.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=512)
def _insert_statement(
    dialect: str, kind: Kind, milestone: str, recipient: Recipient, evidence_min: int
) -> Any:
    """INSERT ... SELECT for one task and recipient, built once (then only parameters change).

    Subjects: active people below the permanent secretary (separate guidance applies, §6) in
    the given nation, in post by the cutoff and known to perfbot by then (no chasing of
    deadlines that passed before their roster import), whose task is not done.
    """
    s, r = PERSON.alias("s"), PERSON.alias("r")
    recipient_col = {
        Recipient.SELF: s.c.id,
        Recipient.LINE_MANAGER: s.c.line_manager_id,
        Recipient.COUNTERSIGNING: s.c.countersigning_id,
        Recipient.DG: s.c.dg_id,
    }[recipient]
    year = sa.bindparam("year", type_=sa.Integer)
    try:
        task_milestone = Milestone(milestone)
    except ValueError:  # evidence reminders are not tied to a calendar milestone
        task_milestone = Milestone.START_YEAR_MEETING
    done = task_done(kind, task_milestone, year, s.c.id, evidence_min=evidence_min)
    columns: list[Any] = [
        r.c.id,
        sa.literal(kind.value),
        sa.literal("p:") + sa.cast(s.c.id, sa.String),
        s.c.id,
        sa.literal(milestone),
        sa.bindparam("step", type_=sa.String),
        year,
        sa.bindparam("due_at", type_=UTCDateTime()),
        sa.literal(OutboxStatus.PENDING.value),
        sa.literal(0),
        sa.bindparam("now", type_=UTCDateTime()),
    ]
    chosen = (
        sa.select(*columns)
        .select_from(s.join(r, r.c.id == recipient_col))
        .where(
            s.c.left_on.is_(None),
            s.c.grade != Grade.PERMSEC,
            s.c.location == sa.bindparam("nation", type_=PERSON.c.location.type),
            s.c.start_date <= sa.bindparam("cutoff", type_=sa.Date),
            s.c.created_at <= sa.bindparam("known_by", type_=UTCDateTime()),
            r.c.left_on.is_(None),
            ~done,
        )
    )
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(OUTBOX).from_select(_INSERT_COLUMNS, chosen)
    return stmt.on_conflict_do_nothing(index_elements=OUTBOX_KEY)


def _insert_for_subjects(
    session: Session,
    report: PlanReport,
    work: WorkingTime,
    config: DepartmentConfig,
    *,
    kind: Kind,
    milestone: str,
    step: Step,
    recipient: Recipient,
    year: int,
    due_at: datetime,
    now: datetime,
    nation: Nation,
    cutoff: date,
) -> None:
    stmt = _insert_statement(
        session.get_bind().dialect.name,
        kind,
        milestone,
        recipient,
        config.reminders.evidence_thin_below_items,
    )
    params = {
        "year": year,
        "step": step.name,
        "due_at": due_at,
        "now": now,
        "nation": nation,
        "cutoff": cutoff,
        "known_by": work.opening(cutoff),
    }
    # preserve_rowcount: SQLAlchemy reports INSERT row counts only when asked (PostgreSQL).
    result = session.execute(stmt, params, execution_options={"preserve_rowcount": True})
    inserted = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    if inserted:
        report.created[kind.value] += inserted


def _plan_deadline_task(
    session: Session,
    report: PlanReport,
    config: DepartmentConfig,
    work: WorkingTime,
    now: datetime,
    today: date,
    year: int,
    task: Any,
    deadline: date,
) -> None:
    ladder = deadline_ladder(config)
    for nation in Nation:  # reminder days are counted in the subject's own calendar
        found = current_step(ladder, deadline, today, nation, work)
        if found is None:
            continue
        step, day = found
        _insert_for_subjects(
            session,
            report,
            work,
            config,
            kind=task.kind,
            milestone=task.milestone.value,
            step=step,
            recipient=step.to or task.recipient,
            year=year,
            due_at=work.opening(day),
            now=now,
            nation=nation,
            cutoff=deadline,
        )


def _plan_evidence(
    session: Session,
    report: PlanReport,
    config: DepartmentConfig,
    work: WorkingTime,
    now: datetime,
    today: date,
    year: int,
) -> None:
    """F14: a reminder every N working days to people whose portfolio is still thin."""
    cadence = config.reminders.evidence_every_working_days
    first, last = year_start(year, config.year.start_month), year_end(year, config.year.start_month)
    for nation in Nation:
        period, start = 0, first
        while True:
            nxt = work.add_working_days(first, cadence * (period + 1), nation)
            if nxt > min(today, last):
                break
            period, start = period + 1, nxt
        if period == 0:
            continue
        _insert_for_subjects(
            session,
            report,
            work,
            config,
            kind=Kind.EVIDENCE,
            milestone="evidence",
            step=Step(f"period_{period}", 0, None),
            recipient=Recipient.SELF,
            year=year,
            due_at=work.opening(start),
            now=now,
            nation=nation,
            cutoff=start,
        )


# --- small sets, planned row by row ------------------------------------------------------------
def _insert_rows(session: Session, report: PlanReport, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        stmt = (
            _insert(session)(Outbox).values(chunk).on_conflict_do_nothing(index_elements=OUTBOX_KEY)
        )
        result = session.execute(stmt, execution_options={"preserve_rowcount": True})
        inserted = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
        if inserted:
            report.created[chunk[0]["kind"]] += inserted


def _row(
    *,
    recipient: int,
    kind: Kind,
    subject_key: str,
    subject_id: int | None,
    milestone: str,
    step: str,
    year: int,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "recipient_id": recipient,
        "kind": kind.value,
        "subject_key": subject_key,
        "subject_id": subject_id,
        "milestone": milestone,
        "step": step,
        "year": year,
        "due_at": due_at,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "payload": payload,
    }


def _id(person: Person) -> int:
    assert person.id is not None
    return person.id


def _hr_people(session: Session) -> list[Person]:
    return list(
        session.exec(select(Person).where(col(Person.is_hr), col(Person.left_on).is_(None))).all()
    )


def _plan_consistency_check(
    session: Session,
    report: PlanReport,
    config: DepartmentConfig,
    work: WorkingTime,
    now: datetime,
    today: date,
    year: int,
    deadline: date,
) -> None:
    """F21: remind HR before the mid-year consistency check."""
    ladder = deadline_ladder(config, escalate=False)
    rows = []
    for hr in _hr_people(session):
        found = current_step(ladder, deadline, today, hr.location, work)
        if found is not None:
            rows.append(
                _row(
                    recipient=_id(hr),
                    kind=Kind.CONSISTENCY_CHECK,
                    subject_key="dept",
                    subject_id=None,
                    milestone=Milestone.CONSISTENCY_CHECK.value,
                    step=found[0].name,
                    year=year,
                    due_at=work.opening(found[1]),
                    now=now,
                    payload={"deadline": deadline.isoformat()},
                )
            )
    _insert_rows(session, report, rows)


def _plan_moderation_readiness(
    session: Session,
    report: PlanReport,
    config: DepartmentConfig,
    work: WorkingTime,
    now: datetime,
    today: date,
    year: int,
    deadline: date,
) -> None:
    """F19: before local moderation, tell HR how ready each business unit is."""
    ladder = deadline_ladder(config, escalate=False)
    hr_steps = [
        (hr, current_step(ladder, deadline, today, hr.location, work)) for hr in _hr_people(session)
    ]
    hr_steps = [(hr, found) for hr, found in hr_steps if found is not None]
    if not hr_steps:
        return
    totals = dict(
        session.exec(
            select(Person.business_unit, sa.func.count())
            .where(col(Person.left_on).is_(None), col(Person.grade) != Grade.PERMSEC)
            .group_by(Person.business_unit)
        ).all()
    )
    written = dict(
        session.exec(
            select(Person.business_unit, sa.func.count())
            .join(WriteUp, col(WriteUp.person_id) == Person.id)
            .where(
                col(Person.left_on).is_(None),
                WriteUp.year == year,
                WriteUp.stage == Stage.END_YEAR,
                col(WriteUp.manager_assessed_at).is_not(None),
            )
            .group_by(Person.business_unit)
        ).all()
    )
    rows = []
    for hr, found in hr_steps:
        assert found is not None
        for unit, total in sorted(totals.items()):
            rows.append(
                _row(
                    recipient=_id(hr),
                    kind=Kind.MODERATION_READINESS,
                    subject_key=f"unit:{unit}",
                    subject_id=None,
                    milestone=Milestone.LOCAL_MODERATION.value,
                    step=found[0].name,
                    year=year,
                    due_at=work.opening(found[1]),
                    now=now,
                    payload={
                        "unit": unit,
                        "written": written.get(unit, 0),
                        "total": total,
                        "deadline": deadline.isoformat(),
                    },
                )
            )
    _insert_rows(session, report, rows)


def _plan_awards(
    session: Session,
    report: PlanReport,
    config: DepartmentConfig,
    work: WorkingTime,
    now: datetime,
    today: date,
) -> None:
    """F15: each pending nomination to its DG, with ageing reminders; a daily digest."""
    dg = aliased(Person, name="dg")
    nominee = aliased(Person, name="nominee")
    wanted: list[Any] = [Award, dg.id, dg.location, nominee.name]
    pending = session.execute(
        sa.select(*wanted)
        .join(nominee, col(nominee.id) == col(Award.nominee_id))
        .join(dg, col(dg.id) == col(nominee.dg_id))
        .where(col(Award.status) == AwardStatus.PENDING, col(dg.left_on).is_(None))
    ).all()
    reminders = config.reminders
    ladder = (
        Step("new", 0, None),
        Step(
            f"waiting_{reminders.escalate_countersigning_after_working_days}",
            reminders.escalate_countersigning_after_working_days,
            None,
        ),
        Step(
            f"waiting_{reminders.escalate_dg_after_working_days}",
            reminders.escalate_dg_after_working_days,
            None,
        ),
    )
    rows, digest_counts = [], Counter[tuple[int, Nation]]()
    for award, dg_id, dg_location, nominee_name in pending:
        digest_counts[(dg_id, dg_location)] += 1
        nominated = work.today(award.nominated_at)
        found = current_step(ladder, nominated, today, dg_location, work)
        if found is None:
            continue
        step, day = found
        due = award.nominated_at if step.offset == 0 else work.opening(day)
        rows.append(
            _row(
                recipient=dg_id,
                kind=Kind.AWARD_DECISION,
                subject_key=f"p:{award.nominee_id}",
                subject_id=award.nominee_id,
                milestone=f"award:{award.id}",
                step=step.name,
                year=award.year,
                due_at=due,
                now=now,
                payload={
                    "award_id": award.id,
                    "amount_pence": award.amount_pence,
                    "nominee": nominee_name,
                },
            )
        )
    zone_time = config.delivery.digest_time
    for (dg_id, dg_location), count in digest_counts.items():
        if work.is_working_day(today, dg_location):
            due = datetime.combine(today, zone_time, tzinfo=work.zone)
            rows.append(
                _row(
                    recipient=dg_id,
                    kind=Kind.AWARD_DIGEST,
                    subject_key=f"p:{dg_id}",
                    subject_id=dg_id,
                    milestone=f"digest:{today.isoformat()}",
                    step="daily",
                    year=0,
                    due_at=due,
                    now=now,
                    payload={"pending": count},
                )
            )
    _insert_rows(session, report, rows)


def _plan_development_plans(
    session: Session,
    report: PlanReport,
    config: DepartmentConfig,
    work: WorkingTime,
    now: datetime,
    today: date,
    year: int,
) -> None:
    """F10: prompt the line manager for a development plan, remind, then tell the
    countersigning officer."""
    cso_days = config.reminders.escalate_dg_after_working_days
    ladder = (
        Step("prompt", 0, None),
        Step("reminder_5", 5, None),
        Step(f"overdue_{cso_days}", cso_days, Recipient.COUNTERSIGNING),
    )
    subject = aliased(Person, name="subject")
    plans = session.execute(
        sa.select(DevelopmentPlan, subject)
        .join(subject, col(subject.id) == col(DevelopmentPlan.person_id))
        .where(
            col(DevelopmentPlan.status) == PlanStatus.PROMPTED,
            col(subject.left_on).is_(None),
            col(DevelopmentPlan.year).in_([year - 1, year]),
        )
    ).all()
    rows = []
    for plan_row, person in plans:
        found = current_step(ladder, work.today(plan_row.prompted_at), today, person.location, work)
        if found is None:
            continue
        step, day = found
        to = (
            person.countersigning_id
            if step.to is Recipient.COUNTERSIGNING
            else (person.line_manager_id)
        )
        if to is None:
            continue
        due = plan_row.prompted_at if step.offset == 0 else work.opening(day)
        rows.append(
            _row(
                recipient=to,
                kind=Kind.DEVELOPMENT_PLAN,
                subject_key=f"p:{person.id}",
                subject_id=person.id,
                milestone=f"plan:{plan_row.year}",
                step=step.name,
                year=plan_row.year,
                due_at=due,
                now=now,
                payload={"quarter": plan_row.triggered_by_quarter},
            )
        )
    _insert_rows(session, report, rows)
