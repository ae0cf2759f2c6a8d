"""What every nudge kind shares: the kinds, reminder ladders, one planner tick's context, the
outbox inserts, and the words a nudge is built from.

A nudge kind is one module in this package that says three things: how it is planned
(``plan(tick)``), when its task is done (``is_done``, and for per-person kinds the SQL
condition the planner and delivery both use), and how it is worded (``compose``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.config import DepartmentConfig, Milestone, milestone_dates
from store.framework import Grade, Nation, day_words, format_pence, year_end, year_label
from store.models import Outbox, OutboxStatus, Person
from store.notices import OUTBOX, OUTBOX_INSERTS, OUTBOX_KEY, Notice
from store.types import UTCDateTime
from store.worktime import WorkingTime


class Kind(StrEnum):
    OBJECTIVES = "objectives_due"  # job holder and line manager (F11-F12)
    RATING = "rating_due"  # line manager, each quarter (F5)
    SELF_ASSESSMENT = "self_assessment_due"  # job holder, mid- and end-year (F23)
    WRITE_UP = "write_up_due"  # line manager, mid- and end-year (F6-F9, F23)
    EVIDENCE = "evidence_reminder"  # job holder with a thin portfolio (F14)
    AWARD_DECISION = "award_decision"  # DG: a nomination and its ageing reminders (F15)
    AWARD_DIGEST = "award_digest"  # DG: weekly count of pending nominations, in a list
    DEVELOPMENT_PLAN = "development_plan_due"  # line manager after two PM quarters (F10)
    CONSISTENCY_CHECK = "consistency_check_due"  # HR (F21)
    MODERATION_READINESS = "moderation_readiness"  # HR, per business unit (F19)
    WRITE_UP_AGREEMENT = "write_up_agreement"  # job holder; their comment to the manager (F23)
    COUNTERSIGN = "write_up_countersign"  # countersigning officer, once agreed: in the list (F23)
    OUTCOME = "outcome_released"  # job holder and line manager, once HR releases (F26)
    RESPONDENTS = "respondents_to_agree"  # line manager, when 360 respondents are proposed (F24)
    # Closing the loop (store/notices.py): written by the services as the action is stored.
    RATING_RECORDED = Notice.RATING.value  # job holder
    PLAN_RECORDED = Notice.PLAN.value  # job holder (F10)
    AWARD_DECIDED = Notice.AWARD.value  # nominator (F15)
    WRITE_UP_AGREED = Notice.AGREED.value  # line manager (F23)
    REMINDED = Notice.REMINDED.value  # a task's owner, asked by someone told it is overdue
    OBJECTIVES_CHANGED = Notice.OBJECTIVES_CHANGED.value  # line manager: agree them again (F11)
    # Not a new message: an earlier award_decision message edited to say it was decided (F15).
    AWARD_COPY = "award_copy_update"


# News, not a task to put off: these carry no Snooze.
NEWS = frozenset(
    {
        Kind.AWARD_DIGEST,
        Kind.OUTCOME,
        Kind.RATING_RECORDED,
        Kind.PLAN_RECORDED,
        Kind.AWARD_DECIDED,
        Kind.WRITE_UP_AGREED,
        Kind.AWARD_COPY,
    }
)
# Edits of a message already sent: made at any hour (an edit notifies no one).
EDITS = frozenset({Kind.AWARD_COPY})


class Recipient(StrEnum):
    SELF = "self"
    LINE_MANAGER = "line_manager"
    COUNTERSIGNING = "countersigning"
    DG = "dg"


@dataclass(frozen=True)
class Step:
    name: str  # part of the outbox key
    offset: int  # working days from the deadline (negative: before it)
    to: Recipient | None  # None: the task's own recipient


# How long the last step of a ladder stays "current": after that the task is stale and the
# planner stops looking at it (a restart long after a deadline does not dig it up).
STALE_AFTER_WORKING_DAYS = 5
# A reminder before a deadline may come up to this many working days early when it can be a
# line in a list the person gets that day anyway (one message instead of two days' worth).
EARLY_WORKING_DAYS = 2


def deadline_ladder(config: DepartmentConfig, *, escalate: bool = True) -> tuple[Step, ...]:
    """Reminders before the deadline, then escalation after it (configurable)."""
    reminders = config.reminders
    steps = [Step(f"before_{n}", -n, None) for n in reminders.before_deadline_working_days]
    if escalate:
        cso = reminders.escalate_countersigning_after_working_days
        dg = reminders.escalate_dg_after_working_days
        steps += [
            Step(f"overdue_{cso}", cso, Recipient.COUNTERSIGNING),
            Step(f"overdue_{dg}", dg, Recipient.DG),
        ]
    return tuple(steps)


def current_step(
    steps: tuple[Step, ...], anchor: date, today: date, nation: Nation, work: WorkingTime
) -> tuple[Step, date] | None:
    """The latest step whose day has come (and is not stale), with that day.

    Only the current step is ever planned: after downtime the planner sends where the ladder
    is now, not every step it missed.
    """
    reached: tuple[Step, date] | None = None
    for step in steps:
        day = work.add_working_days(anchor, step.offset, nation)
        if day <= today:
            reached = (step, day)
    if reached is None:
        return None
    if reached[0] is steps[-1]:
        stale = work.add_working_days(reached[1], STALE_AFTER_WORKING_DAYS, nation)
        if today > stale:
            return None
    return reached


# --- one planner tick ------------------------------------------------------------------------
@dataclass
class PlanReport:
    created: Counter[str] = field(default_factory=Counter)
    skipped_locked: bool = False

    @property
    def total(self) -> int:
        return sum(self.created.values())


@dataclass
class Tick:
    """Everything a kind's ``plan`` needs about one planner tick."""

    session: Session
    config: DepartmentConfig
    work: WorkingTime
    now: datetime
    first_known: datetime  # when perfbot first knew anyone: nothing before it is chased
    report: PlanReport = field(default_factory=PlanReport)
    # Reminders due in the next few working days that may ride in today's lists: planned
    # after every kind has planned today's rows (``plan_riders``).
    riders: list[tuple[SubjectsTask, Step, int, Nation, date]] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.work.today(self.now)

    @property
    def this_year(self) -> int:
        from store.framework import performance_year_of

        return performance_year_of(self.today, self.config.year.start_month)

    @property
    def open_years(self) -> list[int]:
        """Last year (its end-year tasks run into April) and this one, except a year that
        ended before perfbot knew the department."""
        known = self.work.today(self.first_known)
        return [
            year
            for year in (self.this_year - 1, self.this_year)
            if year_end(year, self.config.year.start_month) >= known
        ]

    def deadline(self, year: int, milestone: Milestone) -> date:
        return milestone_dates(self.config, year)[milestone]

    def hr_people(self) -> list[Person]:
        return list(
            self.session.exec(
                select(Person).where(col(Person.is_hr), col(Person.left_on).is_(None))
            ).all()
        )


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
PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]


# SQL: the task behind a nudge about ``subject`` in ``year`` is done; called as
# ``done(milestone, year, subject, evidence_min=...)``. ``subject`` and ``year`` may be values
# or SQL expressions (a column, a bind parameter).
DoneCondition = Callable[..., ColumnElement[bool]]


def exists(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return sa.exists().where(*where)


def count_of(table: Any, *where: ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    """A scalar subquery counting the rows of ``table`` that match."""
    return sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()


def subject_expression(subject: Any) -> Any:
    return sa.literal(subject) if isinstance(subject, int) else subject


@lru_cache(maxsize=512)
def _insert_statement(
    dialect: str,
    done: DoneCondition,
    kind: Kind,
    milestone: str,
    recipient: Recipient,
    evidence_min: int,
    ride: frozenset[str] = frozenset(),
) -> Any:
    """INSERT ... SELECT for one task and recipient, built once (then only parameters change).

    Subjects: active people below the permanent secretary (separate guidance applies, §6) in
    the given nation, in post by the cutoff and known to perfbot by then (no chasing of
    deadlines that passed before their roster import), whose task is not done. With ``ride``
    (list kinds), only where the recipient has a row of those kinds waiting to go now.
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
            ~done(task_milestone, year, s.c.id, evidence_min=evidence_min),
        )
    )
    if ride:
        chosen = chosen.where(
            sa.exists().where(
                OUTBOX.c.recipient_id == r.c.id,
                OUTBOX.c.kind.in_(sorted(ride)),
                OUTBOX.c.status == OutboxStatus.PENDING,
                OUTBOX.c.due_at >= sa.bindparam("due_at", type_=UTCDateTime()),
                OUTBOX.c.due_at <= sa.bindparam("now", type_=UTCDateTime()),
            )
        )
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(OUTBOX).from_select(_INSERT_COLUMNS, chosen)
    return stmt.on_conflict_do_nothing(index_elements=OUTBOX_KEY)


@dataclass(frozen=True)
class SubjectsTask:
    """A task every subject has (set-based: one INSERT ... SELECT per step and nation)."""

    kind: Kind
    milestone: str
    recipient: Recipient
    done: DoneCondition


def insert_for_subjects(
    tick: Tick,
    task: SubjectsTask,
    *,
    step: Step,
    year: int,
    due_at: datetime,
    nation: Nation,
    cutoff: date,
    ride: frozenset[str] = frozenset(),
) -> None:
    session = tick.session
    stmt = _insert_statement(
        session.get_bind().dialect.name,
        task.done,
        task.kind,
        task.milestone,
        step.to or task.recipient,
        tick.config.reminders.evidence_thin_below_items,
        ride,
    )
    params = {
        "year": year,
        "step": step.name,
        "due_at": due_at,
        "now": tick.now,
        "nation": nation,
        "cutoff": cutoff,
        "known_by": tick.work.opening(cutoff),
    }
    # preserve_rowcount: SQLAlchemy reports INSERT row counts only when asked (PostgreSQL).
    result = session.execute(stmt, params, execution_options={"preserve_rowcount": True})
    inserted = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    if inserted:
        tick.report.created[task.kind.value] += inserted


def plan_deadline(tick: Tick, task: SubjectsTask) -> None:
    """A task with a calendar deadline: the current step of its ladder, for every open year,
    counted in each subject's own nation's working days; and the owner's next reminder, if it
    is only a day or two away, as a rider for today's lists (``plan_riders``)."""
    ladder = deadline_ladder(tick.config)
    milestone = Milestone(task.milestone)
    work, today = tick.work, tick.today
    for year in tick.open_years:
        calendar = tick.deadline(year, milestone)
        for nation in Nation:
            deadline = work.on_or_before(calendar, nation)  # never a weekend or holiday
            ahead = next(
                (s for s in ladder if work.add_working_days(deadline, s.offset, nation) > today),
                None,
            )
            if ahead is not None and ahead.to is None:
                day = work.add_working_days(deadline, ahead.offset, nation)
                if work.working_days_between(today, day, nation) <= EARLY_WORKING_DAYS:
                    tick.riders.append((task, ahead, year, nation, deadline))
            found = current_step(ladder, deadline, today, nation, work)
            if found is None:
                continue
            step, day = found
            insert_for_subjects(
                tick,
                task,
                step=step,
                year=year,
                due_at=work.opening(day),
                nation=nation,
                cutoff=deadline,
            )


def plan_riders(tick: Tick, listed: frozenset[str]) -> None:
    """Reminders a day or two ahead, as lines in lists going to their recipients now (run
    after every kind has planned today's rows). On its own day the reminder is then planned
    again and, its row being there, not sent twice."""
    for task, step, year, nation, deadline in tick.riders:
        insert_for_subjects(
            tick,
            task,
            step=step,
            year=year,
            due_at=tick.work.opening(tick.today),
            nation=nation,
            cutoff=deadline,
            ride=listed,
        )


def plan_deadlines(*tasks: SubjectsTask) -> Callable[[Tick], None]:
    """The ``plan`` of a kind whose tasks all have calendar deadlines."""

    def plan(tick: Tick) -> None:
        for task in tasks:
            plan_deadline(tick, task)

    return plan


def insert_rows(tick: Tick, rows: list[dict[str, Any]]) -> None:
    """Small sets, planned row by row (idempotent on the outbox key); the report counts what
    was really inserted."""
    if not rows:
        return
    # One statement for every call (executemany), so it is compiled once, not per row count.
    session = tick.session
    stmt = OUTBOX_INSERTS[session.get_bind().dialect.name]
    result = session.execute(stmt, rows, execution_options={"preserve_rowcount": True})
    inserted = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    if inserted:
        tick.report.created[rows[0]["kind"]] += inserted


def outbox_row(
    tick: Tick,
    *,
    recipient: int,
    kind: Kind,
    subject_key: str,
    subject_id: int | None,
    milestone: str,
    step: str,
    year: int,
    due_at: datetime,
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
        "created_at": tick.now,
        "payload": payload,
    }


def person_id(person: Person) -> int:
    assert person.id is not None
    return person.id


# --- what a nudge says -----------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    action_id: str  # e.g. "rate", "award_approve", "snooze"
    label: str
    value: str
    confirm: str | None = None  # a question the platform asks before pressing it


@dataclass(frozen=True)
class Nudge:
    outbox_id: int
    kind: str
    title: str
    text: str
    facts: tuple[tuple[str, str], ...] = ()
    actions: tuple[Action, ...] = field(default_factory=tuple)
    items: tuple[tuple[str, Action | None], ...] = ()  # a to-do list: lines, each its button
    outbox_ids: tuple[int, ...] = ()  # a digest: every row it stands for (else just outbox_id)


@dataclass(frozen=True)
class NudgeContext:
    """What compose() needs about one outbox row (read in the claim transaction)."""

    outbox_id: int
    kind: str
    step: str
    milestone: str
    year: int  # 0: not tied to a performance year
    subject_id: int | None
    subject_name: str | None
    payload: dict[str, Any] | None
    to_subject: bool = False  # the nudge goes to the person it is about
    nation: Nation | None = None  # whose working days its deadline is counted in (the subject's)
    relation: str | None = None  # the reader to the subject: self, line_manager, countersigning...


REMIND = "remind_owner"  # an escalation's button: ask the task's owner, politely, once
RELATION_WORDS = {
    "line_manager": "their line manager",
    "countersigning": "their countersigning officer",
    "dg": "the Director General for their area",
}


def relation(reader: Person, subject: Person | None) -> str | None:
    """How the reader of a nudge stands to the person it is about."""
    if subject is None:
        return None
    for name, holder in (
        ("self", subject.id),
        ("line_manager", subject.line_manager_id),
        ("countersigning", subject.countersigning_id),
        ("dg", subject.dg_id),
    ):
        if holder == reader.id:
            return name
    return "other"


MILESTONE_WORDS = {
    Milestone.OBJECTIVES_AGREED.value: "objectives agreed",
    Milestone.Q1_CONVERSATION.value: "the Q1 conversation",
    Milestone.Q2_CONVERSATION.value: "the Q2 (mid-year) conversation",
    Milestone.Q3_CONVERSATION.value: "the Q3 conversation",
    Milestone.Q4_CONVERSATION.value: "the Q4 (end-year) conversation",
    Milestone.MID_YEAR_WRITE_UP.value: "the mid-year write-up",
    Milestone.END_YEAR_WRITE_UP.value: "the end-year write-up",
}


@dataclass(frozen=True)
class Words:
    """The parts most nudges are worded from: who it is about, the deadline, the facts."""

    config: DepartmentConfig
    ctx: NudgeContext

    @property
    def who(self) -> str:
        return self.ctx.subject_name or "your report"

    @property
    def subject(self) -> str:
        return str(self.ctx.subject_id or "")

    @property
    def payload(self) -> dict[str, Any]:
        return self.ctx.payload or {}

    @property
    def escalation(self) -> bool:
        return self.ctx.step.startswith("overdue_")

    @property
    def deadline(self) -> date | None:
        if "deadline" in self.payload:
            return date.fromisoformat(self.payload["deadline"])
        try:
            milestone = Milestone(self.ctx.milestone)
        except ValueError:
            return None
        if not self.ctx.year:
            return None
        day = milestone_dates(self.config, self.ctx.year)[milestone]
        return WorkingTime(self.config).on_or_before(day, self.ctx.nation or Nation.ENGLAND)

    @property
    def stage(self) -> str:
        """Mid-year or end-year, for write-up nudges."""
        return "mid-year" if self.ctx.milestone == Milestone.MID_YEAR_WRITE_UP.value else "end-year"

    def when(self) -> str:
        deadline = self.deadline
        if self.escalation:
            return (
                f"was due {day_words(deadline, weekday=False)} and is overdue"
                if deadline
                else "is overdue"
            )
        return f"is due by {day_words(deadline)}" if deadline else "is due soon"

    def snooze(self) -> Action:
        return Action("snooze", "Snooze 2 working days", f"{self.ctx.outbox_id}:2")

    def escalate(self, owner: str, action: Action) -> tuple[str, tuple[Action, ...]]:
        """Why this reader is told of an overdue task, and their buttons: the owner's own
        action when the reader owns the task; else Remind them, which asks the owner - never
        the reader's own form."""
        relation = self.ctx.relation
        if not self.escalation or relation == owner:
            return "", (action, self.snooze())
        role = RELATION_WORDS.get(relation or "", "someone who oversees this work")
        return f" You are told as {role}.", (
            Action(REMIND, "Remind them", str(self.ctx.outbox_id)),
            self.snooze(),
        )

    def workbook(self) -> Action:
        return Action("get_workbook", "Get the workbook", str(self.ctx.year or ""))  # HR only

    def facts(self) -> list[tuple[str, str]]:
        facts: list[tuple[str, str]] = []
        if self.ctx.year:
            facts.append(
                ("Performance year", year_label(self.ctx.year, self.config.year.start_month))
            )
        if self.deadline is not None:
            facts.append(
                ("Deadline", f"{day_words(self.deadline, weekday=False)} {self.deadline.year}")
            )
        return facts

    def nudge(
        self,
        title: str,
        text: str,
        actions: tuple[Action, ...],
        facts: list[tuple[str, str]] | None = None,
    ) -> Nudge:
        return Nudge(
            self.ctx.outbox_id,
            self.ctx.kind,
            title,
            text,
            tuple(self.facts() if facts is None else facts),
            actions,
        )


def money(pence: int) -> str:
    return format_pence(pence)


@dataclass(frozen=True)
class NudgeKind:
    """One kind of nudge: how it is planned, when its task is done, how it is worded."""

    kind: Kind
    plan: Callable[[Tick], None]
    is_done: Callable[[Session, Outbox, DepartmentConfig], bool]
    compose: Callable[[Words], Nudge]


def never_done(_session: Session, _row: Outbox, _config: DepartmentConfig) -> bool:
    """A nudge with no task to finish (HR's check reminders): sent as planned."""
    return False


def person_task_done(done: DoneCondition) -> Callable[[Session, Outbox, DepartmentConfig], bool]:
    """Delivery's question for a per-person task, asked with the planner's own condition."""

    def is_done(session: Session, row: Outbox, config: DepartmentConfig) -> bool:
        if row.subject_id is None or not row.year:
            return False
        try:
            milestone = Milestone(row.milestone)
        except ValueError:  # evidence nudges are not tied to a calendar milestone
            milestone = Milestone.START_YEAR_MEETING
        condition = done(
            milestone,
            row.year,
            row.subject_id,
            evidence_min=config.reminders.evidence_thin_below_items,
        )
        return bool(session.execute(sa.select(condition)).scalar())

    return is_done
