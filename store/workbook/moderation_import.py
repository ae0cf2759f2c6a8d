"""Moderation round-trip: read the moderated ratings a panel chose in the HR workbook's
moderation packs and record them through the store's service (F7, F18, F19).

All or nothing: every changed cell is checked first, and one problem means nothing is
written. Each problem names the sheet, row and column.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from sqlmodel import Session, col, select

from store.config import DepartmentConfig
from store.db import Database
from store.errors import PerfbotError, PermissionDenied
from store.framework import Rating, year_label
from store.models import AuditEntry, ModeratedRating, Person
from store.services import Actor, record_moderated_rating, require_hr
from store.workbook.base import EXPORT_ACTION, META_SHEET, PACK_NOTE, PACK_RATING, STAFF_ID

RATING, NOTE = PACK_RATING, PACK_NOTE


class ModerationImportError(PerfbotError):
    def __init__(
        self, message: str, problems: Iterable[str] = (), *, unreadable: bool = False
    ) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.unreadable = unreadable  # the file itself, not what is in it


@dataclass(frozen=True)
class Change:
    sheet: str
    row: int
    column: str
    person_id: int
    staff_id: str
    name: str
    old: Rating | None
    new: Rating
    note: str | None

    def where(self) -> str:
        return f"sheet '{self.sheet}', row {self.row}, column {self.column} ({RATING})"

    def __str__(self) -> str:
        was = self.old.label if self.old else "none"
        where = f"[{self.sheet}, row {self.row}]"
        return f"{self.name} ({self.staff_id}): {was} -> {self.new.label} {where}"


@dataclass(frozen=True)
class ImportResult:
    export_id: str
    year: int
    changes: list[Change]


def _meta(wb: Any) -> tuple[str, int, datetime, dict[str, str]]:
    if META_SHEET not in wb.sheetnames:
        raise ModerationImportError(
            "This is not a workbook from 'perfbot export' (its hidden 'perfbot' sheet is "
            "missing). Nothing was changed."
        )
    values: dict[str, Any] = {}
    packs: dict[str, str] = {}
    for row in wb[META_SHEET].iter_rows(values_only=True):
        if not row or row[0] is None:
            continue
        if row[0] == "sheet" and len(row) >= 3:
            packs[str(row[1])] = str(row[2])
        else:
            values[str(row[0])] = row[1]
    try:
        generated = datetime.fromisoformat(str(values["generated_at"]))
        return str(values["export_id"]), int(values["year"]), generated, packs
    except (KeyError, ValueError, TypeError):
        raise ModerationImportError(
            "The workbook's hidden 'perfbot' sheet has been edited: export a fresh workbook. "
            "Nothing was changed."
        ) from None


def _export_known(session: Session, export_id: str) -> bool:
    return (
        session.exec(
            select(AuditEntry.id).where(
                AuditEntry.action == EXPORT_ACTION, AuditEntry.entity_id == export_id
            )
        ).first()
        is not None
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# Each check below is one kind of bad edit a panel can make, reported with its place; kept
# together so the order of checks (sheet, header, row, cell) reads top to bottom.
def read_changes(  # noqa: C901
    session: Session, wb: Any, *, year: int, generated: datetime, packs: dict[str, str]
) -> tuple[list[Change], list[str]]:
    """Every cell whose moderated rating differs from the store, and every problem found."""
    problems: list[str] = []
    rows: list[tuple[str, str, int, str, Any, Any, str]] = []
    for title, unit in packs.items():
        if title not in wb.sheetnames:
            problems.append(f"sheet '{title}' ({unit}) is missing: do not rename or delete sheets")
            continue
        lines = wb[title].iter_rows(values_only=True)
        header = [_text(v) for v in next(lines, ())]
        columns = {}
        for name in (STAFF_ID, RATING, NOTE):
            if name not in header:
                problems.append(f"sheet '{title}', row 1: the column '{name}' is missing")
            else:
                columns[name] = header.index(name)
        if len(columns) < 3:
            continue
        rating_col = get_column_letter(columns[RATING] + 1)
        for n, line in enumerate(lines, 2):
            cells = list(line) + [None] * len(header)
            staff_id = _text(cells[columns[STAFF_ID]])
            value, note = cells[columns[RATING]], _text(cells[columns[NOTE]]) or None
            if not staff_id and value in (None, ""):
                continue
            rows.append((title, unit, n, rating_col, staff_id, value, note or ""))

    staff_ids = sorted({r[4] for r in rows if r[4]})
    people: dict[str, Person] = {}
    for start in range(0, len(staff_ids), 500):
        chunk = staff_ids[start : start + 500]
        for person in session.exec(select(Person).where(col(Person.staff_id).in_(chunk))):
            people[person.staff_id] = person
    moderated = {
        m.person_id: m
        for m in session.exec(select(ModeratedRating).where(ModeratedRating.year == year))
    }

    changes: list[Change] = []
    seen: dict[str, str] = {}
    for title, unit, n, rating_col, staff_id, value, note in rows:
        at = f"sheet '{title}', row {n}"
        found = people.get(staff_id)
        if not staff_id or found is None:
            problems.append(
                f"{at}, column A ({STAFF_ID}): no person with staff ID '{staff_id}' in perfbot"
            )
            continue
        person = found
        stored = moderated.get(person.id or 0)
        old = Rating(stored.rating) if stored else None
        where = f"{at}, column {rating_col} ({RATING})"
        if value in (None, "") or str(value).strip() == "":
            if old is not None:
                problems.append(
                    f"{where}: blank, but {person.name} already has a moderated rating "
                    f"({old.label}); a moderated rating can be changed, not removed"
                )
            continue
        try:
            new = Rating.parse(value)
        except PerfbotError:
            problems.append(
                f"{where}: '{value}' is not a box rating; choose "
                + ", ".join(r.label for r in Rating)
            )
            continue
        if new is old:
            continue
        if person.business_unit != unit:
            problems.append(
                f"{where}: {person.name} is in {person.business_unit}, not {unit}; only that "
                "unit's panel can moderate them"
            )
            continue
        if stored is not None and stored.recorded_at > generated:
            problems.append(
                f"{where}: {person.name}'s moderated rating was changed in perfbot "
                f"({old.label if old else ''}) after this workbook was exported: the file is "
                "stale, export a fresh one"
            )
            continue
        if staff_id in seen:
            problems.append(f"{where}: {person.name} is also changed at {seen[staff_id]}")
            continue
        seen[staff_id] = at
        changes.append(
            Change(
                title, n, rating_col, person.id or 0, staff_id, person.name, old, new, note or None
            )
        )
    return changes, problems


def import_moderation(
    db: Database, config: DepartmentConfig, path: str | Path, *, actor: Actor, now: datetime
) -> ImportResult:
    """Check every edited cell, then record all changes in one transaction (or none)."""
    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ModerationImportError(f"No file at {path}.", unreadable=True) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException):
        raise ModerationImportError(
            f"{path.name} is not an .xlsx workbook: give the workbook 'perfbot export' wrote, "
            "edited and saved as .xlsx.",
            unreadable=True,
        ) from None
    try:
        export_id, year, generated, packs = _meta(wb)
        label = year_label(year, config.year.start_month)
        with db.write() as session:
            try:
                require_hr(session, actor, "Only HR can record moderated ratings.")
            except PermissionDenied as denied:
                raise ModerationImportError(f"{denied.message} Nothing was changed.") from None
            if not _export_known(session, export_id):
                raise ModerationImportError(
                    f"{path.name} was not exported by this perfbot (export id {export_id} is "
                    "unknown). Nothing was changed."
                )
            changes, problems = read_changes(
                session, wb, year=year, generated=generated, packs=packs
            )
            if problems:
                raise _rejected(path, problems)
            for change in changes:
                reason = change.note or (
                    f"Moderation panel ({change.sheet}), {label}, workbook {export_id[:8]}"
                )
                try:
                    record_moderated_rating(
                        session,
                        config=config,
                        actor=actor,
                        subject_id=change.person_id,
                        rating=change.new,
                        reason=reason,
                        now=now,
                        year=year,
                    )
                except PerfbotError as exc:
                    problems.append(f"{change.where()}: {exc.message}")
            if problems:
                raise _rejected(path, problems)  # rolls back what was recorded above
    finally:
        wb.close()
    return ImportResult(export_id, year, changes)


def _rejected(path: Path, problems: list[str]) -> ModerationImportError:
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    return ModerationImportError(
        f"{path.name} was not imported: {count}. Nothing was changed.", problems
    )
