"""Your reminder settings: when your day's list of reminders arrives, and whether the optional
evidence prompts come. The reminders the framework requires always come."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlmodel import Session

from bot.flows.common import actor, call, value_text
from bot.flows.model import Context, Field, Form, Message, Note, Option
from store.config import DepartmentConfig
from store.services import list_times, preferences, set_preferences

FLOW = "settings"
START = "start"  # the start of their working day


def open_form(session: Session, ctx: Context, config: DepartmentConfig) -> Form:
    chosen = preferences(session, ctx.person_id)
    start = config.working_hours.start
    return Form(
        FLOW,
        "Reminder settings",
        "Save settings",
        (
            Note(
                "Reminders due on the same day come together as one list. Deadlines, "
                "escalations and decisions always come; only the evidence prompts can be "
                "turned off."
            ),
            Field(
                "list_at",
                "When your day's list arrives",
                "choice",
                options=(
                    Option(START, f"At the start of the working day ({start:%H:%M})"),
                    *(Option(f"{t:%H:%M}", f"{t:%H:%M}") for t in list_times(config) if t > start),
                ),
                initial=f"{chosen.list_at:%H:%M}" if chosen.list_at else START,
            ),
            Field(
                "evidence_prompts",
                "Evidence prompts",
                "choice",
                options=(
                    Option("on", "On", "A nudge when your portfolio is thin"),
                    Option("off", "Off"),
                ),
                initial="on" if chosen.evidence_prompts else "off",
            ),
        ),
    )


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    raw = value_text(values, "list_at")
    try:
        at = None if raw in ("", START) else time.fromisoformat(raw)
    except ValueError:
        at = time(0)  # refused below, beside the field
    chosen = call(
        set_preferences,
        ("list_at", "evidence_prompts"),
        "list_at",
        session=session,
        config=config,
        actor=actor(ctx),
        list_at=at,
        evidence_prompts=value_text(values, "evidence_prompts") != "off",
        now=ctx.now,
    )
    when = f"at {chosen.list_at:%H:%M}" if chosen.list_at else "at the start of your working day"
    prompts = "on" if chosen.evidence_prompts else "off"
    return Message(
        title="Settings saved",
        text=f"Your day's list of reminders will arrive {when}. Evidence prompts are {prompts}.",
    )
