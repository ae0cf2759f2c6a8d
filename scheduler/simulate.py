"""A year in a minute: planner and delivery over a whole performance year on a virtual clock.

People answer some nudges (through the same services the bot calls) and ignore others, so
the summary shows reminders, escalations and completions month by month. It runs on its own
throwaway database, never on real data.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from scheduler.delivery import Deliverer
from scheduler.nudges import Kind, told
from scheduler.nudges.base import EDITS
from scheduler.nudges.digest import KIND as DIGEST
from scheduler.nudges.digest import LISTED
from scheduler.planner import OUTBOX_KEY, plan
from scheduler.recording import RecordingMessenger
from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import PerfbotError
from store.framework import (
    REQUIRED_HEADINGS,
    MinimumStandard,
    Rating,
    Stage,
    year_end,
    year_start,
)
from store.models import ChatIdentity, Outbox, Person, Via
from store.worktime import WorkingTime

Call = tuple[Callable[..., Any], dict[str, Any]]
RATINGS = (
    [Rating.EXCEEDING] * 8
    + [Rating.HIGH_PERFORMING] * 22
    + [Rating.ACHIEVING] * 64
    + [Rating.PARTIALLY_MET] * 6
)


# What each kind of message is, in words (the summary's table names them so).
KIND_NAMES = {
    DIGEST: "day's to-do list",
    Kind.OBJECTIVES: "objectives reminder",
    Kind.RATING: "quarterly rating reminder",
    Kind.SELF_ASSESSMENT: "self-assessment reminder",
    Kind.WRITE_UP: "write-up reminder",
    Kind.EVIDENCE: "evidence prompt",
    Kind.AWARD_DECISION: "award to decide",
    Kind.AWARD_DIGEST: "awards waiting",
    Kind.DEVELOPMENT_PLAN: "development plan reminder",
    Kind.CONSISTENCY_CHECK: "consistency check reminder",
    Kind.MODERATION_READINESS: "moderation readiness table",
    Kind.WRITE_UP_AGREEMENT: "write-up to agree",
    Kind.COUNTERSIGN: "write-up to countersign",
    Kind.OUTCOME: "final rating released",
    Kind.RESPONDENTS: "360 respondents to agree",
    Kind.RATING_RECORDED: "rating recorded",
    Kind.PLAN_RECORDED: "development plan recorded",
    Kind.AWARD_DECIDED: "award decided",
    Kind.WRITE_UP_AGREED: "write-up agreed",
    Kind.REMINDED: "reminder someone asked for",
    Kind.OBJECTIVES_CHANGED: "objectives changed",
    Kind.AWARD_COPY: "award message updated",
}
assert set(Kind) <= set(KIND_NAMES), "every kind of message has a name in words"
# Messages that tell someone of another's action (closing the loop), not scheduled ones: the
# news the services write as the action is stored, and the manager's write-up for the job
# holder to agree.
LOOP = frozenset({told_kind.kind for told_kind in told.KINDS} | {Kind.WRITE_UP_AGREEMENT})


def is_loop(kind: str, step: str) -> bool:
    """A message sent because someone acted: a nomination reaching its decider is one."""
    return kind in LOOP or (kind == Kind.AWARD_DECISION and step == "new")


@dataclass
class Month:
    nudges: Counter[str] = field(default_factory=Counter)
    escalations: int = 0
    completions: Counter[str] = field(default_factory=Counter)
    loop: int = 0  # messages telling someone of another's action


@dataclass
class SimulationResult:
    months: dict[str, Month]
    sent: int  # messages (a day's list is one)
    duplicates: int
    outside_hours: int
    reminders: int = 0  # outbox rows those messages carried
    per_person_year: list[int] = field(default_factory=list)  # messages each person got
    per_person_day: list[int] = field(default_factory=list)  # messages a person got on a day
    # ... of which scheduled reminders and escalations (decisions and loop messages aside)
    scheduled_per_person_day: list[int] = field(default_factory=list)
    # The same spreads for each role (a person counts in their most senior one).
    by_role: dict[str, dict[str, object]] = field(default_factory=dict)

    def figures(self) -> dict[str, object]:
        """The machine-readable summary (perfbot simulate --json)."""
        return {
            "messages": self.sent,
            "loop_messages": sum(m.loop for m in self.months.values()),
            "messages_by_kind": dict(
                sum((m.nudges for m in self.months.values()), Counter()).most_common()
            ),
            "completions": sum(sum(m.completions.values()) for m in self.months.values()),
            "reminders_carried": self.reminders,
            "duplicates": self.duplicates,
            "outside_working_hours": self.outside_hours,
            "messages_per_person_per_year": _spread(self.per_person_year),
            "messages_per_person_per_working_day": _spread(self.per_person_day),
            "scheduled_messages_per_person_per_working_day": _spread(self.scheduled_per_person_day),
            "by_role": self.by_role,
            "months": {
                month: {
                    "messages": sum(row.nudges.values()),
                    "loop_messages": row.loop,
                    "escalations": row.escalations,
                    "completions": sum(row.completions.values()),
                }
                for month, row in sorted(self.months.items())
            },
        }


def _spread(values: list[int]) -> dict[str, int]:
    ordered = sorted(values) or [0]

    def at(share: float) -> int:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {"p50": at(0.5), "p95": at(0.95), "max": ordered[-1]}


class _Simulation:
    def __init__(
        self, db: Database, config: DepartmentConfig, start_year: int, seed: int, diligence: float
    ) -> None:
        self.db, self.config, self.start_year = db, config, start_year
        self.rng = random.Random(seed)
        self.work = WorkingTime(config)
        self.clock = _Clock(datetime.combine(year_start(start_year), time(6), tzinfo=UTC))
        self.channel = RecordingMessenger()
        self.deliverer = Deliverer(
            db, _unthrottled(config), {"slack": self.channel}, clock=self.clock, rng=self.rng
        )
        with db.read() as session:
            people = session.exec(select(Person)).all()
        self.people = {p.id: p for p in people}
        self.diligent = {pid: self.rng.random() < diligence for pid in self.people}
        self.months: dict[str, Month] = defaultdict(Month)
        self.actions: list[tuple[datetime, int, Callable[[], str | None]]] = []
        self._seq = 0
        self.seen = 0
        self.daily: Counter[tuple[int, date]] = Counter()  # messages per person per day
        self.scheduled: Counter[tuple[int, date]] = Counter()  # ... scheduled reminders

    def month(self) -> Month:
        return self.months[f"{self.work.today(self.clock.now()):%Y-%m}"]

    def later(self, days: int, action: Callable[[], str | None]) -> None:
        when = self.clock.now() + timedelta(days=days, hours=self.rng.randint(0, 5))
        self._seq += 1
        heapq.heappush(self.actions, (when, self._seq, action))

    def run_actions(self) -> None:
        while self.actions and self.actions[0][0] <= self.clock.now():
            _when, _seq, action = heapq.heappop(self.actions)
            try:
                done = action()
            except PerfbotError:
                done = None  # e.g. already done by someone else: a real user would see why
            if done:
                self.month().completions[done] += 1

    def write(self, fn: Callable[..., Any], **kwargs: Any) -> None:
        with self.db.write() as session:
            fn(session, now=self.clock.now(), **kwargs)

    def respond(self, recipient: int, row: Outbox) -> None:
        """Some people act on a nudge a day or two later; some never do."""
        if not self.diligent.get(recipient) or self.rng.random() < 0.25:
            return
        actor = svc.Actor(recipient, Via.SLACK)
        base = {"config": self.config, "actor": actor}
        subject, kind = row.subject_id, Kind(row.kind)
        manages = bool(subject) and self.people[subject].line_manager_id == recipient
        stage = Stage.MID_YEAR if "mid" in row.milestone else Stage.END_YEAR
        calls: list[Call] = []
        label = kind.value  # what the summary counts it as
        if kind is Kind.RATING and manages:
            calls = [
                (
                    svc.record_indicative_rating,
                    base
                    | {
                        "subject_id": subject,
                        "quarter": int(row.milestone[1]),
                        "year": row.year,
                        "rating": self.rng.choice(RATINGS),
                        "what_note": "Delivered",
                        "how_note": "Led well",
                    },
                )
            ]
        elif kind is Kind.OBJECTIVES and subject == recipient:
            calls = [
                (
                    svc.set_objective,
                    base
                    | {
                        "subject_id": subject,
                        "heading": heading,
                        "what": "Deliver the plan",
                        "how": "Through the team",
                        "year": row.year,
                    },
                )
                for heading in REQUIRED_HEADINGS
            ]
        elif kind is Kind.OBJECTIVES and manages:  # agreed once they are all there
            calls = [(svc.agree_objectives, base | {"subject_id": subject, "year": row.year})]
            label = "objectives_agreed"
        elif kind is Kind.SELF_ASSESSMENT and subject == recipient:
            calls = [
                (
                    svc.record_self_assessment,
                    base
                    | {"subject_id": subject, "stage": stage, "year": row.year, "text": "My year"},
                )
            ]
        elif kind is Kind.WRITE_UP and manages:
            calls = self._write_up(base, subject, stage, row.year)  # type: ignore[arg-type]
        elif kind is Kind.COUNTERSIGN or (
            kind is Kind.WRITE_UP_AGREEMENT and not row.step.startswith("commented")
        ):
            # F23: the job holder agrees what their manager wrote, then the countersigning
            # officer countersigns it (a comment instead is not modelled).
            calls = [
                (
                    svc.agree_write_up,
                    base | {"subject_id": subject, "stage": stage, "year": row.year},
                )
            ]
            label = "write_up_agreed" if subject == recipient else "write_up_countersigned"
        elif kind is Kind.EVIDENCE and subject == recipient:
            calls = [
                (
                    svc.add_evidence,
                    base
                    | {
                        "subject_id": subject,
                        "text": "Chaired the review",
                        "standard": standard,
                        "year": row.year,
                    },
                )
                for standard in list(MinimumStandard)[
                    : self.config.reminders.evidence_thin_below_items
                ]
            ]
        elif kind is Kind.AWARD_DECISION:
            calls = [
                (
                    svc.decide_award,
                    base
                    | {
                        "award_id": int(row.milestone.split(":")[1]),
                        "approve": self.rng.random() < 0.8,
                        "reason": "Panel view",
                    },
                )
            ]
        if calls:
            self.later(self.rng.randint(0, 3), partial(self._act, label, calls))

    def _act(self, label: str, calls: list[Call]) -> str:
        for fn, kwargs in calls:
            self.write(fn, **kwargs)
        return label

    def _write_up(
        self, base: dict[str, Any], subject: int, stage: Stage, year: int | None
    ) -> list[Call]:
        end = stage is Stage.END_YEAR
        calls: list[Call] = [
            (
                svc.record_manager_assessment,
                base
                | {
                    "subject_id": subject,
                    "stage": stage,
                    "what": "Delivered",
                    "how": "Well",
                    "year": year,
                    "recommended_rating": self.rng.choice(RATINGS) if end else None,
                    "feedback_360": None,  # F24: follows from the agreed respondents
                    "bias_acknowledged": end,
                },
            )
        ]
        if end:
            calls += [
                (
                    svc.record_minimum_standards,
                    base
                    | {
                        "subject_id": subject,
                        "results": dict.fromkeys(MinimumStandard, True),
                        "year": year,
                    },
                ),
                (
                    svc.record_finance_outcome,
                    base | {"subject_id": subject, "met": self.rng.random() < 0.9, "year": year},
                ),
            ]
        return calls

    def nominate_some(self) -> None:
        """Now and then a line manager nominates someone for an in-year award."""
        if self.rng.random() > 0.08:
            return
        candidates = [p for p in self.people.values() if p.line_manager_id and p.dg_id]
        nominee = self.rng.choice(candidates)
        try:
            self.write(
                svc.nominate_award,
                config=self.config,
                actor=svc.Actor(nominee.line_manager_id, Via.SLACK),
                nominee_id=nominee.id,
                amount_pence=self.rng.choice([50_000, 100_000, 250_000]),
                reason="Real-time recognition",
                year=self.start_year,
            )
            self.month().completions["nomination"] += 1
        except PerfbotError:
            pass

    async def tick(self) -> None:
        with self.db.write() as session:
            plan(session, config=self.config, now=self.clock.now(), work=self.work)
        await self.deliverer.run_until_idle()
        new = self.channel.sent[self.seen :]
        self.seen = len(self.channel.sent)
        if not new:
            return
        carried = [i for _a, n in new for i in (n.outbox_ids or (n.outbox_id,))]
        with self.db.read() as session:
            rows = {
                r.id: r
                for r in session.exec(select(Outbox).where(col(Outbox.id).in_(carried))).all()
            }
        day = self.work.today(self.clock.now())
        for _address, nudge in new:
            month = self.month()
            month.nudges[nudge.kind] += 1  # one message, a day's list or not
            first = rows[nudge.outbox_id]
            month.loop += is_loop(nudge.kind, first.step)
            self.daily[(first.recipient_id, day)] += 1
            if nudge.kind == DIGEST or nudge.kind in LISTED:
                self.scheduled[(first.recipient_id, day)] += 1
            for outbox_id in nudge.outbox_ids or (nudge.outbox_id,):
                row = rows[outbox_id]
                if row.step.startswith("overdue_"):
                    month.escalations += 1
                self.respond(row.recipient_id, row)

    async def run(self) -> None:
        last = datetime.combine(
            year_end(self.start_year) + timedelta(days=45), time(18), tzinfo=UTC
        )
        while self.clock.now() < last:
            for hour in (9, 14):  # mid-morning and mid-afternoon, London
                local = datetime.combine(
                    self.work.today(self.clock.now()), time(hour, 30), tzinfo=self.work.zone
                )
                self.clock.set(local.astimezone(UTC))
                self.run_actions()
                if hour == 9:
                    self.nominate_some()
                await self.tick()
            self.clock.set(self.clock.now() + timedelta(days=1))


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def set(self, now: datetime) -> None:
        self.current = now


def _unthrottled(config: DepartmentConfig) -> DepartmentConfig:
    """The recording channel has no platform limits; don't wait for any."""
    fast = config.delivery.model_copy(
        update={
            "per_conversation_per_second": 1e6,
            "per_workspace_per_second": 1e6,
            "workspace_burst": 1000,
        }
    )
    return config.model_copy(update={"delivery": fast})


def simulate_year(
    db: Database,
    config: DepartmentConfig,
    *,
    start_year: int,
    seed: int = 1,
    diligence: float = 0.7,
) -> SimulationResult:
    """Run the year; ``db`` should hold a roster (e.g. the demo) and nothing you care about."""
    with db.write() as session:
        for person_id in session.exec(select(Person.id)).all():
            assert person_id is not None
            svc.link_chat_identity(
                session,
                person_id=person_id,
                platform="slack",
                external_id=f"SIM{person_id}",
                workspace_id="TSIM",
                now=datetime.combine(year_start(start_year), time(6), tzinfo=UTC),
            )
    sim = _Simulation(db, config, start_year, seed, diligence)
    asyncio.run(sim.run())
    times = [n for _a, n in sim.channel.sent]
    with db.read() as session:
        sent_rows = [  # messages: not the edits of earlier ones (made at any hour)
            r
            for r in session.exec(select(Outbox).where(Outbox.status == "sent")).all()
            if r.kind not in EDITS
        ]
        keys = Counter(tuple(getattr(r, column) for column in OUTBOX_KEY) for r in sent_rows)
        outside = sum(
            1
            for r in sent_rows
            if r.sent_at is None
            or not sim.work.in_working_hours(r.sent_at, sim.people[r.recipient_id].location)
        )
    yearly: Counter[int] = Counter()
    for (person_id, _day), count in sim.daily.items():
        yearly[person_id] += count
    managers = {p.line_manager_id for p in sim.people.values()}
    role = {pid or 0: _role(p, pid in managers) for pid, p in sim.people.items()}
    by_role: dict[str, dict[str, object]] = {}
    for name in ("director_general", "hr", "line_manager", "job_holder"):
        people = [pid for pid, r in role.items() if r == name]
        days = [n for (pid, _day), n in sim.daily.items() if role.get(pid) == name]
        by_role[name] = {
            "people": len(people),
            "messages_per_person_per_year": _spread([yearly.get(pid, 0) for pid in people]),
            "messages_per_person_per_working_day": _spread(days),
        }
    return SimulationResult(
        months=dict(sim.months),
        sent=len(times),
        duplicates=sum(c - 1 for c in keys.values() if c > 1),
        outside_hours=outside,
        reminders=len(sent_rows),
        per_person_year=[yearly.get(pid or 0, 0) for pid in sim.people],
        per_person_day=list(sim.daily.values()),
        scheduled_per_person_day=list(sim.scheduled.values()),
        by_role=by_role,
    )


def forget_simulated_chat(db: Database) -> None:
    """A kept simulation: drop the made-up chat identities it delivered to, so a server on it
    never sends to them (its people then count as not reachable, as the demo's are)."""
    with db.write() as session:
        session.execute(
            sa.delete(ChatIdentity).where(col(ChatIdentity.external_id).startswith("SIM"))
        )


def _role(person: Person, manages: bool) -> str:
    if person.is_dg:
        return "director_general"
    if person.is_hr:
        return "hr"
    return "line_manager" if manages else "job_holder"


def months_between(first: date, last: date) -> list[str]:
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return out
