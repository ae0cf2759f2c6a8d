"""Status: my record (job holder), my team (line manager), approvals waiting (DG), completion by
business unit (HR). What to do next, by role, is the home page (``bot/flows/home.py``)."""

from __future__ import annotations

from sqlmodel import Session

from bot.flows.award import pending_for
from bot.flows.common import me, reports, this_quarter, this_year
from bot.flows.context import quarters
from bot.flows.model import Button, Context, Message
from store import queries
from store.aggregates import completion_by_business_unit
from store.config import DepartmentConfig
from store.framework import format_pence, year_label
from store.models import Person
from store.services import (
    approved_award_total,
    final_outcome,
    outcome_release,
    pk,
)


def _released_year(session: Session, year: int) -> int | None:
    """F26: the latest released year a status may show final ratings for (this or last)."""
    return next((y for y in (year, year - 1) if outcome_release(session, y)), None)


def _final(session: Session, person: Person, year: int) -> str:
    outcome = final_outcome(session, person, year)
    return outcome.rating.label if outcome else "none yet"


def status(session: Session, ctx: Context, config: DepartmentConfig) -> Message:
    person = me(session, ctx)
    year, quarter = this_year(ctx, config), this_quarter(ctx, config)
    evidence = queries.evidence_count(session, ctx.person_id, year)
    objectives = queries.live_objective_count(session, ctx.person_id, year)
    sections = [
        f"*Your record, {year_label(year, config.year.start_month)}*\n"
        f"Indicative ratings: {quarters(session, ctx.person_id, year, quarter)}\n"
        f"Live objectives: {objectives} · Evidence items: {evidence} · In-year awards: "
        f"{format_pence(approved_award_total(session, ctx.person_id, year))}"
    ]
    released = _released_year(session, year)  # F26: nothing moderated shows before release
    if released is not None:
        sections[0] += (
            f"\nFinal rating for {year_label(released, config.year.start_month)}: "
            f"{_final(session, person, released)}"
        )
    team = reports(session, ctx.person_id)
    if team:
        lines = [f"• {p.name}: {quarters(session, pk(p), year, quarter)}" for p in team]
        sections.append("*Your team*\n" + "\n".join(lines))
        if released is not None:
            finals = [f"• {p.name}: {_final(session, p, released)}" for p in team]
            label = year_label(released, config.year.start_month)
            sections.append(f"*Final ratings, {label}*\n" + "\n".join(finals))
    buttons: list[Button] = []
    waiting = pending_for(session, config, ctx.person_id)  # a DG, or the Permanent Secretary
    if person.is_dg or waiting:
        sections.append(
            f"*Awaiting your decision*: {len(waiting)} in-year award "
            f"nomination{'s' if len(waiting) != 1 else ''}."
        )
        if waiting:
            buttons.append(Button("award_pending", "Show them", "", "primary"))
    if person.is_hr:
        units = completion_by_business_unit(session, year=year, quarter=quarter)
        lines = [
            f"• {unit}: {done}/{total} rated for Q{quarter}"
            for unit, (done, total) in units.items()
        ]
        undeliverable, dead = queries.undelivered_counts(session)
        sections.append("*Completion by business unit*\n" + "\n".join(lines))
        sections.append(
            f"Reminders that could not be delivered: {undeliverable} (no Slack "
            f"or Teams account linked), {dead} failed after retries."
        )
        if unreleased := queries.unreleased_moderated_year(session):
            label = year_label(unreleased[0], config.year.start_month)
            sections.append(
                f"*Final ratings, {label}*: {unreleased[1]} moderated "
                f"{'rating is' if unreleased[1] == 1 else 'ratings are'} recorded and not yet "
                "released. Job holders see none of them until you release the year with "
                "`perfbot moderation release`; then each job holder and line manager is told."
            )
        if cst := queries.awards_awaiting_cst(session):
            sections.append(
                f"*Chief Secretary approval*: {cst} in-year "
                f"{'award waits' if cst == 1 else 'awards wait'} for it. When it comes, record "
                "it with `perfbot awards chief-secretary` (the awards are not paid until then)."
            )
    return Message(
        title="Your perfbot status",
        text=f"Hello {person.name}.",
        sections=tuple(sections),
        buttons=tuple(buttons),
    )
