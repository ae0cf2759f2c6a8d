"""What a typed command opens, and which flow takes a submitted form: one table for every
chat platform, so Slack and Teams run the same flows (buttons: ``bot/flows/actions.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot.flows import (
    agreement,
    award,
    evidence,
    feedback,
    home,
    objective_record,
    objectives,
    plan,
    rate,
    settings,
    status,
    write_up,
)
from bot.flows.model import Context, Form, Message
from store.config import DepartmentConfig
from store.errors import Conflict
from store.services import claim_idempotency_key, claimed_result

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
    agreement.COMMENT_FLOW: agreement.submit_comment,
    objective_record.REVISE_FLOW: objective_record.submit_revise,
    objective_record.CLOSE_FLOW: objective_record.submit_close,
    objective_record.MILESTONE_FLOW: objective_record.submit_milestone,
    feedback.FLOW: feedback.submit,
    evidence.PICK_FLOW: evidence.submit_pick,
    evidence.EDIT_FLOW: evidence.submit_edit,
    evidence.DELETE_FLOW: evidence.submit_delete,
    settings.FLOW: settings.submit,
}

# Typed commands that act like a button (the same handler, so the same answer): the verb, the
# button, and whether the command's first word is the button's value.
COMMAND_BUTTONS: dict[str, tuple[str, bool]] = {
    "export": ("get_workbook", True),  # HR: `/perf export 2026`
    "objectives": (objective_record.LIST, False),  # your objectives, to revise or close
    "360": (feedback.LIST, False),  # your 360 respondents (or agree your team's from a message)
}


def command_button(verb: str, args: list[str]) -> tuple[str, str] | None:
    """The button a typed command presses, and its value; None for other commands."""
    if verb not in COMMAND_BUTTONS:
        return None
    name, takes_value = COMMAND_BUTTONS[verb]
    return name, (args[0] if takes_value and args else "")


# Forms that are a step after another, and how to go back to that one with its answers.
Back = Callable[
    [Session, Context, DepartmentConfig, dict[str, Any]], tuple[Form | Message, dict[str, Any]]
]
BACK: dict[str, Back] = {write_up.CONFIRM_FLOW: write_up.reopen}


def command_openers(ctx: Context, config: DepartmentConfig, args: list[str]) -> dict[str, Opener]:
    """The forms and pages a typed command opens (`/perf rate` in Slack, `rate` in Teams)."""
    first = args[0] if args else None
    return {
        "rate": lambda s: rate.open_form(s, ctx, config),
        "evidence": lambda s: evidence.open_form(s, ctx, config),
        "portfolio": lambda s: evidence.portfolio(s, ctx, config),
        "objective": lambda s: objectives.open_form(s, ctx, config),
        "award": lambda s: award.open_form(s, ctx, config),
        "writeup": lambda s: write_up.open_form(s, ctx, config, stage=first),
        "self": lambda s: write_up.open_self(s, ctx, config, first),
        "plan": lambda s: plan.open_form(s, ctx, config),
        "status": lambda s: status.status(s, ctx, config),
        "home": lambda s: home.home(s, ctx, config),
        "settings": lambda s: settings.open_form(s, ctx, config),
    }


def submit_form(
    session: Session,
    flow: str,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message | Form:
    """Run a submitted form's flow - once per form. A platform may deliver a submission
    twice (a replay within Slack's five minutes, a resubmit after perfbot crashed before
    answering); the form's id, sealed in its state, is claimed in the same transaction as
    what the flow saves, so a second delivery changes nothing and is told what was saved."""
    form_id = str(state.pop("form_id", "") or "")
    key = f"form:{form_id}"
    if form_id:
        saved = claimed_result(session, key)
        if saved is not None:
            return already_saved(saved)
    result = SUBMITTERS[flow](session, ctx, config, state, values)
    if form_id and isinstance(result, Message):  # a next step (a Form) saved nothing yet
        if not claim_idempotency_key(session, key=key, now=ctx.now, result=result.text):
            raise Conflict("This form was saved by another submission a moment ago.")
    return result


def already_saved(text: str) -> Message:
    return Message(
        title="Already saved",
        text=f"This form was already saved. {text}".strip(),
    )
