"""What a line manager sees beside a form opened for one person: their year so far, in lines
the rating, write-up and development plan forms share (one Slack section: under 3,000
characters, so nothing is ever cut)."""

from __future__ import annotations

from sqlmodel import Session

from bot.flows.common import when
from store import queries
from store.config import DepartmentConfig
from store.framework import Rating, Stage, day_words
from store.models import Person, PlanStatus
from store.services import quarter_ratings

EXCERPT = 120  # characters of one evidence item or objective
SELF_ASSESSMENT_EXCERPT = 1000
EVIDENCE_LISTED = 8


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """One line of someone's own words, shortened with an ellipsis only when it must be."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def quarters_text(ratings: dict[int, Rating], upto: int) -> str:
    """'Q1 Achieving, Q2 -': the quarters so far, a dash for one not rated."""
    return ", ".join(
        f"Q{q} {ratings[q].label if q in ratings else '-'}" for q in range(1, upto + 1)
    )


def quarters(session: Session, person_id: int, year: int, upto: int) -> str:
    return quarters_text(quarter_ratings(session, person_id, year), upto)


def ratings_line(session: Session, person: Person, year: int, upto: int) -> str:
    """'*Ada* this year: Q1 Achieving, Q2 -' and last year's Q4 when there is one."""
    pid = person.id or 0
    line = f"*{person.name}* this year: {quarters(session, pid, year, upto)}"
    last_year = quarter_ratings(session, pid, year - 1).get(4)
    return line + (f"\nLast year's Q4: {last_year.label}" if last_year else "")


def evidence_lines(session: Session, person_id: int, year: int, *, listed: int = 1) -> list[str]:
    """The evidence count with the latest item (``listed`` 1), or the latest few as a list."""
    items = queries.evidence_items(session, person_id, year)
    if not items:
        return ["Evidence this year: none yet"]
    if listed == 1:
        return [f"Evidence this year: {len(items)} - latest: {excerpt(items[-1].text)}"]
    shown = items[-listed:]
    more = f" (the latest {len(shown)})" if len(items) > len(shown) else ""
    return [
        f"Evidence this year: {len(items)}{more}",
        *(f"• {excerpt(item.text)}" for item in reversed(shown)),
    ]


def objectives_line(session: Session, person_id: int, year: int) -> list[str]:
    objectives = queries.live_objectives(session, person_id, year)
    if not objectives:
        return ["Objectives: none yet"]
    return ["Objectives: " + "; ".join(excerpt(what, 80) for _id, what in objectives[:5])]


def plan_line(session: Session, person_id: int, year: int) -> list[str]:
    """F10: the development plan, when there is one this year or last."""
    plan = queries.development_plans(session, [person_id], [year - 1, year]).get(person_id)
    if plan is None:
        return []
    if plan.status is PlanStatus.PROMPTED:
        return ["Development plan: due, after two Partially Met quarters; not yet recorded"]
    review = f", review on {day_words(plan.review_on)}" if plan.review_on else ""
    return [f"Development plan: agreed{review}"]


def write_up_context(
    session: Session,
    config: DepartmentConfig,
    person: Person,
    year: int,
    stage: Stage,
) -> str:
    """F6, F23: beside a write-up - the quarters, their self-assessment, the evidence to cite,
    the development plan and the objectives."""
    pid = person.id or 0
    upto = 2 if stage is Stage.MID_YEAR else 4
    lines = [ratings_line(session, person, year, upto)]
    own = queries.write_up(session, pid, year, stage.value)
    if own is not None and own.self_assessment:
        lines.append(
            f"Their self-assessment ({when(config, own.self_assessed_at)}): "
            f"{excerpt(own.self_assessment, SELF_ASSESSMENT_EXCERPT)}"
        )
    else:
        lines.append("Their self-assessment: not written yet")
    lines += evidence_lines(session, pid, year, listed=EVIDENCE_LISTED)
    lines += plan_line(session, pid, year)
    lines += objectives_line(session, pid, year)
    return "\n".join(lines)
