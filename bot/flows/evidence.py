"""Evidence for your portfolio (F14), against a minimum standard or one of your objectives.
"Save as evidence" on a chat message opens the form with the message filled in, and keeps who
wrote it and when. The portfolio lists it all by standard and objective; an item can be edited
or deleted by the person whose portfolio it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.flows.common import actor, call, this_year, value_text, when
from bot.flows.model import Button, Context, Field, Form, FormErrors, Message, Note, Option
from store import queries
from store.config import DepartmentConfig
from store.errors import InvalidInput
from store.framework import EVIDENCE_MAX_CHARS, MinimumStandard, year_label
from store.models import Evidence
from store.services import add_evidence, delete_evidence, update_evidence

FLOW, PICK_FLOW, EDIT_FLOW, DELETE_FLOW = (
    "evidence",
    "evidence_pick",
    "evidence_edit",
    "evidence_delete",
)
PORTFOLIO, CHANGE = "evidence_portfolio", "evidence_change"
FIELDS = ("target", "text", "link")
ALIASES = {"objective": "target", "standard": "target"}
LINE_CHARS = 160  # an item's words in the portfolio list (the item itself is never cut)
PICK_MAX = 100  # Slack's limit on a select's options: the latest items


def targets(session: Session, person_id: int, year: int) -> tuple[Option, ...]:
    """The four minimum standards and the person's live objectives for the year."""
    options = [
        Option(f"standard:{s.value}", f"Minimum standard: {s.label}") for s in MinimumStandard
    ]
    options += [
        Option(f"objective:{oid}", f"Objective: {what}"[:75])
        for oid, what in queries.live_objectives(session, person_id, year)
    ]
    return tuple(options)


def _source(config: DepartmentConfig, author: str | None, posted: datetime | None) -> str:
    said = f" on {when(config, posted, time=True)}" if posted else ""
    return f"From a message by {author}{said}." if author else ""


def _fields(
    session: Session, person_id: int, year: int, item: Evidence | None = None, **given: Any
) -> tuple[Field, ...]:
    target = None
    if item is not None:
        target = f"objective:{item.objective_id}" if item.objective_id else None
        target = target or (f"standard:{item.standard.value}" if item.standard else None)
    return (
        Field("target", "Evidence for", "choice", options=targets(session, person_id, year),
              initial=target),
        Field("text", "What it shows", "text", multiline=True, max_length=EVIDENCE_MAX_CHARS,
              initial=(item.text if item else (given.get("text") or "")[:EVIDENCE_MAX_CHARS])
              or None),
        Field("link", "Link", "text", required=False,
              initial=item.link if item else given.get("link"),
              hint="Optional: a document or the message this came from."),
    )  # fmt: skip


def open_form(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    *,
    text: str | None = None,
    link: str | None = None,
    source_ref: str | None = None,
    source_author: str | None = None,
    source_posted_at: datetime | None = None,
) -> Form:
    year = this_year(ctx, config)
    source = _source(config, source_author, source_posted_at)
    return Form(
        FLOW,
        "Add evidence",
        "Save evidence",
        (
            *((Note(source),) if source else ()),
            *_fields(session, ctx.person_id, year, text=text, link=link),
        ),
        {
            "year": year,
            "source_ref": source_ref,
            "source_author": source_author,
            "source_posted_at": source_posted_at.isoformat() if source_posted_at else None,
        },
    )


def _target(values: dict[str, Any]) -> tuple[str | None, int | None]:
    kind, _, ref = value_text(values, "target").partition(":")
    if kind == "standard" and ref:
        return ref, None
    if kind == "objective" and ref.isdigit():
        return None, int(ref)
    raise FormErrors({"target": "Choose a minimum standard or an objective."})


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    standard, objective_id = _target(values)
    posted = state.get("source_posted_at")
    item = call(
        add_evidence,
        FIELDS,
        "text",
        aliases=ALIASES,
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=ctx.person_id,
        text=value_text(values, "text"),
        link=value_text(values, "link") or None,
        standard=standard,
        objective_id=objective_id,
        source_ref=state.get("source_ref"),
        source_author=state.get("source_author"),
        source_posted_at=datetime.fromisoformat(posted) if posted else None,
        now=ctx.now,
        year=state.get("year"),
    )
    label = MinimumStandard(item.standard).label if item.standard else "your objective"
    return Message(
        title="Evidence saved",
        text=f"Saved to your portfolio against {label}.",
        buttons=(Button(PORTFOLIO, "See your portfolio"),),
    )


# --- the portfolio ----------------------------------------------------------------------------
def _line(config: DepartmentConfig, item: Evidence) -> str:
    words = " ".join(item.text.split())
    if len(words) > LINE_CHARS:
        words = words[: LINE_CHARS - 1].rstrip() + "…"
    source = f", from {item.source_author}'s message" if item.source_author else ""
    return f"• {words} - added {when(config, item.added_at)}{source}"


def portfolio(session: Session, ctx: Context, config: DepartmentConfig) -> Message:
    """F14: the year's evidence, grouped by minimum standard and objective."""
    year = this_year(ctx, config)
    items = queries.evidence_items(session, ctx.person_id, year)
    objectives = dict(queries.live_objectives(session, ctx.person_id, year))
    groups: dict[str, list[str]] = {}
    for standard in MinimumStandard:
        groups[f"Minimum standard: {standard.label}"] = []
    for item in items:
        if item.objective_id is not None:
            what = objectives.get(item.objective_id, "an objective now closed")
            key = f"Objective: {what[:100]}"
        else:
            key = f"Minimum standard: {item.standard.label if item.standard else 'none'}"
        groups.setdefault(key, []).append(_line(config, item))
    count = len(items)
    sections = tuple(
        f"*{key}* ({len(lines)})\n" + "\n".join(lines) for key, lines in groups.items() if lines
    )
    empty = [key.split(": ", 1)[1] for key, lines in groups.items() if not lines]
    text = f"{count} item{'s' if count != 1 else ''}." if count else "No evidence yet."
    if empty and count:
        text += f" Nothing yet for: {', '.join(empty)}."
    buttons = [Button("open_evidence", "Add evidence", "", "primary")]
    if items:
        buttons.append(Button(CHANGE, "Edit or delete an item"))
    return Message(
        title=f"Your evidence, {year_label(year, config.year.start_month)}",
        text=text,
        sections=sections,
        buttons=tuple(buttons),
    )


def open_change(session: Session, ctx: Context, config: DepartmentConfig) -> Form | Message:
    items = queries.evidence_items(session, ctx.person_id, this_year(ctx, config))[-PICK_MAX:]
    if not items:
        return Message("There is no evidence in your portfolio this year to change.")
    options = tuple(
        Option(str(i.id), f"{when(config, i.added_at)}: {' '.join(i.text.split())}"[:75])
        for i in reversed(items)
    )
    return Form(
        PICK_FLOW,
        "Change evidence",
        "Next",
        (
            Field("item", "Which item", "choice", options=options),
            Field(
                "change",
                "What to do",
                "choice",
                options=(Option("edit", "Edit it"), Option("delete", "Delete it")),
                initial="edit",
            ),
        ),
    )


def _own(session: Session, ctx: Context, value: Any, *, picked: bool = False) -> Evidence:
    """One of the presser's own items (chosen in a form, or carried in a form's state)."""
    item = queries.evidence_item(session, int(value)) if str(value).isdigit() else None
    if item is None or item.person_id != ctx.person_id:
        if picked:
            raise FormErrors({"item": "Choose one of your own items."})
        raise InvalidInput("That evidence item no longer exists. Open your portfolio again.")
    return item


def submit_pick(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Form:
    item = _own(session, ctx, values.get("item"), picked=True)
    source = _source(config, item.source_author, item.source_posted_at)
    if value_text(values, "change") == "delete":
        return Form(
            DELETE_FLOW,
            "Delete evidence",
            "Delete it",
            (
                Note("Delete this item from your portfolio? It cannot be brought back."),
                Note(item.text),
            ),
            {"item_id": item.id},
        )
    return Form(
        EDIT_FLOW,
        "Edit evidence",
        "Save changes",
        (
            *((Note(source),) if source else ()),
            *_fields(session, ctx.person_id, item.year, item),
        ),
        {"item_id": item.id},
    )


def submit_edit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    standard, objective_id = _target(values)
    call(
        update_evidence,
        FIELDS,
        "text",
        aliases=ALIASES,
        session=session,
        actor=actor(ctx),
        evidence_id=_own(session, ctx, state.get("item_id")).id,
        text=value_text(values, "text"),
        link=value_text(values, "link") or None,
        standard=standard,
        objective_id=objective_id,
        now=ctx.now,
    )
    return Message(
        title="Evidence updated",
        text="Your changes are saved.",
        buttons=(Button(PORTFOLIO, "See your portfolio"),),
    )


def submit_delete(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    item = _own(session, ctx, state.get("item_id"))
    delete_evidence(session, actor=actor(ctx), evidence_id=item.id or 0, now=ctx.now)
    return Message(
        title="Evidence deleted",
        text="The item is no longer in your portfolio.",
        buttons=(Button(PORTFOLIO, "See your portfolio"),),
    )
