"""Set an objective (F11-F12) for yourself or a report: heading, what, how, measure; the line
manager agrees the set once it covers the four headings."""

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
from bot.flows.model import Button, Context, Field, Form, Message, Option
from store import queries
from store.config import DepartmentConfig
from store.framework import (
    NOTE_MAX_CHARS,
    OBJECTIVES_MAX_LIVE,
    ObjectiveHeading,
    headings_words,
    missing_headings,
    year_label,
)
from store.models import Person
from store.services import agree_objectives, set_objective

FLOW = "objectives"
FIELDS = ("person", "heading", "what", "how", "measure", "over_limit_reason")


def _people(session: Session, ctx: Context) -> list[Person]:
    return [me(session, ctx), *reports(session, ctx.person_id)]


def open_form(
    session: Session, ctx: Context, config: DepartmentConfig, subject_id: int | None = None
) -> Form:
    people = _people(session, ctx)
    year = this_year(ctx, config)
    # F12: a ninth live objective needs the line manager's reason; ask only when it can arise.
    full = [
        p.name
        for p in people[1:]
        if queries.live_objective_count(session, p.id, year) >= OBJECTIVES_MAX_LIVE  # type: ignore[arg-type]
    ]
    over_limit = (
        (
            Field(
                "over_limit_reason",
                "Why one more than eight is needed",
                "text",
                multiline=True,
                required=False,
                max_length=NOTE_MAX_CHARS,
                hint=f"Only for {', '.join(full)}, who already "
                f"{'has' if len(full) == 1 else 'have'} {OBJECTIVES_MAX_LIVE} live objectives.",
            ),
        )
        if full
        else ()
    )
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
            *over_limit,
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
        over_limit_reason=value_text(values, "over_limit_reason") or None,
    )
    year = outcome.objective.year
    sections = [outcome.warning] if outcome.warning else []
    missing = missing_headings(queries.live_objective_headings(session, subject, year))
    buttons: tuple[Button, ...] = ()
    if missing:
        sections.append(f"Still needed before they can be agreed: {headings_words(missing)}.")
    elif subject == ctx.person_id:
        sections.append(
            "Your objectives now cover all four headings. Ask your line manager to agree them."
        )
    else:
        buttons = (Button("objectives_agree", "Agree these objectives", str(subject), "primary"),)
    return Message(
        title="Objective saved",
        text=f"Saved under {outcome.objective.heading.label}.",
        sections=tuple(sections),
        buttons=buttons,
    )


def agree(session: Session, ctx: Context, config: DepartmentConfig, subject_id: int) -> Message:
    """F11: the line manager agrees (signs off) a report's objectives."""
    row = agree_objectives(
        session, config=config, actor=actor(ctx), subject_id=subject_id, now=ctx.now
    )
    name = queries.name_of(session, subject_id)
    label = year_label(row.year, config.year.start_month)
    return Message(
        title="Objectives agreed",
        text=f"You agreed {name}'s objectives for {label}. If they change, you will be asked "
        "to agree them again.",
    )
