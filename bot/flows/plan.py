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
    this_quarter,
    this_year,
    value_text,
)
from bot.flows.context import evidence_lines, plan_line, ratings_line
from bot.flows.model import Context, Field, Form, FormErrors, Message, Note, Option
from store import queries
from store.config import DepartmentConfig
from store.services import update_development_plan

FLOW = "plan"


def open_form(
    session: Session, ctx: Context, config: DepartmentConfig, subject_id: int | None = None
) -> Form | Message:
    team = reports(session, ctx.person_id)
    if not team:
        return Message(text="You don't line manage anyone in the roster.")
    year = this_year(ctx, config)
    person = next((p for p in team if p.id == subject_id), None)
    context = []
    if person is not None:  # their year beside the form (F10)
        lines = [ratings_line(session, person, year, this_quarter(ctx, config))]
        lines += plan_line(session, subject_id or 0, year) + evidence_lines(
            session, subject_id or 0, year
        )
        context = [Note("\n".join(lines))]
    return Form(
        FLOW,
        "Development plan",
        "Save",
        (
            *context,
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
        {"year": year},
    )


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    subject = chosen_report(session, values, "person", ctx.person_id)
    year = int(state.get("year") or this_year(ctx, config))
    open_plan = queries.development_plans(session, [subject], [year - 1, year]).get(subject)
    year = open_plan.year if open_plan is not None else year  # last year's, in April
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
        year=year,
    )
    return Message(title="Development plan saved", text="Saved. Reminders about it stop now.")
