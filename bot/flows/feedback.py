"""360 feedback respondents (F24): the job holder proposes them (colleagues by work email,
people outside the department by name); the line manager agrees or removes each one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.flows.common import actor, call, me, this_year, value_text, when
from bot.flows.model import Button, Context, Field, Form, Message, Note, Option
from store import queries
from store.config import DepartmentConfig
from store.errors import InvalidInput, PermissionDenied
from store.framework import year_label
from store.models import FeedbackRespondent, Person
from store.services import (
    RELATIONSHIPS,
    agree_respondent,
    live_respondents,
    propose_respondent,
    remove_respondent,
)

LIST, PROPOSE, AGREE, REMOVE = (
    "respondents_list",
    "respondent_propose",
    "respondent_agree",
    "respondent_remove",
)
FLOW = "respondent"
FIELDS = ("respondent", "relationship")
OUT_OF_DATE = "This button is out of date. Open the latest message and try again."


def _owner(session: Session, ctx: Context, person_id: int | None) -> Person:
    person = me(session, ctx) if person_id is None else queries.person(session, person_id)
    if person is None:
        raise InvalidInput(OUT_OF_DATE)
    if person.id != ctx.person_id and person.line_manager_id != ctx.person_id:
        raise PermissionDenied(
            f"You can't see {person.name}'s 360 respondents - only they and their line manager can."
        )
    return person


def respondent_message(
    session: Session, ctx: Context, config: DepartmentConfig, row: FeedbackRespondent,
    owner: Person,
) -> Message:  # fmt: skip
    """One respondent, where it stands, and the buttons its reader may press."""
    manager = owner.line_manager_id == ctx.person_id
    outside = "" if row.respondent_person_id else " (outside the department)"
    if row.removed_at is not None:
        by = queries.name_of(session, row.removed_by_id, "someone")
        standing = f"Removed by {'you' if row.removed_by_id == ctx.person_id else by}."
    elif row.agreed_at is not None:
        standing = f"Agreed on {when(config, row.agreed_at)}."
    else:
        standing = "Waiting for the line manager to agree."
    value = str(row.id)
    buttons: tuple[Button, ...] = ()
    if row.removed_at is None and manager:
        buttons = (
            *((Button(AGREE, "Agree", value, "primary"),) if row.agreed_at is None else ()),
            Button(REMOVE, "Remove", value),
        )
    elif row.removed_at is None and row.agreed_at is None and owner.id == ctx.person_id:
        buttons = (Button(REMOVE, "Withdraw", value),)
    return Message(
        title=f"360 respondent: {row.respondent}",
        text=f"{row.relationship}{outside}. {standing}",
        buttons=buttons,
    )


def overview(
    session: Session, ctx: Context, config: DepartmentConfig, person_id: int | None
) -> tuple[Message, ...]:
    """The year's respondents, one message each, after a summary with the way to add one."""
    owner = _owner(session, ctx, person_id)
    year = this_year(ctx, config)
    rows = live_respondents(session, owner.id or 0, year)
    agreed = sum(1 for r in rows if r.agreed_at is not None)
    yours = owner.id == ctx.person_id
    if not rows:
        text = "No respondents yet." + (
            " Propose the colleagues and stakeholders who can give feedback on your year."
            if yours
            else f" {owner.name} proposes them; you agree them."
        )
    else:
        waiting = len(rows) - agreed
        text = f"{agreed} agreed" + (
            f", {waiting} waiting for the line manager." if waiting else "."
        )
    whose = "Your" if yours else f"{owner.name}'s"
    summary = Message(
        title=f"{whose} 360 respondents, {year_label(year, config.year.start_month)}",
        text=text,
        buttons=(Button(PROPOSE, "Propose a respondent"),) if yours else (),
    )
    return summary, *(respondent_message(session, ctx, config, r, owner) for r in rows)


def open_form(session: Session, ctx: Context, config: DepartmentConfig, _value: str = "") -> Form:
    return Form(
        FLOW,
        "Propose a respondent",
        "Propose",
        (
            Note(
                "Your line manager agrees each respondent. Their 360 feedback then counts in "
                "your end-year write-up."
            ),
            Field(
                "respondent",
                "Who",
                "text",
                max_length=200,
                hint="A colleague's work email, or the name and organisation of someone "
                "outside the department.",
            ),
            Field(
                "relationship",
                "How they know your work",
                "choice",
                options=tuple(Option(r, r) for r in RELATIONSHIPS),
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
    row = call(
        propose_respondent,
        FIELDS,
        "respondent",
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=ctx.person_id,
        respondent=value_text(values, "respondent"),
        relationship=value_text(values, "relationship"),
        now=ctx.now,
        year=state.get("year"),
    )
    return Message(
        title="Respondent proposed",
        text=f"{row.respondent} is proposed. Your line manager will be asked to agree.",
        buttons=(Button(LIST, "See your respondents"),),
    )


def _row(session: Session, value: str) -> FeedbackRespondent:
    row = queries.respondent(session, int(value)) if value.isdigit() else None
    if row is None:
        raise InvalidInput(OUT_OF_DATE)
    return row


def agree(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Message:
    row = agree_respondent(session, actor=actor(ctx), respondent_id=_row(session, value).id or 0,
                           now=ctx.now)  # fmt: skip
    return respondent_message(session, ctx, config, row, _owner(session, ctx, row.person_id))


def remove(session: Session, ctx: Context, config: DepartmentConfig, value: str) -> Message:
    row = remove_respondent(session, actor=actor(ctx), respondent_id=_row(session, value).id or 0,
                            now=ctx.now)  # fmt: skip
    return respondent_message(session, ctx, config, row, _owner(session, ctx, row.person_id))
