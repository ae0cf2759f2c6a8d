"""Each pending award nomination to the nominee's Director General, with ageing reminders
(F15). Done as soon as the nomination is decided or withdrawn."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from scheduler.nudges.base import (
    REMIND,
    Action,
    Kind,
    Nudge,
    NudgeKind,
    Step,
    Tick,
    Words,
    current_step,
    exists,
    insert_rows,
    money,
    outbox_row,
    person_id,
)
from store.config import DepartmentConfig
from store.models import Award, AwardStatus, Outbox, Person
from store.queries import award_decider_id
from store.services.awards import permanent_secretary


def pending_awards(tick: Tick) -> list[Any]:
    """Pending nominations with who decides them (a DG, or the Permanent Secretary for a DG's
    own nomination or a nomination of a DG; someone who has not left) and the nominee's name."""
    ps = permanent_secretary(tick.session, tick.config)
    decider = aliased(Person, name="decider")
    nominee = aliased(Person, name="nominee")
    wanted: list[Any] = [Award, decider.id, decider.location, nominee.name, decider.name]
    return list(
        tick.session.execute(
            sa.select(*wanted)
            .join(nominee, col(nominee.id) == col(Award.nominee_id))
            .join(decider, col(decider.id) == award_decider_id(nominee, ps.id if ps else None))
            .where(
                col(Award.status) == AwardStatus.PENDING,
                col(decider.left_on).is_(None),
                col(decider.id) != col(Award.nominated_by_id),
            )
        ).all()
    )


def waiting_days(config: DepartmentConfig) -> tuple[int, int]:
    """The working days after a nomination on which its decider is reminded of it."""
    reminders = config.reminders
    return (
        reminders.escalate_countersigning_after_working_days,
        reminders.escalate_dg_after_working_days,
    )


def plan(tick: Tick) -> None:
    ladder = (
        Step("new", 0, None),
        *(Step(f"waiting_{days}", days, None) for days in waiting_days(tick.config)),
    )
    rows = []
    after = tick.config.awards.escalate_after_working_days
    escalated = (Step(f"escalated_{after}", after, None),)
    ps = permanent_secretary(tick.session, tick.config)
    for award, dg_id, dg_location, nominee_name, dg_name in pending_awards(tick):
        nominated = tick.work.today(award.nominated_at)
        late = current_step(escalated, nominated, tick.today, dg_location, tick.work)
        if late is not None:  # waited too long: to whoever oversees the decider, once
            above = [ps] if ps is not None and ps.id != dg_id else tick.hr_people()
            rows += [
                outbox_row(
                    tick,
                    recipient=person_id(who),
                    kind=Kind.AWARD_DECISION,
                    subject_key=f"p:{award.nominee_id}",
                    subject_id=award.nominee_id,
                    milestone=f"award:{award.id}",
                    step=late[0].name,
                    year=award.year,
                    due_at=tick.work.opening(late[1]),
                    payload={
                        "award_id": award.id,
                        "amount_pence": award.amount_pence,
                        "nominee": nominee_name,
                        "decider": dg_name,
                        "days": after,
                    },
                )  # fmt: skip
                for who in above
                if who.id != award.nominated_by_id
            ]
        found = current_step(ladder, nominated, tick.today, dg_location, tick.work)
        if found is None:
            continue
        step, day = found
        rows.append(
            outbox_row(
                tick,
                recipient=dg_id,
                kind=Kind.AWARD_DECISION,
                subject_key=f"p:{award.nominee_id}",
                subject_id=award.nominee_id,
                milestone=f"award:{award.id}",
                step=step.name,
                year=award.year,
                due_at=award.nominated_at if step.offset == 0 else tick.work.opening(day),
                payload={
                    "award_id": award.id,
                    "amount_pence": award.amount_pence,
                    "nominee": nominee_name,
                },
            )
        )
    insert_rows(tick, rows)


def is_done(session: Session, row: Outbox, _config: DepartmentConfig) -> bool:
    award_id = int(row.milestone.split(":", 1)[1])
    pending = exists(col(Award.id) == award_id, col(Award.status) == AwardStatus.PENDING)
    return not session.execute(sa.select(pending)).scalar()


def compose(w: Words) -> Nudge:
    award = str(w.payload.get("award_id", ""))
    amount = money(int(w.payload.get("amount_pence", 0)))
    if w.ctx.step.startswith("escalated_"):  # to whoever oversees the decider
        decider = w.payload.get("decider", "the Director General")
        return w.nudge(
            f"An award nomination for {w.payload.get('nominee', w.who)} is waiting",
            f"A nomination of {amount} has waited {w.payload.get('days', 'many')} working days "
            f"for {decider}'s decision. You are told so it does not wait all year.",
            (Action(REMIND, "Remind them", str(w.ctx.outbox_id)), w.snooze()),
            [*w.facts(), ("Amount", amount)],
        )
    waiting = "" if w.ctx.step == "new" else " It is still waiting for your decision."
    nominee = w.payload.get("nominee", w.who)
    return w.nudge(
        f"In-year award for {nominee}",
        f"A nomination of {amount} needs your decision.{waiting}",
        (
            Action("award_approve", "Approve", award, confirm=f"Approve {amount} for {nominee}?"),
            Action("award_reject", "Reject", award),
            w.snooze(),
        ),
        [*w.facts(), ("Amount", amount)],
    )


KIND = NudgeKind(Kind.AWARD_DECISION, plan, is_done, compose)
