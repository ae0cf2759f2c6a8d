"""Quarterly indicative rating (F5): the line manager rates one report's performance as a
whole, with notes on what was delivered and how (F6). Beside the form: the person's quarters so
far and last year's end, what a re-rating replaces, their evidence and objectives."""

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
    today,
    value_text,
    when,
)
from bot.flows.context import evidence_lines, objectives_line, quarters, ratings_line
from bot.flows.model import Context, Field, Form, FormErrors, Message, Note, Option
from store import queries
from store.config import DepartmentConfig, closing_year
from store.framework import (
    NOTE_MAX_CHARS,
    RATING_HINTS,
    Rating,
    UnderperformanceStep,
    year_label,
)
from store.models import Person
from store.services import record_indicative_rating

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


def _periods(ctx: Context, config: DepartmentConfig) -> list[tuple[int, int]]:
    """The quarters that may be rated now, as (year, quarter), latest first: this year's so
    far, and the year that ended's Q4 until its overall moderation."""
    year, quarter = this_year(ctx, config), this_quarter(ctx, config)
    periods = [(year, q) for q in range(quarter, 0, -1)]
    if (closing := closing_year(config, today(ctx, config))) is not None:
        periods.append((closing, 4))
    return periods


def _period(value: Any, year: int) -> tuple[int, int] | None:
    """A quarter choice, "2026-4" (or "4" for this year's), as (year, quarter)."""
    head, _, tail = str(value or "").partition("-")
    raw_year, raw_quarter = (head, tail) if tail else (str(year), head)
    if not (raw_year.isdigit() and raw_quarter.isdigit()):
        return None
    return int(raw_year), int(raw_quarter)


def open_form(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    subject_id: int | None = None,
    period: str | None = None,
) -> Form | Message:
    """The rating form; for one person (a button on their line) with their year beside it,
    and the quarter the button was for ("2026-4") chosen."""
    team = reports(session, ctx.person_id)
    if not team:
        return Message(
            text="You don't line manage anyone in the roster, so there is no one for you to rate."
        )
    periods = _periods(ctx, config)
    year = this_year(ctx, config)
    chosen_period = _period(period, year)
    year, quarter = chosen_period if chosen_period in periods else periods[0]
    chosen = [p for p in team if p.id == subject_id]
    notes = [Note(_context(session, config, chosen[0], year, quarter))] if chosen else []
    if not chosen:  # the team at a glance, a line each
        lines = [f"• {p.name}: {quarters(session, p.id or 0, year, quarter)}" for p in team]
        notes = [Note("This year so far:\n" + "\n".join(lines))]
    label = {y: year_label(y, config.year.start_month) for y, _ in periods}
    items: list[Field | Note] = [
        person_field("Who", team, subject_id),
        Field(
            "quarter",
            "Quarter",
            "choice",
            options=tuple(
                Option(f"{y}-{q}", f"Q{q}" if y == periods[0][0] else f"Q{q} {label[y]}")
                for y, q in periods
            ),
            initial=f"{year}-{quarter}",
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
    return Form(FLOW, "Indicative rating", "Save rating", (*notes, *items), {"year": year})


def _context(
    session: Session, config: DepartmentConfig, person: Person, year: int, quarter: int
) -> str:
    """What the line manager needs beside the form for one person: their quarters this year
    and last year's end, what a re-rating replaces, their evidence and objectives."""
    pid = person.id or 0
    lines = [ratings_line(session, person, year, quarter)]
    current = queries.indicative_rating(session, pid, year, quarter)
    if current is not None:
        lines.append(
            f"Q{quarter} is already rated {Rating(current.rating).label} "
            f"({when(config, current.recorded_at)}); saving replaces it, and the earlier "
            "rating stays in the history."
        )
    lines += evidence_lines(session, pid, year)
    lines += objectives_line(session, pid, year)
    return "\n".join(lines)


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    subject = chosen_report(session, values, "person", ctx.person_id)
    period = _period(values.get("quarter"), int(state.get("year") or this_year(ctx, config)))
    if period is None:
        raise FormErrors({"quarter": "Choose a quarter."})
    year, quarter = period
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
        year=year,
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
