"""Before local moderation, tell HR how ready each business unit is (F19): one message, a
line a unit (the least ready named first when it is a line in a day's list)."""

from __future__ import annotations

from dataclasses import replace

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
from scheduler.nudges.digest import MAX_LINES
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
        units = [[unit, written.get(unit, 0), total] for unit, total in sorted(totals.items())]
        rows = [
            outbox_row(
                tick,
                recipient=person_id(hr),
                kind=Kind.MODERATION_READINESS,
                subject_key="units",
                subject_id=None,
                milestone=Milestone.LOCAL_MODERATION.value,
                step=step.name,
                year=year,
                due_at=tick.work.opening(day),
                payload={
                    "units": units,
                    "deadline": tick.work.on_or_before(deadline, hr.location).isoformat(),
                },
            )
            for hr, (step, day) in hr_steps
        ]
        insert_rows(tick, rows)


TABLE_LINES = MAX_LINES - 1  # as many lines as a day's list, with one to say how many more


def compose(w: Words) -> Nudge:
    if "units" not in w.payload:  # planned before readiness was one message: one unit
        unit = w.payload.get("unit", "")
        return w.nudge(
            f"Moderation readiness: {unit}",
            f"{w.payload.get('written', 0)} of {w.payload.get('total', 0)} end-year write-ups "
            f"are done for {unit or 'this unit'}; local moderation {w.when()}.",
            (w.workbook(), w.snooze()),
        )
    units = [(str(u), int(done), int(total)) for u, done, total in w.payload["units"]]
    written, total = sum(u[1] for u in units), sum(u[2] for u in units)
    behind = sorted(  # the smallest share written first, then the most still to write
        (u for u in units if u[1] < u[2]), key=lambda u: (u[1] / u[2], u[1] - u[2], u[0])
    )
    text = (
        f"{written} of {total} end-year write-ups are done across {len(units)} business "
        f"{'unit' if len(units) == 1 else 'units'}; local moderation {w.when()}."
    )
    if behind:
        least = ", ".join(f"{u} ({done} of {all_})" for u, done, all_ in behind[:3])
        text += f" Furthest behind: {least}."
    lines = [(f"{u}: {done} of {all_} written", None) for u, done, all_ in units[:TABLE_LINES]]
    if len(units) > TABLE_LINES:
        lines.append((f"{len(units) - TABLE_LINES} more units are in the workbook.", None))
    nudge = w.nudge("Moderation readiness", text, (w.workbook(), w.snooze()), [])
    return replace(nudge, items=tuple(lines))


KIND = NudgeKind(Kind.MODERATION_READINESS, plan, never_done, compose)
