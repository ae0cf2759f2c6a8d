"""Writing a checked roster: add, update in place, mark leavers; protected characteristics to
their own table (F21); every change audited."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from store.config import RosterSection
from store.framework import Role
from store.models import AuditEntry, Person, ProtectedCharacteristic
from store.roster.read import read_roster
from store.roster.rows import ImportResult, Progress, RosterError, RosterProblem, RosterRow
from store.services import Actor, snapshot

# --- writing -----------------------------------------------------------------------------------
_PERSON_FIELDS = (
    "name",
    "email",
    "grade",
    "business_unit",
    "location",
    "start_date",
    "civil_service_start",
    "joined_from_department",
    "is_hr",
    "is_dg",
    "poor_performance_measures",
    "line_manager_id",
    "countersigning_id",
    "dg_id",
    "left_on",
    "left_to_department",
    "temporary_promotion_from",
    "substantive_grade",
)


# One transaction in order: conflicts, people, references, leavers, characteristics, audit.
# Each step is a few lines over the same maps; split apart they would pass all of them around.
def apply_roster(  # noqa: C901
    session: Session,
    rows: list[RosterRow],
    *,
    actor: Actor,
    now: datetime,
    today: date,
    source: str,
) -> ImportResult:
    """Write checked rows in the caller's transaction: add, update in place, mark leavers."""
    existing = {p.staff_id: p for p in session.exec(select(Person)).all()}
    conn = session.connection()  # bulk statements go straight to Core (executemany)
    in_file = {r.staff_id for r in rows}

    # An email may move between staff ids only if its old holder is also in this file.
    holders = {p.email: p for p in existing.values()}
    conflicts = [
        RosterProblem(
            row.line,
            "email",
            row.email,
            f"already belongs to staff id {holder.staff_id}, who is not in this file",
        )
        for row in rows
        if (holder := holders.get(row.email)) is not None
        and holder.staff_id != row.staff_id
        and holder.staff_id not in in_file
    ]
    # F18: a leaving date is a fact, not a plan: someone still serving notice stays active.
    conflicts.extend(
        RosterProblem(
            row.line,
            "leaving_date",
            row.leaving_date.isoformat(),
            "is after today; add the leaving date once they have left",
        )  # fmt: skip
        for row in rows
        if row.leaving_date is not None and row.leaving_date > today
    )
    if conflicts:
        raise RosterError(conflicts)
    by_staff_id = {r.staff_id: r for r in rows}

    def departure(row: RosterRow) -> tuple[date | None, str | None]:
        """F18: the file's leaving date wins; with none, a move HR recorded is kept."""
        before = existing.get(row.staff_id)
        if row.leaving_date is None and before is not None and before.left_to_department:
            return before.left_on, before.left_to_department
        return row.leaving_date, row.left_to_department

    def arrival(row: RosterRow) -> tuple[date, date | None, str | None]:
        """F18: a move in HR recorded is kept while the file says nothing about one."""
        before = existing.get(row.staff_id)
        if row.joined_from_department is None and before and before.joined_from_department:
            return before.start_date, before.civil_service_start, before.joined_from_department
        return row.start_date, row.civil_service_start, row.joined_from_department

    def values(row: RosterRow) -> dict[str, Any]:
        left_on, left_to = departure(row)
        start, civil_service_start, joined_from = arrival(row)
        return {
            "staff_id": row.staff_id,
            "name": row.name,
            "email": row.email,
            "grade": row.grade,
            "business_unit": row.business_unit,
            "location": row.location,
            "start_date": start,
            "civil_service_start": civil_service_start,
            "joined_from_department": joined_from,
            "is_hr": Role.HR in row.roles,
            "is_dg": Role.DG in row.roles,
            "poor_performance_measures": row.poor_performance_measures,
            "left_on": left_on,
            "left_to_department": left_to,
            "temporary_promotion_from": row.temporary_promotion_from,
            "substantive_grade": row.substantive_grade,
        }

    new_rows = [
        values(r) | {"created_at": now, "updated_at": now}
        for r in rows
        if r.staff_id not in existing
    ]
    # Emails are unique: clear moved ones first so a swap between two people can't collide.
    moving = [
        p
        for p in existing.values()
        if p.staff_id in by_staff_id and p.email != by_staff_id[p.staff_id].email
    ]
    if moving:
        conn.execute(
            sa.update(Person).where(col(Person.id) == sa.bindparam("pid")),
            [{"pid": p.id, "email": f"moving-{p.id}@invalid"} for p in moving],
        )
    if new_rows:
        conn.execute(sa.insert(Person), new_rows)
    ids: dict[str, int] = {
        staff: cast(int, pid)
        for staff, pid in conn.execute(sa.select(col(Person.staff_id), col(Person.id)))
    }
    email_to_id = {r.email: ids[r.staff_id] for r in rows}

    audit_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    created = updated = unchanged = rejoined = left_in_file = moves_kept = 0
    for row in rows:
        target = values(row) | {
            "line_manager_id": email_to_id.get(row.line_manager_email or ""),
            "countersigning_id": email_to_id.get(row.countersigning_email or ""),
            "dg_id": email_to_id.get(row.dg_email or ""),
        }
        pid = ids[row.staff_id]
        before = existing.get(row.staff_id)
        if before is None:
            created += 1
            old = None
        else:
            old = snapshot(before, *_PERSON_FIELDS)
            if before.left_on is not None and target["left_on"] is None:
                rejoined += 1
            moves_kept += (row.leaving_date is None and bool(before.left_to_department)) + (
                row.joined_from_department is None and bool(before.joined_from_department)
            )
        left_in_file += target["left_on"] is not None and (before is None or before.left_on is None)
        new = {k: _jsonable(target[k]) for k in _PERSON_FIELDS}
        if old == new:
            unchanged += 1
            continue
        if before is not None:
            updated += 1
        changed_old = None if old is None else {k: v for k, v in old.items() if new[k] != v}
        changed_new = new if old is None else {k: v for k, v in new.items() if old[k] != v}
        updates.append(
            {"pid": pid, "updated_at": now}
            | {k: target[k] for k in ("line_manager_id", "countersigning_id", "dg_id")}
            | ({} if before is None else {k: target[k] for k in _PERSON_FIELDS})
        )
        audit_rows.append(
            _audit(
                "roster.create" if before is None else "roster.update",
                pid,
                changed_old,
                changed_new,
                actor,
                now,
                source,
            )
        )
    if updates:
        # Executemany needs one shape per statement: group by the keys each update sets.
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for item in updates:
            shapes.setdefault(tuple(sorted(item)), []).append(item)
        for keys, batch in shapes.items():
            stmt = (
                sa.update(Person)
                .where(col(Person.id) == sa.bindparam("pid"))
                .values({k: sa.bindparam(k) for k in keys if k != "pid"})
            )
            conn.execute(stmt, batch)

    leavers = [p for p in existing.values() if p.staff_id not in in_file and p.left_on is None]
    if leavers:
        conn.execute(
            sa.update(Person).where(col(Person.id) == sa.bindparam("pid")),
            [{"pid": p.id, "left_on": today, "updated_at": now} for p in leavers],
        )
        audit_rows.extend(
            _audit(
                "roster.left",
                p.id,
                {"left_on": None},
                {"left_on": today.isoformat()},
                actor,
                now,
                source,
            )
            for p in leavers
        )

    pc_columns = sorted({k for r in rows for k in r.pcs})
    file_ids = [ids[r.staff_id] for r in rows]
    for start in range(0, len(file_ids), 500):
        conn.execute(
            sa.delete(ProtectedCharacteristic).where(
                col(ProtectedCharacteristic.person_id).in_(file_ids[start : start + 500])
            )
        )
    pc_rows = [
        {"person_id": ids[r.staff_id], "characteristic": k, "value": v}
        for r in rows
        for k, v in r.pcs.items()
    ]
    if pc_rows:
        conn.execute(sa.insert(ProtectedCharacteristic), pc_rows)

    result = ImportResult(
        created, updated, unchanged, len(leavers) + left_in_file, rejoined, tuple(pc_columns),
        dropped=len(leavers), moves_kept=moves_kept,
    )  # fmt: skip
    # Values of protected characteristics are never written to the audit log; names only.
    audit_rows.append(
        _audit(
            "roster.import",
            None,
            None,
            {
                "rows": len(rows),
                "created": created,
                "updated": updated,
                "left": result.left,
                "dropped": result.dropped,
                "pc_columns": list(pc_columns),
            },
            actor,
            now,
            source,
        )
    )
    conn.execute(sa.insert(AuditEntry), audit_rows)
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)


def _audit(
    action: str,
    subject: int | None,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    actor: Actor,
    now: datetime,
    source: str,
) -> dict[str, Any]:
    return {
        "at": now,
        "actor_id": actor.person_id,
        "via": actor.via,
        "action": action,
        "entity": "person",
        "entity_id": None if subject is None else str(subject),
        "subject_id": subject,
        "old": old,
        "new": new,
        "reason": f"roster file {source}",
    }


def import_roster(
    session: Session,
    *,
    path: str | Path,
    actor: Actor,
    now: datetime,
    today: date,
    progress: Progress | None = None,
    limits: RosterSection | None = None,
) -> ImportResult:
    """Read, check and apply a roster file in the caller's write transaction."""
    rows, _pcs = read_roster(path, progress, limits=limits)
    return apply_roster(session, rows, actor=actor, now=now, today=today, source=Path(path).name)
