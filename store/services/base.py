"""What every service shares: who is acting, the guards that say who may act, the
performance-year row, text checks, and the one audited write.

Each service authorises the actor, checks the framework's rules, writes and audits inside
the caller's write transaction (``Database.write()``): if anything raises, nothing is kept.
Errors are ``store.errors`` types with a message for the user and, for forms, the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select

from store import framework as fw
from store.config import DepartmentConfig
from store.errors import InvalidInput, NotFound, PermissionDenied
from store.models import AuditEntry, PerformanceYear, Person, Via
from store.text import refuse_control_characters

REASON_MAX_CHARS = 2000

Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True)
class Actor:
    """Who is acting and how the write arrived. ``person_id=None`` is the operator at the CLI
    (or the system itself), allowed only where HR may act."""

    person_id: int | None
    via: Via

    @classmethod
    def system(cls, via: Via = Via.CLI) -> Actor:
        return cls(person_id=None, via=via)


def local_date(config: DepartmentConfig, now: datetime) -> date:
    """Today in the department's zone (Europe/London by default)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(config.department.timezone)).date()


# Statements on the hot path of a chat submission, built once (building one costs more than
# SQLite takes to run it).
_AUDIT_INSERT = sa.insert(cast(sa.Table, AuditEntry.__table__))  # type: ignore[attr-defined]
_PEOPLE_BY_ID = select(Person).where(col(Person.id).in_(sa.bindparam("ids", expanding=True)))
_YEAR_INSERTS = {
    dialect: insert(PerformanceYear)
    .values(
        start_year=sa.bindparam("start_year"),
        starts_on=sa.bindparam("starts_on"),
        ends_on=sa.bindparam("ends_on"),
    )
    .on_conflict_do_nothing()
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def insert_for(session: Session) -> Any:
    """The dialect's INSERT, for ``on_conflict_do_nothing``."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def ensure_year(session: Session, config: DepartmentConfig, start_year: int) -> int:
    """F1: make sure the performance year row exists (safe when two writers race)."""
    start_month = config.year.start_month
    connection = session.connection()  # Core, not the ORM: nothing to track here
    connection.execute(
        _YEAR_INSERTS[connection.dialect.name],
        {
            "start_year": start_year,
            "starts_on": fw.year_start(start_year, start_month),
            "ends_on": fw.year_end(start_year, start_month),
        },
    )
    return start_year


def resolve_year(
    session: Session, config: DepartmentConfig, now: datetime, year: int | None
) -> int:
    """The performance year a write is for: the given one, or the one ``now`` falls in."""
    if year is None:
        year = fw.performance_year_of(local_date(config, now), config.year.start_month)
    elif not 2000 <= year <= 2100:
        raise InvalidInput(f"{year} is not a performance year.", field="year")
    return ensure_year(session, config, year)


# --- the audit log -------------------------------------------------------------------------------
def _json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return value


def snapshot(obj: Any, *fields: str) -> dict[str, Any] | None:
    """The named fields of a row as JSON-safe values, for the audit log."""
    if obj is None:
        return None
    return {f: _json(getattr(obj, f)) for f in fields}


def audit(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    entity_id: Any = None,
    subject_id: int | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Append one entry to the audit log (who, what, old -> new, why, when, via).

    A plain INSERT in the caller's transaction: entries are never read back or changed, so
    they need none of the ORM's unit-of-work bookkeeping (a third of a rating's cost).
    """
    session.flush()  # the rows this entry names exist first (their ids, the FK to person)
    session.connection().execute(
        _AUDIT_INSERT,
        {
            "at": now,
            "actor_id": actor.person_id,
            "via": actor.via,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "subject_id": subject_id,
            "old": old,
            "new": new,
            "reason": reason,
        },
    )


def audited(
    session: Session,
    row: Row,
    *,
    actor: Actor,
    now: datetime,
    action: str,
    subject_id: int | None,
    fields: tuple[str, ...] = (),
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str | None = None,
) -> Row:
    """The one way a service writes a row: add it (new or changed), flush, and append the audit
    entry that names it - ``new`` defaults to a snapshot of ``fields`` after the change."""
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action=action,
        entity=str(row.__tablename__),
        entity_id=getattr(row, "id", None),
        subject_id=subject_id,
        old=old,
        new=snapshot(row, *fields) if new is None else new,
        reason=reason,
    )
    return row


# --- people and who may act -----------------------------------------------------------------
def load_people(session: Session, *ids: int | None) -> None:
    """Load these people with one query and keep them for the rest of the session.

    SQLAlchemy's identity map holds rows weakly; pinning them in ``session.info`` lets the
    later ``session.get`` calls of one request (actor, subject, the name in the reply) be
    answered from memory instead of a query each.
    """
    wanted = [
        i
        for i in ids
        if i is not None and session.identity_map.get(session.identity_key(Person, i)) is None
    ]
    if wanted:
        rows = session.exec(_PEOPLE_BY_ID, params={"ids": wanted}).all()
        session.info.setdefault("pinned", []).extend(rows)


def get_person(session: Session, person_id: int, *, field: str = "person") -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("That person is not in the roster.", field=field)
    return person


def acting_person(session: Session, actor: Actor) -> Person | None:
    """The person behind ``actor`` (None for the CLI operator); a leaver may not act."""
    if actor.person_id is None:
        return None
    person = session.get(Person, actor.person_id)
    if person is None or not person.active:
        raise PermissionDenied("You are not in the current roster - ask HR to add you.")
    return person


def active_subject(session: Session, subject_id: int, *, field: str = "person") -> Person:
    subject = get_person(session, subject_id, field=field)
    if not subject.active:
        raise InvalidInput(f"{subject.name} has left; their record is closed.", field=field)
    return subject


def actor_id(actor: Actor) -> int:
    """The acting person's id, for rows that must name a person (not the CLI operator)."""
    if actor.person_id is None:
        raise PermissionDenied("This must be done by a person in the roster, not the system.")
    return actor.person_id


def pk(row: Any) -> int:
    """A flushed row's primary key."""
    assert row.id is not None, "flush before reading the id"
    return int(row.id)


def deny(what: str) -> PermissionDenied:
    return PermissionDenied(f"You can't {what}.")


def is_line_manager(actor: Person | None, subject: Person) -> bool:
    return actor is not None and subject.line_manager_id == actor.id


def is_countersigning(actor: Person | None, subject: Person) -> bool:
    return actor is not None and subject.countersigning_id == actor.id


def is_dg_for(actor: Person | None, subject: Person) -> bool:
    """A Director General decides for people in their own group only (F15, guidance §54c)."""
    return actor is not None and actor.is_dg and subject.dg_id == actor.id


def is_hr(actor: Person | None, actor_ref: Actor) -> bool:
    """HR, or the operator at the command line (who already holds the database)."""
    return actor.is_hr if actor is not None else actor_ref.person_id is None


def require_hr(session: Session, actor: Actor, refusal: str) -> Person | None:
    """The acting HR person (None for the CLI operator); anyone else gets ``refusal``."""
    acting = acting_person(session, actor)
    if not is_hr(acting, actor):
        raise PermissionDenied(refusal)
    return acting


def require_line_manager(session: Session, actor: Actor, subject_id: int, what: str) -> Person:
    load_people(session, actor.person_id, subject_id)
    acting = acting_person(session, actor)
    subject = active_subject(session, subject_id)
    if not is_line_manager(acting, subject):
        raise deny(f"{what} - only {subject.name}'s line manager can")
    return subject


def require_self(session: Session, actor: Actor, subject_id: int, what: str) -> Person:
    acting_person(session, actor)
    subject = active_subject(session, subject_id)
    if actor.person_id != subject_id:
        raise deny(f"{what} for someone else - only for your own record")
    return subject


def require_self_or_manager(session: Session, actor: Actor, subject_id: int, what: str) -> Person:
    acting = acting_person(session, actor)
    subject = active_subject(session, subject_id)
    if acting is None or not (acting.id == subject_id or is_line_manager(acting, subject)):
        raise deny(f"{what} - only the job holder and their line manager can")
    return subject


def clean_text(
    text: str | None, field: str, *, required: bool, limit: int = REASON_MAX_CHARS
) -> str:
    """Typed text, trimmed; refused when required and empty, or longer than ``limit``."""
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput("This is required.", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{len(text)} characters; the limit is {limit}.", field=field)
    return refuse_control_characters(text, field)
