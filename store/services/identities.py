"""Who a Slack or Teams user is in the roster, and the keys that make platform retries
harmless (an event or a form delivered twice is acted on once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from store.db import inserts_ignoring_conflicts
from store.errors import InvalidInput
from store.models import ChatIdentity, IdempotencyKey, Person, TeamsInstall, Via
from store.services.base import Actor, audit, clean_text, get_person, snapshot

_KEYS: sa.Table = IdempotencyKey.__table__  # type: ignore[attr-defined]
_KEY_INSERTS = inserts_ignoring_conflicts(_KEYS)
_KEY_RESULT = sa.select(_KEYS.c.result).where(_KEYS.c.key == sa.bindparam("key"))


def link_chat_identity(
    session: Session,
    *,
    person_id: int,
    platform: str,
    external_id: str,
    now: datetime,
    workspace_id: str | None = None,
    conversation_ref: dict[str, Any] | None = None,
    via: Via = Via.SLACK,
) -> ChatIdentity:
    """Remember which Slack/Teams user a person is (matched by email by the adapter)."""
    if platform not in ("slack", "teams"):
        raise InvalidInput(f"Unknown chat platform '{platform}'.", field="platform")
    external_id = clean_text(external_id, "external_id", required=True, limit=200)
    get_person(session, person_id)
    row = session.exec(
        select(ChatIdentity).where(
            ChatIdentity.platform == platform, ChatIdentity.external_id == external_id
        )
    ).first()
    old = snapshot(row, "person_id", "workspace_id")
    if row is None:
        row = ChatIdentity(
            person_id=person_id, platform=platform, external_id=external_id, updated_at=now
        )
        session.add(row)
    row.person_id, row.workspace_id, row.updated_at = person_id, workspace_id, now
    if conversation_ref is not None:
        row.conversation_ref = conversation_ref
    session.flush()
    new = snapshot(row, "person_id", "workspace_id")
    if new != old:  # a refreshed conversation reference alone is not worth an audit entry
        audit(
            session,
            actor=Actor.system(via),
            now=now,
            action="chat_identity.link",
            entity="chat_identity",
            entity_id=row.id,
            subject_id=person_id,
            old=old,
            new=new,
        )
    return row


def linked_person(session: Session, platform: str, external_id: str) -> int | None:
    """The person a Slack or Teams user was linked to, if any."""
    return session.exec(
        select(ChatIdentity.person_id).where(
            ChatIdentity.platform == platform, ChatIdentity.external_id == external_id
        )
    ).first()


def link_by_email(
    session: Session,
    *,
    platform: str,
    external_id: str,
    email: str,
    now: datetime,
    via: Via,
    workspace_id: str | None = None,
    conversation_ref: dict[str, Any] | None = None,
) -> int | None:
    """Link a chat user to the active roster person with this work email (None if there is
    none: the adapter then says "not in the roster")."""
    person = session.exec(
        select(Person).where(Person.email == email.lower(), col(Person.left_on).is_(None))
    ).first()
    if person is None or person.id is None:
        return None
    link_chat_identity(
        session,
        person_id=person.id,
        platform=platform,
        external_id=external_id,
        workspace_id=workspace_id,
        conversation_ref=conversation_ref,
        now=now,
        via=via,
    )
    return person.id


def claim_idempotency_key(
    session: Session, *, key: str, now: datetime, result: str | None = None
) -> bool:
    """Claim ``key`` (e.g. a Slack event id): True the first time, False for any repeat.
    ``result`` is kept with it (what a form's first submission said)."""
    connection = session.connection()
    inserted = connection.execute(
        _KEY_INSERTS[connection.dialect.name],
        {"key": key[:200], "created_at": now, "result": result},
        execution_options={"preserve_rowcount": True},
    )
    return bool(inserted.rowcount)


def claimed_result(session: Session, key: str) -> str | None:
    """What was kept with a claimed key ("" when it was claimed with nothing; None when the
    key is new)."""
    found = session.connection().execute(_KEY_RESULT, {"key": key[:200]}).first()
    return None if found is None else (found.result or "")


# Microsoft Graph's answers when perfbot installs itself in someone's Teams, in words for HR.
INSTALL_OUTCOMES = {
    "installed": "perfbot was installed in their Teams and waits for Teams to open the chat",
    "linked": "perfbot was already in their Teams; its chat with them was found",
    "already": "perfbot is in their Teams, but Teams has not said where to reach them",
    "no_user": "Teams has no user with their email",
    "refused": "perfbot may not install apps for people until an admin grants it",
    "failed": "installing perfbot in their Teams failed; it is tried again in a week",
}


def record_teams_install(session: Session, *, person_id: int, outcome: str, now: datetime) -> None:
    """What Microsoft Graph answered when perfbot asked to install itself in this person's
    Teams (the scheduler's reach job; nothing about their performance changes)."""
    if outcome not in INSTALL_OUTCOMES:
        raise InvalidInput(f"Unknown install outcome '{outcome}'.", field="outcome")
    get_person(session, person_id)
    row = session.get(TeamsInstall, person_id)
    if row is None:
        session.add(TeamsInstall(person_id=person_id, attempted_at=now, outcome=outcome))
    else:
        row.attempted_at, row.outcome = now, outcome
    session.flush()
