"""A person's choices about their reminders (issue: one list a person): when their day's list
arrives, and whether the optional evidence prompts come. The framework's reminders always do."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlmodel import Session

from store.config import DepartmentConfig
from store.errors import InvalidInput
from store.models import Preference
from store.services.base import Actor, acting_person, audited, deny, snapshot

_FIELDS = ("list_at", "evidence_prompts")


def preferences(session: Session, person_id: int) -> Preference:
    """Their choices, or the defaults (not stored) when they have made none."""
    return session.get(Preference, person_id) or Preference(
        person_id=person_id, updated_at=datetime.min.replace(tzinfo=UTC)
    )


def list_times(config: DepartmentConfig) -> list[time]:
    """The hours a day's list may come at: each whole hour of the working day."""
    start, end = config.working_hours.start, config.working_hours.end
    return [time(h) for h in range(start.hour + (start.minute > 0), end.hour) if time(h) < end]


def set_preferences(
    session: Session,
    *,
    config: DepartmentConfig,
    actor: Actor,
    list_at: time | None,
    evidence_prompts: bool,
    now: datetime,
) -> Preference:
    """Their own choices only; a list time within their working day."""
    person = acting_person(session, actor)
    if person is None or person.id is None:
        raise deny("change someone's reminder settings")
    if list_at is not None and list_at not in list_times(config):
        raise InvalidInput("Choose an hour in the working day.", field="list_at")
    row = session.get(Preference, person.id)
    old = snapshot(row, *_FIELDS)
    row = row or Preference(person_id=person.id, updated_at=now)
    row.list_at, row.evidence_prompts, row.updated_at = list_at, bool(evidence_prompts), now
    return audited(
        session, row, actor=actor, now=now, action="preferences.set", subject_id=person.id,
        fields=_FIELDS, old=old,
    )  # fmt: skip
