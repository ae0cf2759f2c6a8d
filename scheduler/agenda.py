"""What is due, and by when, for the people a home page is about: the calendar tasks the
nudges chase, judged done by the very same SQL conditions, so a home page and the reminders
never disagree about what is left to do.

A task is listed from the day its year opens until it is done (last year's until its overall
moderation meeting): an undone task whose deadline has passed is overdue (oldest first); of
the tasks still to come, the nearest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from scheduler.nudges import objectives, rating, self_assessment, write_up
from scheduler.nudges.base import Kind, Recipient, SubjectsTask
from store.config import DepartmentConfig, Milestone, closing_year, milestone_dates
from store.framework import Grade, performance_year_of, year_start
from store.models import Person
from store.worktime import WorkingTime

# The tasks with a calendar deadline, in the order of the year.
CALENDAR_TASKS: tuple[SubjectsTask, ...] = (
    *objectives.TASKS,
    *rating.TASKS,
    *self_assessment.TASKS,
    *write_up.TASKS,
)


@dataclass(frozen=True)
class Due:
    kind: Kind
    milestone: Milestone
    year: int
    subject_id: int
    deadline: date  # the working day on or before the calendar date, in the subject's nation
    overdue: bool

    @property
    def quarter(self) -> int | None:
        return rating.QUARTER_OF.get(self.milestone)

    @property
    def stage(self) -> str | None:
        """'mid-year' or 'end-year' for a write-up or self-assessment."""
        stage = self_assessment.STAGE_OF.get(self.milestone)
        return stage.value.replace("_", "-") if stage else None


def due(
    session: Session,
    config: DepartmentConfig,
    today: date,
    subjects: Iterable[Person],
    recipient: Recipient,
) -> dict[int, list[Due]]:
    """For each subject (by id), their tasks ``recipient`` owns that are not done: overdue
    first, oldest first, then the nearest still to come. Subjects as the planner takes them:
    in post and known to perfbot by the deadline, below the Permanent Secretary."""
    people = [
        p for p in subjects if p.id is not None and p.left_on is None and p.grade != Grade.PERMSEC
    ]
    if not people:
        return {}
    work = WorkingTime(config)
    this_year = performance_year_of(today, config.year.start_month)
    found: dict[int, list[Due]] = {p.id: [] for p in people if p.id is not None}
    tasks = [t for t in CALENDAR_TASKS if t.recipient is recipient]
    years = [this_year] if closing_year(config, today) is None else [this_year - 1, this_year]
    ended = year_start(this_year, config.year.start_month)
    last_quarter = date(ended.year - (ended.month <= 3), (ended.month - 4) % 12 + 1, 1)
    for year in years:
        dates = milestone_dates(config, year)
        for task in tasks:
            milestone = Milestone(task.milestone)
            calendar = dates[milestone]
            if year < this_year and calendar < last_quarter:  # only its end-year work
                continue
            eligible = {
                p.id: deadline
                for p in people
                if p.id is not None
                and p.start_date <= (deadline := work.on_or_before(calendar, p.location))
                and work.today(p.created_at) <= deadline
            }
            if not eligible:
                continue
            done = task.done(milestone, year, col(Person.id), evidence_min=0)
            undone = session.execute(
                sa.select(col(Person.id)).where(col(Person.id).in_(eligible), ~done)
            ).scalars()
            for subject in undone:
                deadline = eligible[subject]
                found[subject].append(
                    Due(task.kind, milestone, year, subject, deadline, deadline < today)
                )
    for subject, items in found.items():
        overdue = sorted((d for d in items if d.overdue), key=lambda d: d.deadline)
        coming = sorted((d for d in items if not d.overdue), key=lambda d: d.deadline)
        found[subject] = overdue + coming[:1]
    return found
