"""The job holder's evidence portfolio (F14)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import InvalidInput
from store.framework import MinimumStandard
from store.models import Evidence, Objective
from store.services.base import (
    Actor,
    actor_id,
    audited,
    clean_text,
    require_self,
    resolve_year,
)


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
    year: int | None = None,
) -> Evidence:
    """F14: add to your own portfolio, against a minimum standard and/or an objective.

    ``source_ref`` (e.g. a Slack message permalink) makes a repeat save a no-op.
    """
    require_self(session, actor, subject_id, "add evidence")
    text, link = fw.check_evidence(text, link)
    parsed_standard = MinimumStandard.parse(standard) if standard not in (None, "") else None
    year = resolve_year(session, config, now, year)
    if objective_id is not None:
        objective = session.get(Objective, objective_id)
        if objective is None or objective.person_id != subject_id or objective.year != year:
            raise InvalidInput("Pick one of your own objectives for this year.", field="objective")
    if parsed_standard is None and objective_id is None:
        raise InvalidInput(
            "Say which minimum standard or objective this evidence supports.", field="target"
        )
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
