"""Objectives through the year (F11-F13, F17): see them, revise one (the original is kept),
close one with a reason, add milestones, and - for the line manager - mark a milestone met,
which offers an award nomination for it (the milestone pilot)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from bot.flows.common import actor, call, me, this_year, value_text, when
from bot.flows.model import Button, Context, Field, Form, FormErrors, Message, Note
from store import queries
from store.config import DepartmentConfig
from store.errors import InvalidInput, PermissionDenied
from store.framework import (
    NOTE_MAX_CHARS,
    OBJECTIVES_MAX_LIVE,
    headings_words,
    missing_headings,
    year_label,
)
from store.models import Objective, ObjectiveMilestone, Person
from store.services import (
    add_milestone,
    close_objective,
    objectives_agreement,
    record_milestone_met,
    revise_objective,
)

LIST = "objectives_list"  # button: the objectives, one message each
MILESTONES = "milestones_list"  # button: an objective's milestones, one message each
AWARD = "award_milestone"  # button: nominate an award for a milestone met (F17)
REVISE, CLOSE, MILESTONE, MET = (
    "objective_revise",
    "objective_close",
    "milestone_add",
    "milestone_met",
)
REVISE_FLOW, CLOSE_FLOW, MILESTONE_FLOW = REVISE, CLOSE, MILESTONE
OUT_OF_DATE = "This button is out of date. Open the latest message and try again."
MILESTONE_TITLE_MAX = 300


def _subject(session: Session, ctx: Context, person_id: int | None, doing: str = "see") -> Person:
    """The owner of the objectives: the presser, or a report of theirs."""
    person = me(session, ctx) if person_id is None else queries.person(session, person_id)
    if person is None:
        raise InvalidInput(OUT_OF_DATE)
    if person.id != ctx.person_id and person.line_manager_id != ctx.person_id:
        raise PermissionDenied(
            f"You can't {doing} {person.name}'s objectives - only they and their line manager can."
        )
    return person


def _objective(session: Session, ctx: Context, value: str, doing: str) -> tuple[Objective, Person]:
    objective = queries.objective(session, int(value)) if value.isdigit() else None
    if objective is None:
        raise InvalidInput(OUT_OF_DATE)
    return objective, _subject(session, ctx, objective.person_id, doing)


def objective_message(
    config: DepartmentConfig, record: queries.ObjectiveRecord, number: int
) -> Message:
    """One objective in full, with Revise, Close and its milestones."""
    objective, latest = record.objective, record.latest
    # The wording in full, in sections (never cut: it is what was agreed).
    sections = [f"*What*\n{latest.what}", f"*How*\n{latest.how}"]
    if latest.measure:
        sections.append(f"*Measure of success*\n{latest.measure}")
    summary = [f"Set on {when(config, objective.created_at)}"]
    if record.revisions > 1:
        times = "once" if record.revisions == 2 else f"{record.revisions - 1} times"
        summary.append(f"revised {times}")
        sections.append(
            f"*Why it was last revised, {when(config, latest.created_at)}*\n{latest.reason}"
        )
    count = len(record.milestones)
    done = sum(1 for m in record.milestones if m.met_on is not None)
    summary.append(
        f"{count or 'no'} milestone{'s' if count != 1 else ''}" + (f", {done} met" if count else "")
    )
    value = str(objective.id)
    return Message(
        title=f"Objective {number}: {objective.heading.label}",
        text=" · ".join(summary) + ".",
        sections=tuple(sections),
        buttons=(
            Button(REVISE, "Revise", value),
            Button(CLOSE, "Close", value),
            Button(MILESTONES, "Milestones", value),
        ),
    )


def milestone_message(
    session: Session, ctx: Context, config: DepartmentConfig, milestone: ObjectiveMilestone,
    owner: Person,
) -> Message:  # fmt: skip
    """F17: one milestone; the line manager marks it met, then may nominate an award for it."""
    due = milestone.due_on
    manager = owner.line_manager_id == ctx.person_id
    buttons: tuple[Button, ...] = ()
    if milestone.met_on is None:
        text = f"Due by {due.day} {due:%B %Y}."
        if manager:
            buttons = (Button(MET, "Mark it met", str(milestone.id), "primary"),)
    else:
        met = milestone.met_on
        by = queries.name_of(session, milestone.met_recorded_by_id, "the line manager")
        text = f"Met on {met.day} {met:%B %Y}, confirmed by {by}."
        award = queries.milestone_award(session, milestone.id or 0)
        if award is not None:
            text += f" An award was nominated for it ({award.status.label.lower()})."
        elif manager and not owner.poor_performance_measures:
            buttons = (
                Button(AWARD, "Nominate an award for this milestone", str(milestone.id), "primary"),
            )
    return Message(title=f"Milestone: {milestone.title}", text=text, buttons=buttons)


def milestones(
    session: Session, ctx: Context, config: DepartmentConfig, value: str
) -> tuple[Message, ...]:
    """F17: an objective's milestones, one message each, after the way to add one."""
    objective, owner = _objective(session, ctx, value, "see")
    record, number = _record(session, objective)
    count = len(record.milestones)
    summary = Message(
        title=f"Milestones on objective {number}",
        text=f"{count} milestone{'s' if count != 1 else ''}." if count else "No milestones yet.",
        sections=(record.latest.what,),
        buttons=(Button(MILESTONE, "Add a milestone", str(objective.id)),),
    )
    return (
        summary,
        *(milestone_message(session, ctx, config, m, owner) for m in record.milestones),
    )


def overview(
    session: Session, ctx: Context, config: DepartmentConfig, person_id: int | None
) -> tuple[Message, ...]:
    """The live objectives, one message each, after a summary: how many, what is missing
    before they can be agreed (F11), and whether they are agreed."""
    owner = _subject(session, ctx, person_id)
    year = this_year(ctx, config)
    records = queries.objective_records(session, owner.id or 0, year)
    yours = owner.id == ctx.person_id
    whose = "Your" if yours else f"{owner.name}'s"
    missing = missing_headings([r.objective.heading for r in records])
    agreed = objectives_agreement(session, owner.id or 0, year)
    lines = [f"{len(records)} live (three to six is usual; at most {OBJECTIVES_MAX_LIVE})."]
    if missing:
        lines.append(f"Still needed before they can be agreed: {headings_words(missing)}.")
    elif agreed is not None and agreed.agreed_at is not None:
        by = queries.name_of(session, agreed.agreed_by_id, "the line manager")
        by = "you" if agreed.agreed_by_id == ctx.person_id else by
        lines.append(f"Agreed by {by} on {when(config, agreed.agreed_at)}.")
    else:
        lines.append("Not yet agreed by the line manager.")
    buttons = [Button("objectives", "Add an objective", str(owner.id))]
    if not missing and agreed is None and owner.line_manager_id == ctx.person_id:
        buttons.insert(
            0, Button("objectives_agree", "Agree these objectives", str(owner.id), "primary")
        )
    summary = Message(
        title=f"{whose} objectives, {year_label(year, config.year.start_month)}",
        text=" ".join(lines),
        buttons=tuple(buttons),
    )
    return (
        summary,
        *(objective_message(config, r, n) for n, r in enumerate(records, 1)),
    )


def _record(session: Session, objective: Objective) -> tuple[queries.ObjectiveRecord, int]:
    records = queries.objective_records(session, objective.person_id, objective.year)
    for number, record in enumerate(records, 1):
        if record.objective.id == objective.id:
            return record, number
    raise InvalidInput("This objective is closed; set a new one instead.")


# --- revise (F13) ---------------------------------------------------------------------------
def _text(id: str, label: str, initial: str | None = None, *, required: bool = True) -> Field:
    return Field(id, label, "text", required=required, multiline=True,
                 max_length=NOTE_MAX_CHARS, initial=initial)  # fmt: skip


def open_revise(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Form:
    objective, _owner = _objective(session, ctx, value, "revise")
    record, number = _record(session, objective)
    latest = record.latest
    return Form(
        REVISE_FLOW,
        "Revise an objective",
        "Save revision",
        (
            Note(
                f"Objective {number} ({objective.heading.label}). The wording so far is kept "
                "beside the new one."
            ),
            _text("what", "What you will deliver", latest.what),
            _text("how", "How you will deliver it", latest.how),
            _text("measure", "How success is measured", latest.measure, required=False),
            _text("reason", "Why it changes"),
        ),
        {"objective_id": objective.id},
    )  # fmt: skip


def _changed(
    session: Session, ctx: Context, owner: Person, text: str, title: str, was_agreed: bool
) -> Message:
    """F11: a change to an agreed set reopens it - who is asked to agree it again."""
    again = ""
    if was_agreed and owner.line_manager_id not in (None, ctx.person_id):
        again = " Your line manager has been asked to agree your objectives again."
    elif was_agreed and owner.id != ctx.person_id:
        again = f" Agree {owner.name}'s objectives again when the set is right."
    return Message(
        title=title,
        text=text + again,
        buttons=(Button(LIST, "See the objectives", str(owner.id)),),
    )


def submit_revise(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    objective, owner = _objective(session, ctx, str(state.get("objective_id") or ""), "revise")
    was_agreed = objectives_agreement(session, owner.id or 0, objective.year) is not None
    call(
        revise_objective,
        ("what", "how", "measure", "reason"),
        "what",
        session=session,
        actor=actor(ctx),
        objective_id=objective.id,
        what=value_text(values, "what"),
        how=value_text(values, "how"),
        measure=value_text(values, "measure") or None,
        reason=value_text(values, "reason"),
        now=ctx.now,
    )
    return _changed(
        session, ctx, owner, "Revision saved; the earlier wording is kept.", "Objective revised",
        was_agreed,
    )  # fmt: skip


# --- close (F12) ----------------------------------------------------------------------------
def open_close(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Form:
    objective, _owner = _objective(session, ctx, value, "close")
    record, number = _record(session, objective)
    return Form(
        CLOSE_FLOW,
        "Close an objective",
        "Close it",
        (
            Note(f"Objective {number}: {record.latest.what}"),
            _text("reason", "Why it closes"),
        ),
        {"objective_id": objective.id},
    )  # fmt: skip


def submit_close(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    objective, owner = _objective(session, ctx, str(state.get("objective_id") or ""), "close")
    was_agreed = objectives_agreement(session, owner.id or 0, objective.year) is not None
    call(
        close_objective,
        ("reason",),
        "reason",
        session=session,
        actor=actor(ctx),
        objective_id=objective.id,
        reason=value_text(values, "reason"),
        now=ctx.now,
    )
    return _changed(
        session,
        ctx,
        owner,
        "Objective closed. Its history stays on the record.",
        "Objective closed",
        was_agreed,
    )


# --- milestones (F17) ------------------------------------------------------------------------
def open_milestone(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Form:
    objective, _owner = _objective(session, ctx, value, "add milestones to")
    record, number = _record(session, objective)
    return Form(
        MILESTONE_FLOW,
        "Add a milestone",
        "Add milestone",
        (
            Note(f"Objective {number}: {record.latest.what}"),
            Field("title", "Milestone", "text", max_length=MILESTONE_TITLE_MAX,
                  hint="A point your line manager can confirm, such as 'Business case approved'."),
            Field("due_on", "Due by", "date"),
        ),
        {"objective_id": objective.id},
    )  # fmt: skip


def submit_milestone(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    objective, owner = _objective(
        session, ctx, str(state.get("objective_id") or ""), "add milestones to"
    )
    try:
        due = date.fromisoformat(value_text(values, "due_on"))
    except ValueError:
        raise FormErrors({"due_on": "Give the date it is due by."}) from None
    milestone = call(
        add_milestone,
        ("title", "due_on"),
        "title",
        session=session,
        actor=actor(ctx),
        objective_id=objective.id,
        title=value_text(values, "title"),
        due_on=due,
        now=ctx.now,
    )
    manager = "you" if owner.line_manager_id == ctx.person_id else "your line manager"
    return Message(
        title="Milestone added",
        text=f"'{milestone.title}' is due by {due.day} {due:%B %Y}. When it is met, {manager} "
        "can mark it met from the objective.",
        buttons=(Button(LIST, "See the objectives", str(owner.id)),),
    )


def mark_met(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Message:
    """F17: the line manager confirms a milestone met; its message then offers a nomination."""
    milestone = queries.milestone(session, int(value)) if value.isdigit() else None
    if milestone is None:
        raise InvalidInput(OUT_OF_DATE)
    objective = queries.objective(session, milestone.objective_id)
    assert objective is not None
    owner = _subject(session, ctx, objective.person_id, "confirm milestones on")
    _record(session, objective)  # a closed objective's milestones are history
    record_milestone_met(
        session, config=config, actor=actor(ctx), milestone_id=milestone.id or 0, now=ctx.now
    )
    return milestone_message(session, ctx, config, milestone, owner)
