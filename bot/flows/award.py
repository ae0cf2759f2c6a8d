"""In-year awards (F15): a line manager (or countersigning officer) nominates; the nominee's
Director General approves or rejects, once. Caps and headroom come from the store."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.flows.common import (
    actor,
    call,
    chosen_id,
    countersigned,
    name_of,
    person_options,
    reports,
    this_year,
    value_text,
    when,
)
from bot.flows.model import Button, Context, Field, Form, FormErrors, Message, Note, Option
from store import queries
from store.config import DepartmentConfig
from store.errors import InvalidInput, PerfbotError
from store.framework import format_pence, parse_money_pence
from store.models import Award, AwardStatus, ObjectiveMilestone, Person
from store.services import (
    award_decider,
    award_headroom,
    committed_award_total,
    decide_award,
    nominate_award,
    pending_award_total,
    quarter_ratings,
    undo_award_decision,
    withdraw_award,
)

FLOW = "award"
REJECT_FLOW = "award_reject"
FIELDS = ("nominee", "amount", "reason", "objective")


def _candidates(session: Session, ctx: Context) -> list[Person]:
    seen: dict[int, Person] = {}
    for person in [*reports(session, ctx.person_id), *countersigned(session, ctx.person_id)]:
        seen.setdefault(person.id, person)  # type: ignore[arg-type]
    return sorted(seen.values(), key=lambda p: p.name)


def open_form(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    nominee_id: int | None = None,
    milestone: ObjectiveMilestone | None = None,
) -> Form | Message:
    people = _candidates(session, ctx)
    if milestone is not None:  # the milestone's owner, and no one else
        people = [p for p in people if p.id == nominee_id]
    if not people:
        return Message(
            text="Awards are nominated by a line manager or countersigning officer; "
            "you have no one in the roster to nominate."
        )
    year = this_year(ctx, config)
    limits = config.award_limits

    def headroom(person: Person) -> str:
        left = award_headroom(session, config, person.id, year)  # type: ignore[arg-type]
        if person.poor_performance_measures:
            return "not eligible: on poor-performance measures"
        return f"{format_pence(left)} left this year"

    objectives = queries.first_objectives(session, [p.id for p in people if p.id is not None], year)
    # F17: a nomination for a milestone just met names it, and is linked to it.
    for_milestone = (
        (Note(f"For the milestone met: {milestone.title}. It is linked to its objective."),)
        if milestone is not None
        else ()
    )
    return Form(
        FLOW,
        "Nominate an award",
        "Nominate",
        (
            Note(
                f"One award is at most {format_pence(limits.per_award_pence)}; one person may "
                f"receive at most {format_pence(limits.per_year_pence)} in a year. The nominee's "
                "Director General decides (the Permanent Secretary, for a Director General or "
                "a nomination you make as one)."
            ),
            Field(
                "nominee",
                "Nominee",
                "person",
                options=person_options(people, headroom),
                initial=str(nominee_id) if nominee_id else None,
            ),
            Field(
                "amount",
                "Amount (£)",
                "money",
                min_value=limits.min_award_pence / 100,
                max_value=limits.per_award_pence / 100,
            ),
            Field("reason", "What it recognises", "text", multiline=True, max_length=2000),
            *for_milestone,
            *(
                ()
                if milestone is not None
                else (
                    Field(
                        "objective",
                        "Linked objective",
                        "choice",
                        required=False,
                        options=tuple(
                            Option(str(oid), f"{name}: {what}"[:75])
                            for oid, name, what in objectives
                        ),
                    ),
                )
            ),
        ),
        {"year": year, "milestone_id": milestone.id if milestone is not None else None},
    )


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    nominee = chosen_id(values, "nominee", _candidates(session, ctx))
    try:
        pence = parse_money_pence(values.get("amount"))
    except PerfbotError as error:
        raise FormErrors({"amount": error.message}) from None
    objective = value_text(values, "objective")
    award = call(
        nominate_award,
        FIELDS,
        "amount",
        aliases={"milestone": "objective"},
        session=session,
        config=config,
        actor=actor(ctx),
        nominee_id=nominee,
        amount_pence=pence,
        reason=value_text(values, "reason"),
        objective_id=int(objective) if objective.isdigit() else None,
        milestone_id=state.get("milestone_id"),
        now=ctx.now,
        year=state.get("year"),
    )
    who = queries.person(session, nominee)
    decider = award_decider(session, config, who, ctx.person_id) if who else None
    return Message(
        title="Nomination sent",
        text=f"Nominated {name_of(session, nominee)} for "
        f"{format_pence(award.amount_pence)}. {decider.name if decider else 'The decider'} "
        "will decide; you'll see the outcome in your status.",
        buttons=(Button("award_withdraw", "Withdraw it", str(award.id)),),
    )


def open_for_milestone(
    session: Session, ctx: Context, config: DepartmentConfig, value: str
) -> Form | Message:
    """F17 (the milestone pilot): "Nominate an award for this milestone", once it is met."""
    milestone = queries.milestone(session, int(value)) if value.isdigit() else None
    objective = queries.objective(session, milestone.objective_id) if milestone else None
    if milestone is None or objective is None or milestone.met_on is None:
        raise InvalidInput("This button is out of date. Open the latest message and try again.")
    return open_form(session, ctx, config, objective.person_id, milestone)


def decision_message(session: Session, award: Award, config: DepartmentConfig) -> Message:
    """The DG's message once decided: who decided and when, and Undo for a short while."""
    nominee = queries.person(session, award.nominee_id)
    decider = queries.person(session, award.decided_by_id)
    verb = "Approved" if award.status is AwardStatus.AWAITING_CST else award.status.label
    decided = when(config, award.decided_at, time=True)
    facts = [
        ("Amount", format_pence(award.amount_pence)),
        ("Decision", f"{verb} by {decider.name if decider else 'HR'} on {decided}"),
    ]
    if award.decision_reason:
        facts.append(("Reason", award.decision_reason))
    if award.status is AwardStatus.AWAITING_CST:
        facts.append(
            (
                "Next",
                "This takes their awards this year to the level that needs the approval of "
                "the Chief Secretary to the Treasury. It is not final, and not paid, until HR "
                "records that approval; until then it holds its place under the yearly limit.",
            )
        )
    elif award.cst_reference:
        facts.append(("Chief Secretary", f"Answer recorded by HR, reference {award.cst_reference}"))
    minutes = config.awards.undo_minutes
    buttons = (
        (Button("award_undo", f"Undo (for {minutes} minutes)", str(award.id)),)
        if minutes and award.decided_by_id and not award.cst_recorded_at
        else ()
    )
    return Message(
        title=f"In-year award for {nominee.name if nominee else 'a nominee'}",
        text=f"{award.reason}",
        facts=tuple(facts),
        buttons=buttons,
    )


def approve_question(award: Award, nominee: Person | None) -> str:
    """F15: asked before an approval is sent - the money and the person, named."""
    return f"Approve {format_pence(award.amount_pence)} for {nominee.name if nominee else 'them'}?"


def pending_message(session: Session, award: Award, config: DepartmentConfig) -> Message:
    """A nomination waiting for a decision, with what the decider needs to decide it (F15)."""
    nominee = queries.person(session, award.nominee_id)
    nominator = queries.person(session, award.nominated_by_id)
    facts = [
        ("Amount", format_pence(award.amount_pence)),
        (
            "Nominated by",
            f"{nominator.name if nominator else ''}, {when(config, award.nominated_at, time=True)}",
        ),
    ]
    if nominee is not None and nominee.id is not None:
        committed = committed_award_total(session, nominee.id, award.year)
        pending = pending_award_total(session, nominee.id, award.year)
        facts.append(
            (
                "Their awards this year",
                f"{format_pence(committed)} approved, {format_pence(pending)} awaiting a "
                f"decision (this one included); the yearly limit is "
                f"{format_pence(config.award_limits.per_year_pence)}",
            )
        )
        eligibility = (
            "Not eligible: on formal poor-performance measures"
            if nominee.poor_performance_measures
            else "Not eligible: has left the Civil Service"
            if not nominee.active and not nominee.left_to_department
            else "Eligible"
        )
        facts.append(("Eligibility", eligibility))
        ratings = quarter_ratings(session, nominee.id, award.year)
        if ratings:
            facts.append(
                (
                    "Indicative ratings",
                    ", ".join(f"Q{q} {r.label}" for q, r in sorted(ratings.items())),
                )
            )
    linked = queries.award_link(session, award)
    if linked:
        facts.append(("Recognises", linked))
    return Message(
        title=f"In-year award for {nominee.name if nominee else 'a nominee'}",
        text=award.reason,
        facts=tuple(facts),
        buttons=(
            Button(
                "award_approve",
                "Approve",
                str(award.id),
                "primary",
                approve_question(award, nominee),
            ),
            Button("award_reject", "Reject", str(award.id), "danger"),
        ),
    )


def undo(session: Session, ctx: Context, config: DepartmentConfig, award_id: int) -> Message:
    """F15: the decider undoes a decision made moments ago; it waits for a decision again."""
    award = undo_award_decision(
        session, config=config, actor=actor(ctx), award_id=award_id, now=ctx.now
    )
    return pending_message(session, award, config)


def withdraw(session: Session, ctx: Context, config: DepartmentConfig, award_id: int) -> Message:
    """F15: the nominator withdraws a nomination still waiting for a decision."""
    award = withdraw_award(session, actor=actor(ctx), award_id=award_id, now=ctx.now)
    return Message(
        title="Nomination withdrawn",
        text=f"You withdrew the nomination of {queries.name_of(session, award.nominee_id)} for "
        f"{format_pence(award.amount_pence)}.",
    )


def approve(session: Session, ctx: Context, config: DepartmentConfig, award_id: int) -> Message:
    """One click: decided once; a second click gets the existing decision (Conflict)."""
    award = decide_award(
        session, config=config, actor=actor(ctx), award_id=award_id, approve=True, now=ctx.now
    )
    return decision_message(session, award, config)


def open_reject(
    ctx: Context,
    config: DepartmentConfig,
    award_id: int,
    reply_to: dict[str, str] | None = None,
) -> Form:
    return Form(
        REJECT_FLOW,
        "Reject nomination",
        "Reject",
        (
            Field(
                "reason",
                "Why",
                "text",
                multiline=True,
                max_length=2000,
                hint="The nominator will see this.",
            ),
        ),
        {"award_id": award_id, "reply_to": reply_to or {}},
    )


def submit_reject(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    award = call(
        decide_award,
        ("reason",),
        "reason",
        session=session,
        config=config,
        actor=actor(ctx),
        award_id=int(state["award_id"]),
        approve=False,
        reason=value_text(values, "reason"),
        now=ctx.now,
    )
    return decision_message(session, award, config)


pending_for = queries.pending_awards_for
