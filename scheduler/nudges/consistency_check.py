"""HR's reminder before the mid-year consistency check of indicative ratings (F21)."""

from __future__ import annotations

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


def plan(tick: Tick) -> None:
    year = tick.this_year
    deadline = tick.deadline(year, Milestone.CONSISTENCY_CHECK)
    ladder = deadline_ladder(tick.config, escalate=False)
    rows = []
    for hr in tick.hr_people():
        day = tick.work.on_or_before(deadline, hr.location)  # never a weekend or holiday
        found = current_step(ladder, day, tick.today, hr.location, tick.work)
        if found is not None:
            rows.append(
                outbox_row(
                    tick,
                    recipient=person_id(hr),
                    kind=Kind.CONSISTENCY_CHECK,
                    subject_key="dept",
                    subject_id=None,
                    milestone=Milestone.CONSISTENCY_CHECK.value,
                    step=found[0].name,
                    year=year,
                    due_at=tick.work.opening(found[1]),
                    payload={"deadline": day.isoformat()},
                )
            )
    insert_rows(tick, rows)


def compose(w: Words) -> Nudge:
    return w.nudge(
        "Mid-year consistency check",
        f"The consistency check of indicative ratings across protected characteristics "
        f"{w.when()}. The first workbook taken on or after that day keeps its mid-year table "
        "as the record that the end-year results are compared with.",
        (w.workbook(), w.snooze()),
    )


KIND = NudgeKind(Kind.CONSISTENCY_CHECK, plan, never_done, compose)
