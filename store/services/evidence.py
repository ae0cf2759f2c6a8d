"""The job holder's evidence portfolio (F14)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import InvalidInput, NotFound
from store.framework import MinimumStandard
from store.models import Evidence, Objective
from store.services.base import (
    Actor,
    actor_id,
    audit,
    audited,
    clean_text,
    require_self,
    resolve_year,
    snapshot,
)


def _target(
    session: Session,
    subject_id: int,
    year: int,
    standard: MinimumStandard | str | None,
    objective_id: int | None,
) -> MinimumStandard | None:
    """F14: the minimum standard and/or the person's own objective this year an item is for."""
    parsed = MinimumStandard.parse(standard) if standard not in (None, "") else None
    if objective_id is not None:
        objective = session.get(Objective, objective_id)
        if objective is None or objective.person_id != subject_id or objective.year != year:
            raise InvalidInput("Pick one of your own objectives for this year.", field="objective")
    if parsed is None and objective_id is None:
        raise InvalidInput(
            "Say which minimum standard or objective this evidence supports.", field="target"
        )
    return parsed


def add_evidence(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    subject_id: int,
    text: str,
    now: datetime,
    link: str | None = None,
    standard: MinimumStandard | str | None = None,
    objective_id: int | None = None,
    source_ref: str | None = None,
    source_author: str | None = None,
    source_posted_at: datetime | None = None,
    year: int | None = None,
) -> Evidence:
    """F14: add to your own portfolio, against a minimum standard and/or an objective.

    ``source_ref`` (e.g. a Slack message permalink) makes a repeat save a no-op; a saved
    message keeps who wrote it and when (``source_author``, ``source_posted_at``).
    """
    require_self(session, actor, subject_id, "add evidence")
    text, link = fw.check_evidence(text, link)
    year = resolve_year(session, config, now, year)
    parsed_standard = _target(session, subject_id, year, standard, objective_id)
    source_ref = clean_text(source_ref, "source_ref", required=False, limit=300) or None
    if source_ref is not None:
        existing = session.exec(
            select(Evidence).where(
                Evidence.person_id == subject_id, Evidence.source_ref == source_ref
            )
        ).first()
        if existing is not None:
            return existing  # idempotent: the same message saved twice is one item
    item = Evidence(
        person_id=subject_id,
        year=year,
        standard=parsed_standard,
        objective_id=objective_id,
        text=text,
        link=link,
        source_ref=source_ref,
        source_author=clean_text(source_author, "source_author", required=False, limit=200) or None,
        source_posted_at=source_posted_at,
        added_by_id=actor_id(actor),
        added_at=now,
    )
    return audited(
        session,
        item,
        actor=actor,
        now=now,
        action="evidence.add",
        subject_id=subject_id,
        fields=("standard", "objective_id", "link", "source_ref"),
    )


def _own_item(session: Session, actor: Actor, evidence_id: int, what: str) -> Evidence:
    item = session.get(Evidence, evidence_id)
    if item is None:
        raise NotFound("That evidence item no longer exists.", field="item")
    require_self(session, actor, item.person_id, what)
    return item


_EDIT_FIELDS = ("standard", "objective_id", "link")


def update_evidence(
    session: Session,
    *,
    actor: Actor,
    evidence_id: int,
    text: str,
    now: datetime,
    link: str | None = None,
    standard: MinimumStandard | str | None = None,
    objective_id: int | None = None,
) -> Evidence:
    """F14: the job holder edits an item of their own portfolio (where it came from stays)."""
    item = _own_item(session, actor, evidence_id, "edit evidence")
    text, link = fw.check_evidence(text, link)
    standard = _target(session, item.person_id, item.year, standard, objective_id)
    old = {**(snapshot(item, *_EDIT_FIELDS) or {}), "text_chars": len(item.text)}
    item.text, item.link, item.standard, item.objective_id = text, link, standard, objective_id
    item.edited_at = now
    return audited(
        session, item, actor=actor, now=now, action="evidence.edit", subject_id=item.person_id,
        old=old, new={**(snapshot(item, *_EDIT_FIELDS) or {}), "text_chars": len(text)},
    )  # fmt: skip


def delete_evidence(session: Session, *, actor: Actor, evidence_id: int, now: datetime) -> None:
    """F14: the job holder deletes an item of their own portfolio. The audit keeps that it
    existed and what it was for, not its words."""
    item = _own_item(session, actor, evidence_id, "delete evidence")
    audit(
        session, actor=actor, now=now, action="evidence.delete", subject_id=item.person_id,
        entity="evidence", entity_id=item.id, old=snapshot(item, *_EDIT_FIELDS), new=None,
    )  # fmt: skip
    session.delete(item)
    session.flush()
