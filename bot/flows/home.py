"""Home: what each person needs to do next, and by when, laid out by role (Slack's App Home,
Teams' welcome card and ``home`` command).

Decisions waiting come first, then the team, write-ups to countersign and HR's view, then
the person's own year.
Each line carries its own button, so nothing a role needs is ever cut to fit a row of
buttons; the general tools follow at the bottom.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from bot.flows import agreement, evidence, objective_record
from bot.flows.award import pending_for
from bot.flows.common import countersigned, me, reports, this_quarter, this_year, today, when
from bot.flows.context import quarters, quarters_text
from bot.flows.model import Button, Context, Message
from scheduler.agenda import Due, due
from scheduler.nudges.base import Kind, Recipient
from store import queries
from store.aggregates import closing_year_by_business_unit, completion_by_business_unit
from store.config import DepartmentConfig, Milestone, closing_year, milestone_dates
from store.framework import (
    Rating,
    day_words,
    format_pence,
    headings_words,
    missing_headings,
    performance_year_of,
    year_label,
)
from store.models import DevelopmentPlan, Person, PlanStatus
from store.services import (
    INSTALL_OUTCOMES,
    final_outcome,
    objectives_agreement,
    outcome_release,
    pk,
    quarter_ratings,
)

Line = tuple[str, Button | None]
AWARDS_LISTED = 5  # more than this: the rest behind "Show them all"
UNREACHED_NAMED = 10


def heading(text: str) -> Line:
    return (f"*{text}*", None)


def _by(item: Due) -> str:
    """'due Friday 30 October' or 'overdue since Friday 10 July'."""
    return ("overdue since " if item.overdue else "due ") + day_words(item.deadline)


def _rated_year(ctx: Context, config: DepartmentConfig) -> tuple[int, int]:
    """The year whose quarters a home shows, and up to which quarter: the year that has
    ended, all four, until its overall moderation; then this year, so far."""
    closing = closing_year(config, today(ctx, config))
    if closing is not None:
        return closing, 4
    return this_year(ctx, config), this_quarter(ctx, config)


# --- decisions waiting (a Director General, or the Permanent Secretary) -------------------------
def _decisions(
    session: Session, ctx: Context, config: DepartmentConfig, person: Person
) -> list[Line]:
    waiting = pending_for(session, config, ctx.person_id)
    if not (person.is_dg or waiting):
        return []
    lines = [heading("Waiting for your decision")]
    if not waiting:
        return [*lines, ("No award nominations are waiting for your decision.", None)]
    for award in waiting[:AWARDS_LISTED]:
        nominee = queries.name_of(session, award.nominee_id, "someone")
        nominator = queries.name_of(session, award.nominated_by_id, "their line manager")
        lines.append(
            (
                f"{format_pence(award.amount_pence)} in-year award for {nominee}, nominated "
                f"by {nominator} on {when(config, award.nominated_at)}",
                Button("award_show", "Decide", str(award.id), "primary"),
            )
        )
    if len(waiting) > AWARDS_LISTED:
        more = len(waiting) - AWARDS_LISTED
        lines.append(
            (
                f"and {more} more {'nomination' if more == 1 else 'nominations'}",
                Button("award_pending", "Show them all"),
            )
        )
    return lines


# --- the team (a line manager) -----------------------------------------------------------------
def _team_action(item: Due) -> tuple[str, Button]:
    """What is due for a report, and the one button that does it."""
    subject = str(item.subject_id)
    if item.kind is Kind.RATING:
        return f"Q{item.quarter} rating, {_by(item)}", Button(
            "rate", f"Rate Q{item.quarter}", f"{subject}:{item.year}-{item.quarter}"
        )
    if item.kind is Kind.WRITE_UP:
        return (
            f"{item.stage} write-up, {_by(item)}".capitalize(),
            Button("write_up", "Write it", f"{subject}:{item.stage}"),
        )
    return (
        f"Objectives to agree, {_by(item)}",
        Button(objective_record.LIST, "See objectives", subject),
    )


def _team(
    session: Session, ctx: Context, config: DepartmentConfig, team: list[Person]
) -> list[Line]:
    if not team:
        return []
    year, quarter = _rated_year(ctx, config)
    dues = due(session, config, today(ctx, config), team, Recipient.LINE_MANAGER)
    plans = queries.development_plans(session, [pk(p) for p in team], [year - 1, year])
    lines = [heading("Your team")]
    label = year_label(year, config.year.start_month)
    for person in team:
        done = f"{label}: {quarters(session, pk(person), year, quarter)}"
        plan = plans.get(pk(person))
        items = dues.get(pk(person), [])
        if plan is not None and plan.status is PlanStatus.PROMPTED:  # F10: before anything
            what = "Development plan to draw up, after two Partially Met quarters"
            button: Button | None = Button("development_plan", "Record the plan", str(person.id))
        elif items:
            what, button = _team_action(items[0])
            if more := sum(1 for i in items[1:] if i.overdue):
                what += f" (and {more} more overdue)"
        else:
            what, button = "Nothing due", None
        lines.append((f"*{person.name}* · {done}\n{what}", button))
    return lines


def _countersigning(session: Session, ctx: Context, config: DepartmentConfig) -> list[Line]:
    """F23: write-ups the job holder has agreed that wait for this officer's countersignature."""
    people = countersigned(session, ctx.person_id)
    if not people:
        return []
    year = this_year(ctx, config)
    waiting = queries.write_ups_to_countersign(session, [pk(p) for p in people], [year - 1, year])
    if not waiting:
        return []
    names = {pk(p): p.name for p in people}
    lines = [heading("To countersign")]
    for write_up in waiting:
        stage = write_up.stage.value.replace("_", "-")
        lines.append(
            (
                f"{names.get(write_up.person_id, 'Someone')}'s {stage} write-up, "
                f"{year_label(write_up.year, config.year.start_month)}",
                Button(
                    agreement.READ,
                    "Read it",
                    f"{write_up.person_id}:{write_up.stage.value}:{write_up.year}",
                ),
            )
        )
    return lines


# --- the person's own year ---------------------------------------------------------------------
def _self_assessment(item: Due, config: DepartmentConfig, year: int) -> Line:
    """Theirs to write: 'Your end-year self-assessment for 2026-27, overdue since ...'."""
    which = f" for {year_label(item.year, config.year.start_month)}" if item.year != year else ""
    return (
        f"Your {item.stage} self-assessment{which}, {_by(item)}",
        Button("self_assessment", "Write it", f"{item.subject_id}:{item.stage}"),
    )


def _under_performance(ratings: dict[int, Rating], plan: DevelopmentPlan | None) -> str | None:
    """F10: what a Partially Met means and what happens next, in the job holder's terms."""
    if not ratings or ratings[max(ratings)] is not Rating.PARTIALLY_MET:
        return None
    if plan is not None and plan.status is PlanStatus.AGREED:
        review = f" Its review is on {day_words(plan.review_on)}." if plan.review_on else ""
        return (
            "Your latest rating is Partially Met. You and your line manager have a development "
            f"plan.{review} Keep adding evidence of progress against it."
        )
    if plan is not None:
        return (
            "Your latest rating is Partially Met, for the second quarter running. Your line "
            "manager will agree a development plan with you and set a date to review it."
        )
    return (
        "Your latest rating is Partially Met. This is a prompt for support, not formal action: "
        "talk to your line manager about what would help, and add evidence as you make progress."
    )


def _own(session: Session, ctx: Context, config: DepartmentConfig, person: Person) -> list[Line]:
    year = this_year(ctx, config)
    me_id = pk(person)
    lines = [heading(f"Your year, {year_label(year, config.year.start_month)}")]
    mine = due(session, config, today(ctx, config), [person], Recipient.SELF).get(me_id, [])
    objectives_due = next((i for i in mine if i.kind is Kind.OBJECTIVES), None)
    lines += [_self_assessment(i, config, year) for i in mine if i.kind is Kind.SELF_ASSESSMENT]
    for write_up in queries.write_ups_to_agree(session, me_id, [year - 1, year]):
        stage = write_up.stage.value.replace("_", "-")
        lines.append(
            (
                f"Your line manager's {stage} write-up waits for you to agree it or comment",
                Button(
                    agreement.READ, "Read it", f"{me_id}:{write_up.stage.value}:{write_up.year}"
                ),
            )
        )
    rated_year, upto = _rated_year(ctx, config)
    ratings = quarter_ratings(session, me_id, rated_year)
    plan = queries.development_plans(session, [me_id], [year - 1, year]).get(me_id)
    label = year_label(rated_year, config.year.start_month)
    rated = f"Indicative ratings, {label}: {quarters_text(ratings, upto)}"
    if advice := _under_performance(ratings, plan):
        rated += f"\n{advice}"
    elif plan is not None and plan.status is PlanStatus.AGREED:  # F10: until it is closed
        review = f", with its review on {day_words(plan.review_on)}" if plan.review_on else ""
        rated += f"\nYou have a development plan agreed with your line manager{review}."
    lines.append((rated, None))
    released = next((y for y in (year, year - 1) if outcome_release(session, y)), None)
    if released is not None:  # F26: nothing moderated shows before HR releases the year
        outcome = final_outcome(session, person, released)
        label = year_label(released, config.year.start_month)
        lines.append(
            (
                f"Final rating for {label}: {outcome.rating.label if outcome else 'none recorded'}",
                None,
            )
        )
    lines.append(_objectives_line(session, config, me_id, year, objectives_due))
    count = queries.evidence_count(session, me_id, year)
    target = config.reminders.evidence_thin_below_items
    short = f" (aim for at least {target})" if count < target else ""
    lines.append(
        (
            f"Evidence this year: {count} {'item' if count == 1 else 'items'}{short}",
            Button(evidence.PORTFOLIO, "Your evidence")
            if count
            else Button("open_evidence", "Add evidence"),
        )
    )
    return lines


def _objectives_line(
    session: Session, config: DepartmentConfig, me_id: int, year: int, task: Due | None
) -> Line:
    """F11: how many, what is missing, whether agreed - and by when, while that is open."""
    records = queries.objective_records(session, me_id, year)
    missing = missing_headings([r.objective.heading for r in records])
    agreed = objectives_agreement(session, me_id, year)
    said = f"Objectives: {len(records)} live"
    if missing:
        said += f"; still needed: {headings_words(missing)}"
    elif agreed is not None and agreed.agreed_at is not None:
        said += f"; agreed on {when(config, agreed.agreed_at)}"
    else:
        said += "; not yet agreed by your line manager"
    if task is not None:
        said += f"\nTo be agreed with your line manager, {_by(task)}"
    if not records:
        return said, Button("objectives", "Add an objective", str(me_id), "primary")
    return said, Button(objective_record.LIST, "Your objectives")


# --- HR ------------------------------------------------------------------------------------
def _year_in_moderation(session: Session, config: DepartmentConfig, on: date) -> int | None:
    """The year that has ended and whose moderation is not done (released), until the autumn
    return it feeds; None once it is (then HR watches the new year's quarters)."""
    year = performance_year_of(on, config.year.start_month) - 1
    if outcome_release(session, year) is not None or not queries.year_has_ratings(session, year):
        return None  # released, or a year perfbot never ran
    return year if on <= milestone_dates(config, year)[Milestone.CABINET_OFFICE_RETURN] else None


def _completion(session: Session, ctx: Context, config: DepartmentConfig) -> list[Line]:
    """The closing year's completion until its moderation is done, then this quarter's."""
    closing = _year_in_moderation(session, config, today(ctx, config))
    if closing is not None:
        year, title = closing, "Closing the year"
        table = "\n".join(
            f"• {unit}: Q4 rated {c.q4_rated}/{c.people} · end-year write-ups "
            f"{c.written}/{c.people} · moderated {c.moderated}/{c.people}"
            for unit, c in closing_year_by_business_unit(session, year=closing).items()
        )
    else:
        year, quarter = this_year(ctx, config), this_quarter(ctx, config)
        title = f"Completion by business unit, Q{quarter}"
        table = "\n".join(
            f"• {unit}: {done}/{total} rated for Q{quarter}"
            for unit, (done, total) in completion_by_business_unit(
                session, year=year, quarter=quarter
            ).items()
        )
    return [
        heading(f"{title} {year_label(year, config.year.start_month)}"),
        (
            table or "No one is in the roster yet.",
            Button("get_workbook", "Get the workbook", str(year)),
        ),
    ]


def _hr(session: Session, ctx: Context, config: DepartmentConfig) -> list[Line]:
    lines = _completion(session, ctx, config)
    if n := queries.unreachable_count(session):
        named = "; ".join(
            f"{p.name} ({INSTALL_OUTCOMES[p.why]})" if p.why else p.name
            for p in queries.unreachable_people(session, first=UNREACHED_NAMED)
        )
        if n > UNREACHED_NAMED:
            named += f"; and {n - UNREACHED_NAMED} more (the workbook lists everyone)"
        lines.append(
            (
                f"{n} {'person has' if n == 1 else 'people have'} no chat with perfbot in Slack "
                f"or Teams yet, so no reminder can reach them: {named}.",
                None,
            )
        )
    n, first = queries.unreached_people(
        session, ctx.now - timedelta(days=30), first=UNREACHED_NAMED
    )
    if n:
        names = ", ".join(first)
        if n > UNREACHED_NAMED:
            names += f" and {n - UNREACHED_NAMED} more"
        lines.append(
            (
                f"{n} {'person' if n == 1 else 'people'} could not be sent a reminder in the last "
                f"30 days (no Slack or Teams account linked, or it failed): {names}.",
                None,
            )
        )
    if unreleased := queries.unreleased_moderated_year(session):
        label = year_label(unreleased[0], config.year.start_month)
        n = unreleased[1]
        lines.append(
            (
                f"Final ratings for {label}: {n} moderated "
                f"{'rating is' if n == 1 else 'ratings are'} recorded and not yet released. "
                "Job holders see none of them until you release the year with "
                "`perfbot moderation release`.",
                None,
            )
        )
    if cst := queries.awards_awaiting_cst(session):
        lines.append(
            (
                f"{cst} in-year {'award waits' if cst == 1 else 'awards wait'} for the Chief "
                "Secretary's approval; record it with `perfbot awards chief-secretary`.",
                None,
            )
        )
    return lines


def home(session: Session, ctx: Context, config: DepartmentConfig) -> Message:
    person = me(session, ctx)
    team = reports(session, ctx.person_id)
    items = _decisions(session, ctx, config, person)
    items += _team(session, ctx, config, team)
    items += _countersigning(session, ctx, config)
    if person.is_hr:
        items += _hr(session, ctx, config)
    items += _own(session, ctx, config, person)
    tools = []
    if team:
        tools.append(Button("open_rate", "Rate a report"))
    if team or countersigned(session, ctx.person_id):
        tools.append(Button("open_award", "Nominate an award"))
    tools += [
        Button("open_evidence", "Add evidence"),
        Button("open_write_up", "Write-up"),
        Button("status", "Status"),
    ]
    hello = f"Hello {person.name}. Here is what needs you next, and by when."
    if queries.demo_people(session):
        hello = (
            "DEMO: the people here are the fictional demo department, not real records. " + hello
        )
    return Message(
        title="perfbot",
        text=hello,
        items=tuple(items),
        buttons=tuple(tools),
    )
