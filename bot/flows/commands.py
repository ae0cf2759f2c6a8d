"""What a typed command or a pressed button opens, and which flow takes a submitted form:
one table for every chat platform, so Slack and Teams run the same flows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot.flows import award, evidence, objectives, plan, rate, status, write_up
from bot.flows.model import Context, Form, Message
from store.config import DepartmentConfig

Opener = Callable[[Session], Form | Message]
Submit = Callable[
    [Session, Context, DepartmentConfig, dict[str, Any], dict[str, Any]], Message | Form
]

SUBMITTERS: dict[str, Submit] = {
    rate.FLOW: rate.submit,
    evidence.FLOW: evidence.submit,
    objectives.FLOW: objectives.submit,
    award.FLOW: award.submit,
    award.REJECT_FLOW: award.submit_reject,
    write_up.FLOW: write_up.submit,
    write_up.CONFIRM_FLOW: write_up.submit_confirm,
    write_up.SELF_FLOW: write_up.submit_self,
    plan.FLOW: plan.submit,
}


def subject_of(value: str) -> tuple[int | None, str | None]:
    """A button value "<person id>[:<stage>]"."""
    head, _, tail = (value or "").partition(":")
    return (int(head) if head.isdigit() else None), (tail or None)


def command_openers(ctx: Context, config: DepartmentConfig, args: list[str]) -> dict[str, Opener]:
    """The forms and pages a typed command opens (`/perf rate` in Slack, `rate` in Teams)."""
    first = args[0] if args else None
    return {
        "rate": lambda s: rate.open_form(s, ctx, config),
        "evidence": lambda s: evidence.open_form(s, ctx, config),
        "objectives": lambda s: objectives.open_form(s, ctx, config),
        "objective": lambda s: objectives.open_form(s, ctx, config),
        "award": lambda s: award.open_form(s, ctx, config),
        "writeup": lambda s: write_up.open_form(s, ctx, config, stage=first),
        "self": lambda s: write_up.open_self(s, ctx, config, first),
        "plan": lambda s: plan.open_form(s, ctx, config),
        "status": lambda s: status.status(s, ctx, config),
    }


def button_openers(ctx: Context, config: DepartmentConfig, value: str) -> dict[str, Opener]:
    """The forms and pages a button opens (nudges, the home tab, confirmations)."""
    subject, stage = subject_of(value)
    return {
        "rate": lambda s: rate.open_form(s, ctx, config, subject),
        "open_rate": lambda s: rate.open_form(s, ctx, config),
        "objectives": lambda s: objectives.open_form(s, ctx, config, subject),
        "open_objectives": lambda s: objectives.open_form(s, ctx, config),
        "write_up": lambda s: write_up.open_form(s, ctx, config, subject, stage),
        "open_write_up": lambda s: write_up.open_form(s, ctx, config),
        "self_assessment": lambda s: write_up.open_self(s, ctx, config, stage),
        "evidence": lambda s: evidence.open_form(s, ctx, config),
        "open_evidence": lambda s: evidence.open_form(s, ctx, config),
        "development_plan": lambda s: plan.open_form(s, ctx, config, subject),
        "open_award": lambda s: award.open_form(s, ctx, config),
        "status": lambda s: status.status(s, ctx, config),
    }
