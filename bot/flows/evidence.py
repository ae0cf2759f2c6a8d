"""Evidence for your portfolio (F14), against a minimum standard or one of your objectives.
"Save as evidence" on a chat message opens this form with the message filled in."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.flows.common import actor, call, this_year, value_text
from bot.flows.model import Context, Field, Form, FormErrors, Message, Option
from store import queries
from store.config import DepartmentConfig
from store.framework import EVIDENCE_MAX_CHARS, MinimumStandard
from store.services import add_evidence

FLOW = "evidence"
FIELDS = ("target", "text", "link")


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


def open_form(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    *,
    text: str | None = None,
    link: str | None = None,
    source_ref: str | None = None,
) -> Form:
    year = this_year(ctx, config)
    return Form(
        FLOW,
        "Add evidence",
        "Save evidence",
        (
            Field(
                "target", "Evidence for", "choice", options=targets(session, ctx.person_id, year)
            ),
            Field(
                "text",
                "What it shows",
                "text",
                multiline=True,
                max_length=EVIDENCE_MAX_CHARS,
                initial=(text or "")[:EVIDENCE_MAX_CHARS] or None,
            ),
            Field(
                "link",
                "Link",
                "text",
                required=False,
                initial=link,
                hint="Optional: a document or the message this came from.",
            ),
        ),
        {"year": year, "source_ref": source_ref},
    )


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    target = value_text(values, "target")
    kind, _, ref = target.partition(":")
    if kind not in ("standard", "objective") or not ref:
        raise FormErrors({"target": "Choose a minimum standard or an objective."})
    standard = ref if kind == "standard" else None
    try:
        objective_id = int(ref) if kind == "objective" else None
    except ValueError:
        raise FormErrors({"target": "Choose a minimum standard or an objective."}) from None
    item = call(
        add_evidence,
        FIELDS,
        "text",
        aliases={"objective": "target", "standard": "target"},
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=ctx.person_id,
        text=value_text(values, "text"),
        link=value_text(values, "link") or None,
        standard=standard,
        objective_id=objective_id,
        source_ref=state.get("source_ref"),
        now=ctx.now,
        year=state.get("year"),
    )
    label = MinimumStandard(item.standard).label if item.standard else "your objective"
    return Message(title="Evidence saved", text=f"Saved to your portfolio against {label}.")
