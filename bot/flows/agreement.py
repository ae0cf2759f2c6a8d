"""Agreeing a write-up (F23, Annex B): the job holder reads the manager's assessment - at
end-year with the recommendation and the gates - and agrees it or adds a comment; then the
countersigning officer countersigns. Each party sees where it stands."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.flows.common import actor, call, value_text, when
from bot.flows.model import Button, Context, Field, Form, Message
from store import queries
from store.config import DepartmentConfig
from store.errors import InvalidInput, PermissionDenied
from store.framework import NOTE_MAX_CHARS, Stage
from store.models import Person, WriteUp
from store.services import (
    agree_write_up,
    comment_on_write_up,
    end_year_gates,
    gated_recommendation,
)

READ, AGREE, COMMENT = "write_up_read", "write_up_agree", "write_up_comment"
COMMENT_FLOW = "write_up_comment"
OUT_OF_DATE = "This button is out of date. Open the latest message and try again."


def parse(value: str) -> tuple[int, Stage, int]:
    """A button value "<person id>:<stage>:<year>"."""
    parts = (value or "").split(":")
    try:
        subject, stage, year = int(parts[0]), Stage(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        raise InvalidInput(OUT_OF_DATE) from None
    return subject, stage, year


def _role(session: Session, ctx: Context, subject: Person) -> str:
    """Who is reading: the job holder, their line manager or countersigning officer."""
    if ctx.person_id == subject.id:
        return "job_holder"
    if ctx.person_id == subject.line_manager_id:
        return "line_manager"
    if ctx.person_id == subject.countersigning_id:
        return "countersigning"
    raise PermissionDenied(
        f"You can't read {subject.name}'s write-up - only they, their line manager and their "
        "countersigning officer can."
    )


def _standing(
    config: DepartmentConfig, row: WriteUp, subject: Person, cso: str | None, role: str
) -> str:
    """Where the agreement stands, in one line (the job holder reads "you")."""
    parts = [f"Written by the line manager on {when(config, row.manager_assessed_at)}"]
    who = "you" if role == "job_holder" else subject.name
    if row.job_holder_agreed_at:
        parts.append(f"agreed by {who} on {when(config, row.job_holder_agreed_at)}")
    else:
        parts.append(f"waiting for {who} to agree it")
    if cso is None:
        parts.append("no countersigning officer in the roster")
    elif row.countersigned_at:
        parts.append(f"countersigned by {cso} on {when(config, row.countersigned_at)}")
    elif row.job_holder_agreed_at:
        parts.append(f"waiting for {cso} to countersign it")
    return "; ".join(parts) + "."


def view(
    session: Session, ctx: Context, config: DepartmentConfig, subject_id: int, stage: Stage,
    year: int,
) -> Message:  # fmt: skip
    """The write-up as its reader needs it, with the buttons that reader may press."""
    subject = queries.person(session, subject_id)
    if subject is None:
        raise InvalidInput(OUT_OF_DATE)
    role = _role(session, ctx, subject)
    row = queries.write_up(session, subject_id, year, stage.value)
    if row is None or row.manager_assessed_at is None:
        return Message(f"{subject.name}'s {stage.label.lower()} assessment has not been written.")
    cso = queries.name_of(session, subject.countersigning_id, "") or None
    # The assessment in full (never cut: it is what the job holder agrees to).
    sections = [
        f"*What was delivered*\n{row.manager_what or ''}",
        f"*How (behaviours)*\n{row.manager_how or ''}",
    ]
    whose = "Your" if role == "job_holder" else f"{subject.name}'s"
    if row.self_assessment:
        sections.append(f"*{whose} self-assessment*\n{row.self_assessment}")
    if row.job_holder_comment:
        said = when(config, row.job_holder_commented_at)
        sections.append(f"*{whose} comment, {said}*\n{row.job_holder_comment}")
    facts: list[tuple[str, str]] = []
    if stage is Stage.END_YEAR:
        facts += _end_year_facts(session, row, subject_id, year)
    facts.append(("Where it stands", _standing(config, row, subject, cso, role)))
    value = f"{subject_id}:{stage.value}:{year}"
    buttons: tuple[Button, ...] = ()
    if role == "job_holder" and row.job_holder_agreed_at is None:
        buttons = (
            Button(AGREE, "Agree", value, "primary"),
            Button(COMMENT, "Add a comment", value),
        )
    elif role == "countersigning" and row.job_holder_agreed_at and not row.countersigned_at:
        buttons = (Button(AGREE, "Countersign", value, "primary"),)
    elif role == "line_manager" and row.job_holder_agreed_at is None:
        buttons = (Button("write_up", "Revise it", f"{subject_id}:{stage.value}"),)
    return Message(
        title=f"{whose} {stage.label.lower()} write-up",
        text=f"The line manager's {stage.label.lower()} assessment"
        + (f" of {subject.name}." if role != "job_holder" else " of you."),
        facts=tuple(facts),
        buttons=buttons,
        sections=tuple(sections),
    )


def _end_year_facts(
    session: Session, row: WriteUp, subject_id: int, year: int
) -> list[tuple[str, str]]:
    """F7-F9: the recommendation, the gates and what they leave; 360 feedback."""
    facts = []
    if row.recommended_rating is not None:
        facts.append(("Recommendation", row.recommended_rating.label))
    results, finance_met = end_year_gates(session, subject_id, year)
    gated = gated_recommendation(session, subject_id, year)
    words = {True: "met", False: "not met", None: "not assessed"}
    standards = ", ".join(f"{s.label}: {words[met]}" for s, met in results.items())
    facts.append(("Minimum standards", standards))
    facts.append(("Finance/efficiency objective", words[finance_met]))
    if gated is not None and gated.changed:
        facts.append(("After the gates", f"{gated.rating.label}: " + "; ".join(gated.reasons)))
    facts.append(("360 feedback undertaken", "Yes" if row.feedback_360 else "No"))
    return facts


def agree(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Message:
    """F23: the job holder agrees, or the countersigning officer countersigns (the service
    decides which from who presses, and refuses anyone else)."""
    subject_id, stage, year = parse(value)
    agree_write_up(
        session, config=config, actor=actor(ctx), subject_id=subject_id, stage=stage,
        now=ctx.now, year=year,
    )  # fmt: skip
    return view(session, ctx, config, subject_id, stage, year)


def open_comment(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Form:
    subject_id, stage, year = parse(value)
    if subject_id != ctx.person_id:
        raise PermissionDenied("Only the job holder can comment on their own write-up.")
    return Form(
        COMMENT_FLOW,
        "Add a comment",
        "Save comment",
        (
            Field(
                "comment",
                "Your comment on the assessment",
                "text",
                multiline=True,
                max_length=NOTE_MAX_CHARS,
                hint="Your line manager will see it, and it is kept beside the write-up.",
            ),
        ),
        {"subject": subject_id, "stage": stage.value, "year": year},
    )


def submit_comment(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    call(
        comment_on_write_up,
        ("comment",),
        "comment",
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=state["subject"],
        stage=state["stage"],
        comment=value_text(values, "comment"),
        now=ctx.now,
        year=state.get("year"),
    )
    return Message(
        title="Comment saved",
        text="Your comment is kept beside the write-up, and your line manager will be told. "
        "You can still agree the write-up when you are ready.",
    )
