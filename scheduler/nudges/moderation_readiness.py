"""Before local moderation, tell HR how ready each business unit is (F19)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, select

from scheduler.nudges.base import (
    Kind,
    Nudge,
    NudgeKind,
    Tick,
    Words,
    current_step,
    deadline_ladder,
    insert_rows,
    never_done,
    outbox_row,
    person_id,
)
from store.config import Milestone
from store.framework import Grade, Stage
from store.models import Person, WriteUp


def _readiness(tick: Tick, year: int) -> tuple[dict[str, int], dict[str, int]]:
    """Per business unit: the people to moderate, and those with an end-year write-up."""
    session = tick.session
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
    return totals, written


def plan(tick: Tick) -> None:
    ladder = deadline_ladder(tick.config, escalate=False)
    for year in tick.open_years:
        deadline = tick.deadline(year, Milestone.LOCAL_MODERATION)
        hr_steps = [
            (hr, found)
            for hr in tick.hr_people()
            if (
                found := current_step(
                    ladder,
                    tick.work.on_or_before(deadline, hr.location),
                    tick.today,
                    hr.location,
                    tick.work,
                )
            )
        ]
        if not hr_steps:
            continue
        totals, written = _readiness(tick, year)
        rows = [
            outbox_row(
                tick,
                recipient=person_id(hr),
                kind=Kind.MODERATION_READINESS,
                subject_key=f"unit:{unit}",
                subject_id=None,
                milestone=Milestone.LOCAL_MODERATION.value,
                step=step.name,
                year=year,
                due_at=tick.work.opening(day),
                payload={
                    "unit": unit,
                    "written": written.get(unit, 0),
                    "total": total,
                    "deadline": tick.work.on_or_before(deadline, hr.location).isoformat(),
                },
            )
            for hr, (step, day) in hr_steps
            for unit, total in sorted(totals.items())
        ]
        insert_rows(tick, rows)


def compose(w: Words) -> Nudge:
    unit = w.payload.get("unit", "")
    return w.nudge(
        f"Moderation readiness: {unit}",
        f"{w.payload.get('written', 0)} of {w.payload.get('total', 0)} end-year write-ups "
        f"are done for {unit or 'this unit'}; local moderation {w.when()}.",
        (w.workbook(), w.snooze()),
    )


KIND = NudgeKind(Kind.MODERATION_READINESS, plan, never_done, compose)
