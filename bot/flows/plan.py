"""Development plan (F10): after two consecutive Partially Met quarters the line manager records
the plan and the review meeting. perfbot prompts; it never starts formal procedures."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from bot.flows.common import (
    actor,
    call,
    chosen_report,
    person_field,
    reports,
    this_year,
    value_text,
)
from bot.flows.model import Context, Field, Form, FormErrors, Message, Option
from store.config import DepartmentConfig
from store.services import update_development_plan

FLOW = "plan"


def open_form(
    session: Session, ctx: Context, config: DepartmentConfig, subject_id: int | None = None
) -> Form | Message:
    team = reports(session, ctx.person_id)
    if not team:
        return Message(text="You don't line manage anyone in the roster.")
    return Form(
        FLOW,
        "Development plan",
        "Save",
        (
            person_field("For", team, subject_id),
            Field(
                "status",
                "Status",
                "choice",
                options=(
                    Option("agreed", "Plan drawn up, review scheduled"),
                    Option("closed", "Closed: performance back on track"),
                ),
            ),
            Field("review_on", "Review meeting", "date", required=False),
            Field("note", "Note", "text", multiline=True, required=False, max_length=2000),
        ),
        {"year": this_year(ctx, config)},
    )


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    subject = chosen_report(session, values, "person", ctx.person_id)
    raw = value_text(values, "review_on")
    try:
        review_on = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise FormErrors({"review_on": "Give a date."}) from None
    call(
        update_development_plan,
        ("status", "review_on", "note"),
        "status",
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=subject,
        status=values.get("status"),
        review_on=review_on,
        note=value_text(values, "note") or None,
        now=ctx.now,
        year=state.get("year"),
    )
    return Message(title="Development plan saved", text="Saved. Reminders about it stop now.")
