"""What a nudge says: a channel-neutral message (text, facts, buttons) for each outbox row.

Adapters in ``bot/`` render it as Block Kit or an Adaptive Card; every nudge has a Snooze.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scheduler.tasks import Kind
from store.config import DepartmentConfig, Milestone, milestone_dates
from store.framework import format_pence, year_label


@dataclass(frozen=True)
class Action:
    action_id: str  # e.g. "rate", "award_approve", "snooze"
    label: str
    value: str


@dataclass(frozen=True)
class Nudge:
    outbox_id: int
    kind: str
    title: str
    text: str
    facts: tuple[tuple[str, str], ...] = ()
    actions: tuple[Action, ...] = field(default_factory=tuple)


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


_MILESTONE_WORDS = {
    Milestone.OBJECTIVES_AGREED.value: "objectives agreed",
    Milestone.Q1_CONVERSATION.value: "the Q1 conversation",
    Milestone.Q2_CONVERSATION.value: "the Q2 (mid-year) conversation",
    Milestone.Q3_CONVERSATION.value: "the Q3 conversation",
    Milestone.Q4_CONVERSATION.value: "the Q4 (end-year) conversation",
    Milestone.MID_YEAR_WRITE_UP.value: "the mid-year write-up",
    Milestone.END_YEAR_WRITE_UP.value: "the end-year write-up",
}


def _deadline(config: DepartmentConfig, ctx: NudgeContext) -> date | None:
    if ctx.payload and "deadline" in ctx.payload:
        return date.fromisoformat(ctx.payload["deadline"])
    try:
        milestone = Milestone(ctx.milestone)
    except ValueError:
        return None
    return milestone_dates(config, ctx.year)[milestone] if ctx.year else None


def _when(step: str, deadline: date | None) -> str:
    due = f"by {deadline:%A %d %B}" if deadline else "soon"
    if step.startswith("overdue_"):
        return f"was due {deadline:%d %B} and is overdue" if deadline else "is overdue"
    return f"is due {due}"


def compose(config: DepartmentConfig, ctx: NudgeContext) -> Nudge:
    """The words and buttons for one nudge."""
    deadline = _deadline(config, ctx)
    who = ctx.subject_name or "your report"
    snooze = Action("snooze", "Snooze 2 working days", f"{ctx.outbox_id}:2")
    workbook = Action("get_workbook", "Get the workbook", str(ctx.year or ""))  # HR only
    escalation = ctx.step.startswith("overdue_")
    facts: list[tuple[str, str]] = []
    if ctx.year:
        facts.append(("Performance year", year_label(ctx.year, config.year.start_month)))
    if deadline is not None:
        facts.append(("Deadline", f"{deadline:%d %B %Y}"))
    subject = str(ctx.subject_id or "")
    kind = Kind(ctx.kind)
    if kind is Kind.RATING:
        what = _MILESTONE_WORDS.get(ctx.milestone, "this quarter")
        title = f"Indicative rating for {who}"
        text = (
            f"{who}'s indicative rating after {what} {_when(ctx.step, deadline)}."
            if not escalation
            else f"{who}'s indicative rating after {what} {_when(ctx.step, deadline)}. You are "
            "being told because you countersign or lead this area."
        )
        actions: tuple[Action, ...] = (Action("rate", "Rate now", subject), snooze)
    elif kind is Kind.OBJECTIVES:
        title = "Objectives to agree"
        text = (
            f"Objectives for {who} {_when(ctx.step, deadline)}: 3 to 6 are recommended, "
            "covering what and how."
        )
        actions = (Action("objectives", "Open objectives", subject), snooze)
    elif kind is Kind.SELF_ASSESSMENT:
        stage = "mid-year" if ctx.milestone == Milestone.MID_YEAR_WRITE_UP.value else "end-year"
        title = f"Your {stage} self-assessment"
        text = f"Your {stage} self-assessment {_when(ctx.step, deadline)}."
        if escalation:
            title, text = (
                f"{who}'s {stage} self-assessment",
                f"{who}'s {stage} self-assessment {_when(ctx.step, deadline)}.",
            )
        actions = (Action("self_assessment", "Write it", f"{subject}:{stage}"), snooze)
    elif kind is Kind.WRITE_UP:
        stage = "mid-year" if ctx.milestone == Milestone.MID_YEAR_WRITE_UP.value else "end-year"
        extra = (
            " It includes the four minimum standards, the finance outcome and the bias statement."
            if stage == "end-year"
            else ""
        )
        title = f"{stage.capitalize()} write-up for {who}"
        text = f"The {stage} write-up for {who} {_when(ctx.step, deadline)}.{extra}"
        actions = (Action("write_up", "Open the write-up", f"{subject}:{stage}"), snooze)
    elif kind is Kind.EVIDENCE:
        title = "Your evidence portfolio"
        text = (
            "Your portfolio is still thin. Add evidence against a minimum standard or an "
            "objective - any chat message can be saved as evidence."
        )
        actions = (Action("evidence", "Add evidence", subject), snooze)
    elif kind is Kind.AWARD_DECISION:
        payload = ctx.payload or {}
        award = str(payload.get("award_id", ""))
        amount = format_pence(int(payload.get("amount_pence", 0)))
        title = f"In-year award for {payload.get('nominee', who)}"
        waiting = "" if ctx.step == "new" else " It is still waiting for your decision."
        text = f"A nomination of {amount} needs your decision.{waiting}"
        facts.append(("Amount", amount))
        actions = (
            Action("award_approve", "Approve", award),
            Action("award_reject", "Reject", award),
            snooze,
        )
    elif kind is Kind.AWARD_DIGEST:
        count = int((ctx.payload or {}).get("pending", 0))
        title = "Award nominations waiting"
        text = f"{count} in-year award nomination{'s' if count != 1 else ''} await your decision."
        actions = (Action("award_pending", "Review them", ""),)
    elif kind is Kind.DEVELOPMENT_PLAN:
        title = f"Development plan for {who}"
        text = (
            f"{who} has been rated Partially Met in two consecutive quarters. Draw up a "
            "performance development plan with them and schedule a review meeting."
        )
        actions = (Action("development_plan", "Record the plan", subject), snooze)
    elif kind is Kind.CONSISTENCY_CHECK:
        title = "Mid-year consistency check"
        text = (
            f"The consistency check of indicative ratings across protected "
            f"characteristics {_when(ctx.step, deadline)}."
        )
        actions = (workbook, snooze)
    else:  # Kind.MODERATION_READINESS
        payload = ctx.payload or {}
        title = f"Moderation readiness: {payload.get('unit', '')}"
        text = (
            f"{payload.get('written', 0)} of {payload.get('total', 0)} end-year write-ups "
            f"are done for {payload.get('unit', 'this unit')}; local moderation "
            f"{_when(ctx.step, deadline)}."
        )
        actions = (workbook, snooze)
    return Nudge(ctx.outbox_id, ctx.kind, title, text, tuple(facts), actions)
