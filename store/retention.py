"""Retention and erasure: personal data is kept only as long as it is needed.

A person is erased ``retention.after_leaving_years`` after they leave (the daily run), or at
once when HR grants an erasure request (``perfbot person erase``). Erasing removes every
record about them - the same tables a subject access export reads - and their own protected
characteristics, chat accounts and settings; writes an ``Erasure`` row, which is what lets
the audit log's entries about them be deleted (the database refuses every other change to
the audit log); and replaces their name, email and staff ID, keeping the person row so that
other people's records (an award they decided, a rating they recorded) still hold together.
Figures already reported are not touched: the kept mid-year consistency tables are counts.
The audit log records the erasure with counts only.

Messages (the outbox) are kept ``retention.messages_months`` whoever they were for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from store import aggregates
from store.config import DepartmentConfig
from store.errors import Conflict
from store.models import (
    AuditEntry,
    Award,
    Erasure,
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    Outbox,
    Person,
    Via,
)
from store.services import Actor, audit, get_person, local_date, require_hr
from store.subject_access import SECTIONS

# Their own records: what a subject access export gives them, by the column that names them
# (one list for both, so a new kind of record is given and erased alike). Awards they
# nominated stay - they are the nominee's record; objectives go last, after what cites them;
# the audit entries about them go once the erasure is recorded.
OWN: tuple[tuple[type[SQLModel], str], ...] = tuple(
    (section.model, section.subject)
    for section in SECTIONS
    if not section.others
    and section.subject != "objective_id"
    and section.model not in (Objective, AuditEntry)
)
ERASED_NAME = "Former member of staff"


@dataclass
class RetentionReport:
    erased: int = 0
    messages_removed: int = 0


def _delete(session: Session, model: type[SQLModel], where: sa.ColumnElement[bool]) -> int:
    result = session.execute(sa.delete(model).where(where))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase(
    session: Session,
    person: Person,
    *,
    now: datetime,
    reason: str,
    by_id: int | None,
    via: Via = Via.SCHEDULER,
) -> dict[str, int]:
    """Erase one person's records (see the module's docstring); returns rows removed."""
    assert person.id is not None
    pid = person.id
    removed: dict[str, int] = {}
    objectives = select(Objective.id).where(Objective.person_id == pid)
    removed["objective_revision"] = _delete(
        session, ObjectiveRevision, col(ObjectiveRevision.objective_id).in_(objectives)
    )
    removed["objective_milestone"] = _delete(
        session, ObjectiveMilestone, col(ObjectiveMilestone.objective_id).in_(objectives)
    )
    # Awards to them may be linked to their objectives; they go first.
    for model, column in OWN:
        table = str(model.__table__.name)  # type: ignore[attr-defined]
        removed[table] = _delete(session, model, getattr(model, column) == pid)
    # Another person's award may cite one of their objectives (an award they nominated did
    # not): unlink it rather than lose that person's award.
    session.execute(
        sa.update(Award)
        .where(col(Award.objective_id).in_(objectives))
        .values(objective_id=None, milestone_id=None)
    )
    removed["objective"] = _delete(session, Objective, col(Objective.person_id) == pid)
    removed["protected_characteristic"] = aggregates.forget_characteristics(session, pid)
    session.add(Erasure(subject_id=pid, erased_at=now, reason=reason, by_id=by_id, removed={}))
    session.flush()  # the erasure row first: it is what lets the audit entries go
    removed["audit_log"] = _delete(session, AuditEntry, col(AuditEntry.subject_id) == pid)
    erasure = session.exec(select(Erasure).where(Erasure.subject_id == pid)).one()
    erasure.removed = {k: v for k, v in removed.items() if v}
    person.name = ERASED_NAME
    person.email = f"erased-{pid}@erased.invalid"
    person.staff_id = f"erased-{pid}"
    person.is_hr = person.is_dg = person.poor_performance_measures = False
    person.joined_from_department = person.left_to_department = None
    person.substantive_grade = None
    person.updated_at = now
    audit(
        session, actor=Actor(by_id, via) if by_id else Actor.system(via), now=now,
        action=f"person.erase.{reason}", entity="person", entity_id=str(pid),
        subject_id=None, new={"removed": erasure.removed},
    )  # fmt: skip
    return removed


def erase_on_request(
    session: Session, *, actor: Actor, subject_id: int, now: datetime, config: DepartmentConfig
) -> dict[str, int]:
    """A lawful erasure request HR has granted: only for someone who has left (while they
    work here the department still needs their performance record)."""
    require_hr(session, actor, "Only HR can erase a person's records.")
    person = get_person(session, subject_id)
    if session.exec(select(Erasure.id).where(Erasure.subject_id == subject_id)).first():
        raise Conflict(f"{person.name}'s records were already erased.")
    if person.left_on is None or person.left_on > local_date(config, now):
        raise Conflict(
            f"{person.name} still works here by the roster: their performance record is "
            "still needed. Record their leaving date in the roster first."
        )
    return erase(session, person, now=now, reason="request", by_id=actor.person_id, via=actor.via)


def apply_retention(session: Session, config: DepartmentConfig, now: datetime) -> RetentionReport:
    """The daily run: erase everyone who left more than the retention period ago, and remove
    messages older than their period."""
    report = RetentionReport()
    today = local_date(config, now)
    cutoff = _years_before(today, config.retention.after_leaving_years)
    erased = select(Erasure.subject_id)
    due = session.exec(
        select(Person).where(
            col(Person.left_on).is_not(None),
            col(Person.left_on) < cutoff,
            col(Person.id).not_in(erased),
        )
    ).all()
    for person in due:
        erase(session, person, now=now, reason="retention", by_id=None)
        report.erased += 1
    old = now - timedelta(days=round(config.retention.messages_months * 30.44))
    # Sent or not: a message planned that long ago is of no use to anyone now.
    report.messages_removed = _delete(session, Outbox, col(Outbox.created_at) < old)
    return report


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
