"""The demo department's record: last year complete (moderated and released) and this year up
to today, so a first look at perfbot shows homes, nudges and a workbook with real content.

Every entry is made through the same services the chat forms call, on the day it would have
been made, by the person who would have made it - so every rule holds (the gates, the award
caps, who may do what) and the audit log reads as a year would. Nothing here is random
beyond a seeded choice: the same day gives the same demo.

Messages the services queue along the way (a job holder told their rating, say) are history,
not news: they are cancelled at the end, so a server started on the demo does not send a
year of old notices. What is due today is left to the planner, as for any department.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from store import framework as fw
from store import services as svc
from store.config import DepartmentConfig, Milestone, milestone_dates
from store.demo import DEMO_DOMAIN
from store.errors import PerfbotError
from store.framework import Grade, MinimumStandard, ObjectiveHeading, Rating, Stage
from store.models import Outbox, OutboxStatus, Person, Via
from store.worktime import WorkingTime

HEADINGS = (
    ObjectiveHeading.BUSINESS_DELIVERY,
    ObjectiveHeading.FINANCE,
    ObjectiveHeading.PEOPLE,
    ObjectiveHeading.CORPORATE,
)
# Roughly the shape the framework expects (F20): a few at the top, most Achieving.
BOXES = (
    [Rating.EXCEEDING] * 2
    + [Rating.HIGH_PERFORMING] * 4
    + [Rating.ACHIEVING] * 12
    + [Rating.PARTIALLY_MET] * 2
)
OBJECTIVES = {
    ObjectiveHeading.BUSINESS_DELIVERY: ("Deliver the {unit} plan on time", "Milestones met"),
    ObjectiveHeading.FINANCE: ("Keep {unit} within its budget", "Spend within 1% of budget"),
    ObjectiveHeading.PEOPLE: ("Grow the team's skills", "Every member has a development plan"),
    ObjectiveHeading.CORPORATE: ("Lead one cross-department change", "Change agreed by the board"),
}
EVIDENCE = (
    "Chaired the quarterly review and agreed the next steps",
    "Led the team through the spending round",
    "Mentored two colleagues new to the SCS",
    "Presented the programme's options to ministers",
    "Ran the lessons-learned session after the incident",
    "Set up the joint working group with another department",
)
NOTES = {
    Rating.EXCEEDING: ("Delivered well beyond the plan", "Inspired the wider team"),
    Rating.HIGH_PERFORMING: ("Delivered ahead of plan", "Brought other teams along"),
    Rating.ACHIEVING: ("Delivered what was agreed", "Worked well with others"),
    Rating.PARTIALLY_MET: ("Key milestones slipped", "Needs to involve the team earlier"),
}


@dataclass
class DemoYears:
    """What the demo's record holds, for the command line to say."""

    ratings: int = 0
    write_ups: int = 0
    awards: int = 0
    moderated: int = 0
    plans: int = 0
    years: list[int] = field(default_factory=list)


class _Record:
    def __init__(self, session: Session, config: DepartmentConfig, now: datetime, seed: int):
        self.session, self.config, self.now = session, config, now
        self.rng = random.Random(seed)
        self.work = WorkingTime(config)
        self.made = DemoYears()
        people = session.exec(
            select(Person).where(col(Person.email).endswith("@" + DEMO_DOMAIN))
        ).all()
        self.people = sorted(people, key=lambda p: p.id or 0)
        self.staff = [p for p in self.people if p.line_manager_id and p.grade is not Grade.PERMSEC]
        self.hr = next(p for p in self.people if p.is_hr)

    # --- helpers -----------------------------------------------------------------------------
    def moment(self, day: date, hour: int = 10) -> datetime | None:
        """10:00 on the working day on or before ``day``, in UTC; None if still to come."""
        day = self.work.on_or_before(day, fw.Nation.ENGLAND)
        at = datetime.combine(day, time(hour), tzinfo=self.work.zone).astimezone(UTC)
        return at if at <= self.now else None

    def act(
        self, fn: Callable[..., object], actor_id: int | None, when: datetime | None, **kwargs: Any
    ) -> bool:
        """One entry through a service, as ``actor_id`` on ``when``; False if not yet due."""
        if when is None or actor_id is None:
            return False
        fn(
            self.session,
            config=self.config,
            actor=svc.Actor(actor_id, Via.SLACK),
            now=when,
            **kwargs,
        )
        return True

    def late(self, share: float) -> bool:
        return self.rng.random() < share

    # --- a year ------------------------------------------------------------------------------
    def year(self, year: int, *, struggling: Person | None) -> None:
        dates = milestone_dates(self.config, year)
        ratings = {p.id: self.rng.choice(BOXES) for p in self.staff}
        if struggling is not None:
            ratings[struggling.id] = Rating.PARTIALLY_MET
        self.made.years.append(year)
        for person in self.staff:
            self.objectives(person, year, dates)
            self.evidence(person, year)
        for quarter, milestone in enumerate(
            (
                Milestone.Q1_CONVERSATION,
                Milestone.Q2_CONVERSATION,
                Milestone.Q3_CONVERSATION,
                Milestone.Q4_CONVERSATION,
            ),
            start=1,
        ):
            for person in self.staff:
                box = ratings[person.id]
                self.quarter(person, year, quarter, dates[milestone], box, struggling)
        for person in self.staff:
            self.write_up(person, year, Stage.MID_YEAR, dates[Milestone.MID_YEAR_WRITE_UP], None)
            self.write_up(
                person, year, Stage.END_YEAR, dates[Milestone.END_YEAR_WRITE_UP], ratings[person.id]
            )
        self.awards(year, dates)
        self.moderate(year, dates)

    def objectives(self, person: Person, year: int, dates: dict[Milestone, date]) -> None:
        set_on = self.moment(dates[Milestone.START_YEAR_MEETING] - timedelta(days=7))
        if self.late(0.1):
            return  # one in ten have not written theirs: the home and the nudges say so
        for heading in HEADINGS:
            what, measure = OBJECTIVES[heading]
            self.act(
                svc.set_objective, person.id, set_on, subject_id=person.id, heading=heading,
                what=what.format(unit=person.business_unit), how="With the team and partners",
                measure=measure, year=year,
            )  # fmt: skip
        agreed_on = self.moment(dates[Milestone.OBJECTIVES_AGREED] - timedelta(days=5))
        if not self.late(0.1):
            self.act(
                svc.agree_objectives, person.line_manager_id, agreed_on, subject_id=person.id,
                year=year,
            )  # fmt: skip

    def evidence(self, person: Person, year: int) -> None:
        start = fw.year_start(year, self.config.year.start_month)
        for item in self.rng.sample(EVIDENCE, self.rng.randint(1, 4)):
            when = self.moment(start + timedelta(days=self.rng.randint(20, 340)), hour=15)
            self.act(
                svc.add_evidence, person.id, when, subject_id=person.id, text=item,
                standard=self.rng.choice(list(MinimumStandard)), year=year,
            )  # fmt: skip

    def quarter(
        self,
        person: Person,
        year: int,
        quarter: int,
        due: date,
        box: Rating,
        struggling: Person | None,
    ) -> None:
        when = self.moment(due - timedelta(days=self.rng.randint(2, 12)))
        recent = when is not None and self.now - when < timedelta(days=60)
        if when is None or (recent and person is not struggling and self.late(0.15)):
            return  # the latest quarter: a few managers are late
        rating = box
        if person is not struggling and box is Rating.PARTIALLY_MET and quarter in (1, 3):
            rating = Rating.ACHIEVING  # one poor quarter, not two: no plan for everyone
        what, how = NOTES[rating]
        self.act(
            svc.record_indicative_rating, person.line_manager_id, when, subject_id=person.id,
            quarter=quarter, rating=rating, what_note=what, how_note=how, year=year,
        )  # fmt: skip
        self.made.ratings += 1
        if person is struggling and quarter == 2:  # F10: two Partially Met in a row
            agreed = self.moment(due + timedelta(days=10))
            if self.act(
                svc.update_development_plan, person.line_manager_id, agreed, subject_id=person.id,
                status="agreed", review_on=due + timedelta(days=70),
                note="Weekly check-ins; a mentor from another directorate", year=year,
            ):  # fmt: skip
                self.made.plans += 1

    def write_up(
        self, person: Person, year: int, stage: Stage, due: date, box: Rating | None
    ) -> None:
        written = self.moment(due - timedelta(days=self.rng.randint(3, 10)))
        if written is None or (self.now - written < timedelta(days=45) and self.late(0.2)):
            return
        self.act(
            svc.record_self_assessment, person.id, written - timedelta(days=3),
            subject_id=person.id, stage=stage, year=year,
            text="I delivered my objectives and grew the team",
        )  # fmt: skip
        end = stage is Stage.END_YEAR
        what, how = NOTES[box or Rating.ACHIEVING]
        self.act(
            svc.record_manager_assessment, person.line_manager_id, written, subject_id=person.id,
            stage=stage, what=what, how=how, year=year, recommended_rating=box,
            bias_acknowledged=end,
        )  # fmt: skip
        if end:
            met = box is not Rating.PARTIALLY_MET or self.late(0.5)
            self.act(
                svc.record_minimum_standards, person.line_manager_id, written,
                subject_id=person.id, results=dict.fromkeys(MinimumStandard, met), year=year,
            )  # fmt: skip
            self.act(
                svc.record_finance_outcome, person.line_manager_id, written, subject_id=person.id,
                met=box is not Rating.PARTIALLY_MET, year=year,
            )  # fmt: skip
        self.made.write_ups += 1
        agreed = self.moment(due + timedelta(days=4))
        if agreed is None or (self.now - agreed < timedelta(days=30) and self.late(0.3)):
            return
        sign = {"subject_id": person.id, "stage": stage, "year": year}
        self.act(svc.agree_write_up, person.id, agreed, **sign)
        self.act(svc.agree_write_up, person.countersigning_id, agreed + timedelta(days=2), **sign)

    def awards(self, year: int, dates: dict[Milestone, date]) -> None:
        """A handful of in-year awards: most approved, one turned down, the latest waiting."""
        eligible = [p for p in self.staff if p.dg_id and not p.poor_performance_measures]
        nominees = self.rng.sample(eligible, 7)  # F15: none on poor-performance measures
        start = fw.year_start(year, self.config.year.start_month)
        days = [self.moment(start + timedelta(days=40 + 40 * n)) for n in range(len(nominees))]
        made = [(n, p, on) for n, (p, on) in enumerate(zip(nominees, days, strict=True)) if on]
        for n, nominee, on in made:
            nominator = svc.Actor(nominee.line_manager_id, Via.SLACK)
            award = svc.nominate_award(
                self.session, config=self.config, actor=nominator, nominee_id=nominee.id or 0,
                amount_pence=self.rng.choice([50_000, 100_000, 150_000]), now=on, year=year,
                reason="Led the response to an urgent ministerial request",
            )  # fmt: skip
            self.made.awards += 1
            decider = svc.award_decider(self.session, self.config, nominee, award.nominated_by_id)
            if len(made) < len(days) and n == made[-1][0]:
                continue  # this year's latest waits for its Director General's decision
            self.act(
                svc.decide_award, decider.id if decider else None,
                self.moment(on.date() + timedelta(days=3), hour=14), award_id=award.id,
                approve=n != 2,
                reason=None if n != 2 else "Recognised already through this year's award",
            )  # fmt: skip

    def moderate(self, year: int, dates: dict[Milestone, date]) -> None:
        """HR records the panels' ratings for everyone ready, then releases them (F7, F26)."""
        on = self.moment(dates[Milestone.LOCAL_MODERATION])
        released = self.moment(dates[Milestone.OVERALL_MODERATION] + timedelta(days=7))
        if on is None:
            return
        for person in self.staff:
            outcome = svc.year_end_outcome(self.session, person, year)
            if outcome.rating is None:
                continue  # not ready: no agreed write-up, or a gate not assessed
            self.act(
                svc.record_moderated_rating, self.hr.id, on, subject_id=person.id,
                rating=outcome.rating, reason="Confirmed by the panel", year=year,
            )  # fmt: skip
            self.made.moderated += 1
        if self.made.moderated:
            self.act(svc.release_outcomes, self.hr.id, released, year=year)


def record_demo_years(
    session: Session, config: DepartmentConfig, *, now: datetime, seed: int = 2026
) -> DemoYears:
    """Give the demo people last year's complete record and this year's so far (to ``now``).
    Run once, on a database holding the demo roster and nothing else of theirs."""
    record = _Record(session, config, now, seed)
    this_year = fw.performance_year_of(svc.local_date(config, now), config.year.start_month)
    struggling = record.rng.choice(record.staff)
    try:
        record.year(this_year - 1, struggling=None)
        record.year(this_year, struggling=struggling)
    except PerfbotError as exc:  # a rule the demo broke is a bug here, not the user's
        raise RuntimeError(f"the demo's record broke a rule: {exc.message}") from exc
    session.execute(
        sa.update(Outbox)
        .where(col(Outbox.status) == OutboxStatus.PENDING, col(Outbox.due_at) <= now)
        .values(status=OutboxStatus.CANCELLED, last_error="demo history: not sent")
    )
    return record.made
