"""Reading and checking a roster file (xlsx or csv): all of it is checked before anything is
written, and every problem comes back as one line (row, column, value, what is wrong)."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from store.config import RosterSection
from store.errors import PerfbotError
from store.framework import Grade, Nation, Role
from store.roster.rows import (
    COLUMNS,
    EMAIL_RE,
    MAX_TEXT,
    NO,
    OPTIONAL_COLUMNS,
    PC_PREFIX,
    YES,
    Progress,
    RosterError,
    RosterProblem,
    RosterRow,
)
from store.text import control_character


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


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
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
        key = cell_text(name).lower().replace(" ", "_")
        if not key:
            if any(cell_text(n) for n in raw[position + 1 :]):
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


class _Reader:
    """One data row's cells, read by column name; every problem found is kept, so a row
    with several mistakes gets one line for each."""

    def __init__(self, line: int, values: tuple[Any, ...], index: dict[str, int]) -> None:
        self.line, self.values, self.index = line, values, index
        self.problems: list[RosterProblem] = []

    def problem(self, column: str, value: str | None, message: str) -> None:
        self.problems.append(RosterProblem(self.line, column, value, message))

    def get(self, name: str) -> Any:
        position = self.index.get(name)
        return (
            self.values[position] if position is not None and position < len(self.values) else None
        )

    def text(self, name: str, *, required: bool = True) -> str:
        value = cell_text(self.get(name))
        if required and not value:
            self.problem(name, None, "a value is required")
        elif len(value) > MAX_TEXT:
            self.problem(name, value[:40] + "...", f"longer than {MAX_TEXT} characters")
        elif (found := control_character(value, multiline=False)) is not None:
            shown = value.encode("unicode_escape").decode()[:40]
            self.problem(
                name, shown, f"holds an invisible control character (code {ord(found)}); retype it"
            )
        return value

    def email(self, name: str, *, required: bool) -> str | None:
        value = self.text(name, required=required).lower()
        if value and not EMAIL_RE.match(value):
            self.problem(name, value, "not an email address")
        return value or None

    def day(self, name: str, *, required: bool) -> date | None:
        raw = self.get(name)
        if cell_text(raw) == "":
            if required:
                self.problem(name, None, "a date is required")
            return None
        try:
            return parse_date(raw)
        except ValueError:
            self.problem(name, cell_text(raw), "not a date; use YYYY-MM-DD")
            return None

    def enum(self, name: str, parse: Callable[..., Any]) -> Any:
        value = self.text(name)
        if not value:
            return None
        try:
            return parse(value, field=name)
        except PerfbotError as exc:
            self.problem(name, value, exc.message)
            return None

    def roles(self) -> frozenset[Role]:
        roles: set[Role] = set()
        for part in filter(
            None, (p.strip().lower() for p in self.text("roles", required=False).split(","))
        ):
            try:
                roles.add(Role(part))
            except ValueError:
                self.problem("roles", part, "unknown role; use hr and/or dg")
        return frozenset(roles)

    def yes_no(self, name: str) -> bool:
        raw = self.text(name, required=False).lower()
        if raw not in YES | NO:
            self.problem(name, raw, "use yes or no")
        return raw in YES

    def protected_characteristics(self, pcs: list[str]) -> dict[str, str]:
        found = {pc.removeprefix(PC_PREFIX): self.text(pc, required=False) for pc in pcs}
        return {name: value for name, value in found.items() if value}


_SCS_GRADES = {g.value.lower() for g in Grade}


def _parse_row(
    line: int, values: tuple[Any, ...], index: dict[str, int], pcs: list[str]
) -> tuple[RosterRow | None, list[RosterProblem]]:
    read = _Reader(line, values, index)
    staff_id, name = read.text("staff_id"), read.text("name")
    address = read.email("email", required=True)
    grade = read.enum("grade", Grade.parse)
    unit = read.text("business_unit")
    manager = read.email("line_manager_email", required=False)
    countersigning = read.email("countersigning_email", required=False)
    dg = read.email("dg_email", required=False)
    start = read.day("start_date", required=True)
    location = read.enum("location", Nation.parse)
    roles = read.roles()
    measures = read.yes_no("poor_performance_measures")
    cs_start = read.day("civil_service_start", required=False)
    if cs_start and start and cs_start > start:
        read.problem(
            "civil_service_start",
            cs_start.isoformat(),
            "is after start_date; it should be on or before it",
        )
    leaving = read.day("leaving_date", required=False)
    if leaving and start and leaving < start:
        read.problem("leaving_date", leaving.isoformat(), "is before start_date")
    moved_to = read.text("left_to_department", required=False) or None
    if moved_to and not leaving and "leaving_date" not in {p.column for p in read.problems}:
        read.problem("left_to_department", moved_to, "needs the leaving_date of the move")
    # F25: a temporary promotion into the SCS: since when, from which substantive grade.
    promoted = read.day("temporary_promotion_from", required=False)
    substantive = read.text("substantive_grade", required=False) or None
    if (promoted is None) != (substantive is None) and not read.problems:
        missing = "substantive_grade" if promoted else "temporary_promotion_from"
        read.problem(
            missing, None, "give both temporary_promotion_from and substantive_grade, or neither"
        )
    if substantive and substantive.strip().lower().replace(" ", "") in _SCS_GRADES:
        read.problem(
            "substantive_grade", substantive, "is an SCS grade; a temporary promotion is into "
            "the SCS from a grade below it"
        )  # fmt: skip
    pc_values = read.protected_characteristics(pcs)
    manager_problem = "line_manager_email" in {p.column for p in read.problems}
    if grade not in (None, Grade.PERMSEC) and not manager and not manager_problem:
        read.problem(
            "line_manager_email", None, "a line manager is required (blank only for PermSec)"
        )
    if read.problems:
        return None, read.problems
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
        roles=roles,
        poor_performance_measures=measures,
        civil_service_start=cs_start,
        joined_from_department=read.text("joined_from_department", required=False) or None,
        leaving_date=leaving,
        left_to_department=moved_to,
        temporary_promotion_from=promoted,
        substantive_grade=substantive,
        pcs=pc_values,
    ), []


def _check_references(rows: list[RosterRow], refused: set[str]) -> list[RosterProblem]:
    """Duplicates, and references to someone not in the file. A reference to a row that was
    refused for a problem of its own is not a second problem: one mistake, reported once."""
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
            elif ref not in by_email and ref not in refused:
                problems.append(
                    RosterProblem(row.line, column, ref, "no row in this file has that email")
                )
            elif ref in by_email and column == "dg_email" and Role.DG not in by_email[ref].roles:
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


def _check_size(path: Path, limits: RosterSection) -> None:
    """Refuse a file too big to be a department's roster before parsing it: on disk, and for
    an xlsx (a zip) by what it would unzip to - a small zip bomb can unzip to gigabytes."""
    limit = limits.max_file_mb * 1024 * 1024
    size = path.stat().st_size
    if path.suffix.lower() in (".xlsx", ".xlsm") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            size = max(size, sum(entry.file_size for entry in archive.infolist()))
    if size > limit:
        raise RosterError(
            [
                RosterProblem(
                    None,
                    None,
                    None,
                    f"the file holds {size / 1024 / 1024:.0f} MB of data; the limit is "
                    f"{limits.max_file_mb} MB (roster.max_file_mb in the department config)",
                )
            ]
        )


def read_roster(
    path: str | Path, progress: Progress | None = None, *, limits: RosterSection | None = None
) -> tuple[list[RosterRow], list[str]]:
    """Read and check a roster file; raises ``RosterError`` listing every problem (up to the
    configured number, counting the rest)."""
    limits = limits or RosterSection()
    path = Path(path)
    if not path.is_file():
        raise RosterError([RosterProblem(None, None, str(path), "no such file")])
    _check_size(path, limits)
    header, body, total = _read_table(path)
    index, pcs, problems = _check_header(header)
    if any(p.message == "required column is missing" for p in problems):
        raise RosterError(problems)  # row checks would only repeat the same gap
    rows: list[RosterRow] = []
    refused: set[str] = set()  # the emails of rows with problems of their own
    more = 0  # problems found beyond those listed
    for count, (line, values) in enumerate(body, start=1):
        if count > limits.max_rows:
            raise RosterError(
                [
                    RosterProblem(
                        line,
                        None,
                        None,
                        f"more than {limits.max_rows} rows; the limit is roster.max_rows in "
                        "the department config",
                    )
                ]
            )
        if not any(cell_text(v) for v in values):
            continue  # a blank row between data is harmless
        row, row_problems = _parse_row(line, values, index, pcs)
        room = max(limits.max_problems_listed - len(problems), 0)
        problems.extend(row_problems[:room])
        more += len(row_problems) - len(row_problems[:room])
        if row is not None:
            rows.append(row)
        elif (position := index.get("email")) is not None and position < len(values):
            refused.add(cell_text(values[position]).lower())  # its own problem is reported
        if progress is not None and count % 500 == 0:
            progress(count, total)
    if progress is not None:
        progress(total, total)
    if not rows and not problems:
        problems.append(RosterProblem(None, None, None, "the file has a header but no people"))
    references = _check_references(rows, refused)
    room = max(limits.max_problems_listed - len(problems), 0)
    problems.extend(references[:room])
    more += len(references) - len(references[:room])
    if problems:
        raise RosterError(problems, more=more)
    return rows, pcs
