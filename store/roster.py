"""Roster import (xlsx or csv) and its template.

All-or-nothing: the whole file is read and checked first, and one bad row means nothing is
written; every problem comes back as one line (row, column, value, what is wrong). Re-imports
update people in place; people missing from a new file are marked as left, never deleted.
Protected characteristics (``pc_`` columns) go to their own table (F21).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from store.errors import InvalidInput, PerfbotError
from store.framework import Grade, Nation, Role
from store.models import AuditEntry, Person, ProtectedCharacteristic
from store.services import Actor, snapshot

COLUMNS: dict[str, str] = {
    "staff_id": "Unique staff number; the key that ties re-imports to the same person.",
    "name": "Full name as it should appear in chat.",
    "email": "Work email; used to match the person's Slack or Teams account.",
    "grade": "SCS1, SCS2, SCS3 or PermSec.",
    "business_unit": "Business unit (moderation panels are held per unit, F19).",
    "line_manager_email": "Line manager's email; must be a row in this file. Blank only for "
    "the Permanent Secretary.",
    "countersigning_email": "Countersigning officer's email (optional); must be in this file.",
    "dg_email": "Director General who decides this person's in-year awards (optional for "
    "DGs and the Permanent Secretary); that person needs the dg role.",
    "start_date": "Date the person joined this department (YYYY-MM-DD or DD/MM/YYYY).",
    "location": "England, Wales, Scotland or Northern Ireland (sets bank holidays).",
    "roles": "Comma list of extra roles: hr, dg. Blank for none.",
    "poor_performance_measures": "yes or no: on formal poor-performance measures (F15).",
}
OPTIONAL_COLUMNS: dict[str, str] = {
    "civil_service_start": "Date the person joined the Civil Service, if earlier than "
    "start_date (F18 moderation eligibility).",
    "joined_from_department": "Department the person moved from, if they moved in this year (F18).",
}
PC_PREFIX = "pc_"
PC_GUIDE = (
    "Optional protected characteristics, one column each, named pc_<characteristic> "
    "(e.g. pc_sex, pc_ethnicity, pc_disability, pc_age_band). Stored apart and only ever "
    "reported as suppressed aggregates (F21)."
)
_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
MAX_TEXT = 200


@dataclass(frozen=True)
class RosterProblem:
    row: int | None  # spreadsheet row number (the header is row 1)
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        if self.value not in (None, ""):
            where.append(f"value '{self.value}'")
        return (", ".join(where) + ": " if where else "") + self.message


class RosterError(InvalidInput):
    """The file was rejected whole; ``problems`` has one line per problem."""

    def __init__(self, problems: list[RosterProblem]) -> None:
        self.problems = problems
        count = len(problems)
        super().__init__(
            f"The roster was not imported: {count} problem{'s' if count != 1 else ''}. "
            "Nothing was changed.",
            field="file",
        )


@dataclass
class RosterRow:
    line: int
    staff_id: str
    name: str
    email: str
    grade: Grade
    business_unit: str
    line_manager_email: str | None
    countersigning_email: str | None
    dg_email: str | None
    start_date: date
    location: Nation
    roles: frozenset[Role]
    poor_performance_measures: bool
    civil_service_start: date | None = None
    joined_from_department: str | None = None
    pcs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    left: int
    rejoined: int
    pc_columns: tuple[str, ...]

    def summary(self) -> str:
        return (
            f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.left} marked as left, {self.rejoined} returned"
        )


Progress = Callable[[int, int], None]


# --- reading ---------------------------------------------------------------------------------
def _read_table(path: Path) -> tuple[list[Any], Iterator[tuple[int, tuple[Any, ...]]], int]:
    """Header, (row number, values) pairs and an estimated row count for a csv or xlsx file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        handle = path.open(newline="", encoding="utf-8-sig")
        try:
            total = max(sum(1 for _ in handle) - 1, 0)
            handle.seek(0)
            reader = csv.reader(handle)
            header = next(reader, None)
        except UnicodeDecodeError:
            handle.close()
            raise RosterError(
                [
                    RosterProblem(
                        None,
                        None,
                        None,
                        "the csv file is not UTF-8 text; save it as 'CSV UTF-8' and try again",
                    )
                ]
            ) from None
        if header is None:
            handle.close()
            raise RosterError([RosterProblem(None, None, None, "the file is empty")])

        def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
            with handle:
                try:
                    for number, values in enumerate(reader, start=2):
                        yield number, tuple(values)
                except (UnicodeDecodeError, csv.Error) as exc:
                    raise RosterError(
                        [RosterProblem(None, None, None, f"the csv file can't be read ({exc})")]
                    ) from None

        return list(header), rows(), total
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # imported here: only the xlsx path needs it

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise RosterError(
                [RosterProblem(None, None, None, f"not a readable xlsx workbook ({exc})")]
            ) from None
        sheet = book.worksheets[0]
        total = max((sheet.max_row or 1) - 1, 0)
        it = sheet.iter_rows(values_only=True)
        header_row = next(it, None)
        if header_row is None:
            book.close()
            raise RosterError(
                [RosterProblem(None, None, None, "the workbook's first sheet is empty")]
            )

        def xrows() -> Iterator[tuple[int, tuple[Any, ...]]]:
            try:
                yield from enumerate(it, start=2)
            finally:
                book.close()

        return list(header_row), xrows(), total
    raise RosterError(
        [RosterProblem(None, None, path.suffix or path.name, "use an .xlsx or .csv file")]
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no zone
        except ValueError:
            continue
    raise ValueError(text)


# --- checking ----------------------------------------------------------------------------------
def _check_header(raw: list[Any]) -> tuple[dict[str, int], list[str], list[RosterProblem]]:
    problems: list[RosterProblem] = []
    index: dict[str, int] = {}
    pcs: list[str] = []
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    for position, name in enumerate(raw):
        key = _cell(name).lower().replace(" ", "_")
        if not key:
            if any(_cell(n) for n in raw[position + 1 :]):
                problems.append(
                    RosterProblem(1, f"#{position + 1}", None, "a column has no header")
                )
            continue
        if key in index:
            problems.append(RosterProblem(1, key, None, "this column appears twice"))
            continue
        if key.startswith(PC_PREFIX):
            if not re.fullmatch(r"pc_[a-z][a-z0-9_]{0,40}", key):
                problems.append(
                    RosterProblem(
                        1,
                        key,
                        None,
                        "a protected-characteristic column must be named pc_<name>, e.g. pc_sex",
                    )
                )
                continue
            pcs.append(key)
        elif key not in known:
            problems.append(
                RosterProblem(
                    1,
                    key,
                    None,
                    "unknown column; expected: "
                    + ", ".join(COLUMNS)
                    + " (optional: "
                    + ", ".join(OPTIONAL_COLUMNS)
                    + ", and pc_ columns)",
                )
            )
            continue
        index[key] = position
    for missing in (c for c in COLUMNS if c not in index):
        problems.append(RosterProblem(1, missing, None, "required column is missing"))
    return index, pcs, problems


def _parse_row(
    line: int, values: tuple[Any, ...], index: dict[str, int], pcs: list[str]
) -> tuple[RosterRow | None, list[RosterProblem]]:
    problems: list[RosterProblem] = []

    def get(name: str) -> Any:
        position = index.get(name)
        return values[position] if position is not None and position < len(values) else None

    def text(name: str, *, required: bool = True) -> str:
        value = _cell(get(name))
        if required and not value:
            problems.append(RosterProblem(line, name, None, "a value is required"))
        elif len(value) > MAX_TEXT:
            problems.append(
                RosterProblem(line, name, value[:40] + "...", f"longer than {MAX_TEXT} characters")
            )
        return value

    def email(name: str, *, required: bool) -> str | None:
        value = text(name, required=required).lower()
        if value and not _EMAIL_RE.match(value):
            problems.append(RosterProblem(line, name, value, "not an email address"))
        return value or None

    def day(name: str, *, required: bool) -> date | None:
        raw = get(name)
        if _cell(raw) == "":
            if required:
                problems.append(RosterProblem(line, name, None, "a date is required"))
            return None
        try:
            return _parse_date(raw)
        except ValueError:
            problems.append(RosterProblem(line, name, _cell(raw), "not a date; use YYYY-MM-DD"))
            return None

    def enum(name: str, parse: Callable[..., Any]) -> Any:
        value = text(name)
        if not value:
            return None
        try:
            return parse(value, field=name)
        except PerfbotError as exc:
            problems.append(RosterProblem(line, name, value, exc.message))
            return None

    staff_id = text("staff_id")
    name = text("name")
    address = email("email", required=True)
    grade = enum("grade", Grade.parse)
    unit = text("business_unit")
    manager = email("line_manager_email", required=False)
    countersigning = email("countersigning_email", required=False)
    dg = email("dg_email", required=False)
    start = day("start_date", required=True)
    location = enum("location", Nation.parse)
    roles: set[Role] = set()
    for part in filter(None, (p.strip().lower() for p in text("roles", required=False).split(","))):
        try:
            roles.add(Role(part))
        except ValueError:
            problems.append(RosterProblem(line, "roles", part, "unknown role; use hr and/or dg"))
    ppm_raw = text("poor_performance_measures", required=False).lower()
    if ppm_raw not in _YES | _NO:
        problems.append(RosterProblem(line, "poor_performance_measures", ppm_raw, "use yes or no"))
    cs_start = day("civil_service_start", required=False)
    if cs_start and start and cs_start > start:
        problems.append(
            RosterProblem(
                line,
                "civil_service_start",
                cs_start.isoformat(),
                "is after start_date; it should be on or before it",
            )
        )
    pc_values = {}
    for pc in pcs:
        value = text(pc, required=False)
        if value:
            pc_values[pc.removeprefix(PC_PREFIX)] = value
    if (
        grade is not None
        and grade is not Grade.PERMSEC
        and not manager
        and "line_manager_email" not in {p.column for p in problems}
    ):
        problems.append(
            RosterProblem(
                line,
                "line_manager_email",
                None,
                "a line manager is required (blank only for PermSec)",
            )
        )
    if problems:
        return None, problems
    assert grade is not None and location is not None and start is not None and address
    return RosterRow(
        line=line,
        staff_id=staff_id,
        name=name,
        email=address,
        grade=grade,
        business_unit=unit,
        line_manager_email=manager,
        countersigning_email=countersigning,
        dg_email=dg,
        start_date=start,
        location=location,
        roles=frozenset(roles),
        poor_performance_measures=ppm_raw in _YES,
        civil_service_start=cs_start,
        joined_from_department=text("joined_from_department", required=False) or None,
        pcs=pc_values,
    ), []


def _check_references(rows: list[RosterRow]) -> list[RosterProblem]:
    problems: list[RosterProblem] = []
    by_email: dict[str, RosterRow] = {}
    seen_ids: dict[str, int] = {}
    for row in rows:
        if row.staff_id in seen_ids:
            problems.append(
                RosterProblem(
                    row.line,
                    "staff_id",
                    row.staff_id,
                    f"duplicate: also on row {seen_ids[row.staff_id]}",
                )
            )
        else:
            seen_ids[row.staff_id] = row.line
        if row.email in by_email:
            problems.append(
                RosterProblem(
                    row.line,
                    "email",
                    row.email,
                    f"duplicate: also on row {by_email[row.email].line}",
                )
            )
        else:
            by_email[row.email] = row
    for row in rows:
        for column, ref in (
            ("line_manager_email", row.line_manager_email),
            ("countersigning_email", row.countersigning_email),
            ("dg_email", row.dg_email),
        ):
            if ref is None:
                continue
            if ref == row.email:
                problems.append(
                    RosterProblem(
                        row.line,
                        column,
                        ref,
                        "a person can't be their "
                        "own " + column.removesuffix("_email").replace("_", " "),
                    )
                )
            elif ref not in by_email:
                problems.append(
                    RosterProblem(row.line, column, ref, "no row in this file has that email")
                )
            elif column == "dg_email" and Role.DG not in by_email[ref].roles:
                problems.append(
                    RosterProblem(
                        row.line,
                        column,
                        ref,
                        f"{by_email[ref].name} "
                        "(row " + str(by_email[ref].line) + ") does not "
                        "have the dg role",
                    )
                )
    # Circular line management: follow each chain; a chain that returns to a person is a loop.
    reported: set[str] = set()
    for row in rows:
        chain: list[str] = []
        current: RosterRow | None = row
        while current is not None and current.email not in chain:
            chain.append(current.email)
            nxt = current.line_manager_email
            current = by_email.get(nxt) if nxt and nxt != current.email else None
        if current is not None:
            loop = chain[chain.index(current.email) :]
            if not reported.intersection(loop):
                reported.update(loop)
                problems.append(
                    RosterProblem(
                        by_email[loop[0]].line,
                        "line_manager_email",
                        by_email[loop[0]].line_manager_email,
                        "circular line management: " + " -> ".join(loop + [loop[0]]),
                    )
                )
    return problems


def read_roster(
    path: str | Path, progress: Progress | None = None
) -> tuple[list[RosterRow], list[str]]:
    """Read and check a roster file; raises ``RosterError`` listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise RosterError([RosterProblem(None, None, str(path), "no such file")])
    header, body, total = _read_table(path)
    index, pcs, problems = _check_header(header)
    if any(p.message == "required column is missing" for p in problems):
        raise RosterError(problems)  # row checks would only repeat the same gap
    rows: list[RosterRow] = []
    for count, (line, values) in enumerate(body, start=1):
        if not any(_cell(v) for v in values):
            continue  # a blank row between data is harmless
        row, row_problems = _parse_row(line, values, index, pcs)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)
        if progress is not None and count % 500 == 0:
            progress(count, total)
    if progress is not None:
        progress(total, total)
    if not rows and not problems:
        problems.append(RosterProblem(None, None, None, "the file has a header but no people"))
    problems.extend(_check_references(rows))
    if problems:
        raise RosterError(problems)
    return rows, pcs


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
)


def apply_roster(
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
    if conflicts:
        raise RosterError(conflicts)
    by_staff_id = {r.staff_id: r for r in rows}

    def values(row: RosterRow) -> dict[str, Any]:
        return {
            "staff_id": row.staff_id,
            "name": row.name,
            "email": row.email,
            "grade": row.grade,
            "business_unit": row.business_unit,
            "location": row.location,
            "start_date": row.start_date,
            "civil_service_start": row.civil_service_start,
            "joined_from_department": row.joined_from_department,
            "is_hr": Role.HR in row.roles,
            "is_dg": Role.DG in row.roles,
            "poor_performance_measures": row.poor_performance_measures,
            "left_on": None,
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
    created = updated = unchanged = rejoined = 0
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
            if before.left_on is not None:
                rejoined += 1
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

    result = ImportResult(created, updated, unchanged, len(leavers), rejoined, tuple(pc_columns))
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
                "left": len(leavers),
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
) -> ImportResult:
    """Read, check and apply a roster file in the caller's write transaction."""
    rows, _pcs = read_roster(path, progress)
    return apply_roster(session, rows, actor=actor, now=now, today=today, source=Path(path).name)


# --- template ------------------------------------------------------------------------------------
EXAMPLE_ROW = {
    "staff_id": "100001",
    "name": "Alex Example",
    "email": "alex.example@dept.example",
    "grade": "SCS1",
    "business_unit": "Policy",
    "line_manager_email": "sam.example@dept.example",
    "countersigning_email": "",
    "dg_email": "dg.example@dept.example",
    "start_date": "2024-04-01",
    "location": "England",
    "roles": "",
    "poor_performance_measures": "no",
}


def write_template(path: str | Path) -> Path:
    """Write an empty roster with a column guide (xlsx: a second sheet; csv: header only)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(list(COLUMNS) + ["pc_sex", "pc_ethnicity"])
        return path
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput("Name the template .xlsx or .csv.", field="file")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Roster"
    header = list(COLUMNS) + ["pc_sex", "pc_ethnicity"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter_index, name in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(1, letter_index).column_letter].width = max(
            14, len(name) + 4
        )
    guide = book.create_sheet("Column guide")
    guide.append(["column", "required", "what to put in it"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for name, text in COLUMNS.items():
        guide.append([name, "yes", text])
    for name, text in OPTIONAL_COLUMNS.items():
        guide.append([name, "no", text])
    guide.append(["pc_<name>", "no", PC_GUIDE])
    guide.append([])
    guide.append(["example row", "", ", ".join(f"{k}={v}" for k, v in EXAMPLE_ROW.items())])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["C"].width = 100
    book.save(path)
    return path
