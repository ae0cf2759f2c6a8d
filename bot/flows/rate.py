"""Quarterly indicative rating (F5): the line manager rates one report's performance as a
whole, with notes on what was delivered and how (F6); last quarter's rating is shown."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.flows.common import (
    actor,
    call,
    chosen_report,
    name_of,
    person_field,
    reports,
    this_quarter,
    this_year,
    value_text,
)
from bot.flows.model import Context, Field, Form, FormErrors, Message, Note, Option
from store.config import DepartmentConfig
from store.framework import NOTE_MAX_CHARS, RATING_HINTS, Rating, UnderperformanceStep
from store.services import quarter_ratings, record_indicative_rating

FLOW = "rate"
FIELDS = ("person", "quarter", "rating", "what", "how")
RATING_OPTIONS = tuple(Option(r.value, r.label, RATING_HINTS[r]) for r in Rating)


# F10: what the line manager is told after a Partially Met quarter; the product prompts, it
# never starts formal procedures by itself.
_UNDERPERFORMANCE = {
    UnderperformanceStep.SUPPORT: "Partially Met this quarter is a cue for support and "
    "coaching, not formal action.",
    UnderperformanceStep.DEVELOPMENT_PLAN: "This is the second Partially Met quarter in a row "
    "(the last quarter of one year and the first of the next count too). Please draw up a "
    "performance development plan with {name} and schedule a review meeting.",
    UnderperformanceStep.FORMAL_MEASURES_EXPECTED: "{name} is still Partially Met after the "
    "quarters that called for a development plan. The guidance now expects formal "
    "poor-performance measures: speak to HR about the department's procedure. perfbot will "
    "not start it.",
}


def open_form(
    session: Session, ctx: Context, config: DepartmentConfig, subject_id: int | None = None
) -> Form | Message:
    team = reports(session, ctx.person_id)
    if not team:
        return Message(
            text="You don't line manage anyone in the roster, so there is no one for you to rate."
        )
    year = this_year(ctx, config)
    quarter = this_quarter(ctx, config)
    notes = []
    for person in team if subject_id is None else [p for p in team if p.id == subject_id]:
        ratings = quarter_ratings(session, person.id, year)  # type: ignore[arg-type]
        last = ratings.get(quarter - 1)
        if quarter > 1:
            notes.append(
                f"{person.name}: Q{quarter - 1} was {last.label if last else 'not recorded'}"
            )
    items: list[Field | Note] = [
        person_field("Who", team, subject_id),
        Field(
            "quarter",
            "Quarter",
            "choice",
            options=tuple(Option(str(q), f"Q{q}") for q in range(1, quarter + 1)),
            initial=str(quarter),
        ),
        Field(
            "rating",
            "Indicative rating",
            "choice",
            options=RATING_OPTIONS,
            hint="Performance as a whole this quarter, not per objective.",
        ),
        Field("what", "What was delivered", "text", multiline=True, max_length=NOTE_MAX_CHARS),
        Field(
            "how",
            "How (behaviours)",
            "text",
            multiline=True,
            max_length=NOTE_MAX_CHARS,
            hint="What and how carry equal weight.",
        ),
    ]
    if notes:
        items.insert(0, Note("Last quarter: " + "; ".join(notes)))
    return Form(FLOW, "Indicative rating", "Save rating", tuple(items), {"year": year})


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    subject = chosen_report(session, values, "person", ctx.person_id)
    try:
        quarter = int(str(values.get("quarter")))
    except ValueError:
        raise FormErrors({"quarter": "Choose a quarter."}) from None
    if values.get("rating") in (None, ""):
        raise FormErrors({"rating": "Choose a rating."})
    outcome = call(
        record_indicative_rating,
        FIELDS,
        "rating",
        aliases={"year": "quarter"},
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=subject,
        quarter=quarter,
        rating=values.get("rating"),
        what_note=value_text(values, "what"),
        how_note=value_text(values, "how"),
        now=ctx.now,
        year=state.get("year"),
    )
    name = name_of(session, subject)
    sections = []
    if outcome.rating.rating is Rating.PARTIALLY_MET:
        sections.append(_UNDERPERFORMANCE[outcome.step].format(name=name))  # F10
    return Message(
        title="Rating saved",
        text=f"Q{quarter} indicative rating for {name}: {outcome.rating.rating.label}.",
        sections=tuple(sections),
    )
