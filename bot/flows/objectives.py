"""Set an objective (F11-F12) for yourself or a report: heading, what, how, measure."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.flows.common import (
    actor,
    call,
    chosen_id,
    me,
    person_options,
    reports,
    this_year,
    value_text,
)
from bot.flows.model import Context, Field, Form, Message, Option
from store.config import DepartmentConfig
from store.framework import NOTE_MAX_CHARS, ObjectiveHeading
from store.models import Person
from store.services import set_objective

FLOW = "objectives"
FIELDS = ("person", "heading", "what", "how", "measure")


def _people(session: Session, ctx: Context) -> list[Person]:
    return [me(session, ctx), *reports(session, ctx.person_id)]


def open_form(
    session: Session, ctx: Context, config: DepartmentConfig, subject_id: int | None = None
) -> Form:
    people = _people(session, ctx)
    return Form(
        FLOW,
        "Add an objective",
        "Save objective",
        (
            Field(
                "person",
                "For",
                "person",
                options=person_options(people),
                initial=str(subject_id or ctx.person_id),
            ),
            Field(
                "heading",
                "Heading",
                "choice",
                options=tuple(Option(h.value, h.label) for h in ObjectiveHeading),
            ),
            Field(
                "what", "What you will deliver", "text", multiline=True, max_length=NOTE_MAX_CHARS
            ),
            Field(
                "how", "How you will deliver it", "text", multiline=True, max_length=NOTE_MAX_CHARS
            ),
            Field(
                "measure",
                "How success is measured",
                "text",
                multiline=True,
                required=False,
                max_length=NOTE_MAX_CHARS,
            ),
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
    subject = chosen_id(values, "person", _people(session, ctx))
    outcome = call(
        set_objective,
        FIELDS,
        "what",
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=subject,
        heading=values.get("heading"),
        what=value_text(values, "what"),
        how=value_text(values, "how"),
        measure=value_text(values, "measure") or None,
        now=ctx.now,
        year=state.get("year"),
    )
    sections = (outcome.warning.removeprefix("F12: "),) if outcome.warning else ()
    return Message(
        title="Objective saved",
        text=f"Saved under {outcome.objective.heading.label}.",
        sections=sections,
    )
