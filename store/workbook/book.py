"""The HR workbook: which sheets it has, in order, and how an export runs.

Rows stream from the database into openpyxl's write-only mode, one pass over the people
ordered by business unit, grade and name, so memory does not grow with headcount. Derived
values (gates, bonus eligibility, moderation placement) come from ``store.framework``;
nothing is typed in. No formulas: every cell is a value, so LibreOffice and Excel agree.
Protected characteristics never appear per person; only ``store.aggregates`` reads them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.worksheet.properties import PageSetupProperties
from sqlmodel import Session, select

from store import aggregates
from store import framework as fw
from store.config import DepartmentConfig
from store.db import Database
from store.metrics import timed_export
from store.models import ConsistencyRecord
from store.models import Person as PersonRow
from store.queries import demo_people
from store.services import Actor, audit, require_hr
from store.services.base import ensure_year
from store.workbook import (
    awards,
    cabinet_office,
    consistency,
    distribution,
    packs,
    ratings,
    summary,
    undelivered,
    unreachable,
)
from store.workbook.base import (
    DEMO_BANNER,
    EXPORT_ACTION,
    EXPORT_REFUSED,
    META_SHEET,
    Book,
    Person,
    SheetSpec,
)
from store.workbook.cells import Sheet, append
from store.workbook.population import (
    PLACEMENT_LABELS,
    derive,
    moderating_department,
    people_query,
    placement,
)

Progress = Callable[[int, int], None]

# The workbook's sheets, in the order HR sees them; the moderation packs follow, one per
# business unit. A new sheet is one module with a SheetSpec, added here.
SHEETS: tuple[SheetSpec, ...] = (
    summary.SPEC,
    ratings.SPEC,
    awards.AWARDS,
    awards.TOTALS,
    distribution.SPEC,
    consistency.SPEC,
    cabinet_office.SPEC,
    undelivered.SPEC,
    unreachable.SPEC,
)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    export_id: str
    year: int
    people: int
    moderation_sheets: dict[str, str]  # sheet title -> business unit


def export_workbook(
    db: Database,
    config: DepartmentConfig,
    path: str | Path,
    *,
    actor: Actor,
    now: datetime,
    year: int,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the HR workbook for ``year`` to ``path`` (HR only) and audit who took it."""
    path = Path(path)
    with db.read() as session:
        acting = require_hr(session, actor, EXPORT_REFUSED)
        path.open("wb").close()  # a missing folder or no permission fails now, not at the end
        book = Book(
            session,
            config,
            year=year,
            now=now,
            label=fw.year_label(year, config.year.start_month),
            generated_by=acting.name if acting else "perfbot operator (command line)",
            export_id=uuid.uuid4().hex,
            demo=demo_people(session),
        )
        try:
            with timed_export():
                _write(book, path, progress)
        except BaseException:
            path.unlink(missing_ok=True)  # never leave half a workbook behind
            raise
    with db.write() as session:
        _keep_mid_year_record(session, book, actor, now)
        audit(
            session,
            actor=actor,
            now=now,
            action=EXPORT_ACTION,
            entity="workbook",
            entity_id=book.export_id,
            new={"year": year, "people": book.tally.headcount, "file": path.name},
        )
    return ExportResult(path, book.export_id, year, book.tally.headcount, book.packs)


def _keep_mid_year_record(session: Session, book: Book, actor: Actor, now: datetime) -> None:
    """F21: keep the mid-year tables this export published as the year's record (counts only,
    already suppressed), unless another export kept one first."""
    if not book.mid_year_record:
        return
    kept = session.exec(
        select(ConsistencyRecord.id).where(ConsistencyRecord.year == book.year)
    ).first()
    if kept is not None:
        return
    ensure_year(session, book.config, book.year)
    for table in book.mid_year_record:
        session.add(
            ConsistencyRecord(
                year=book.year,
                characteristic=table.characteristic,
                recorded_at=now,
                recorded_by_id=actor.person_id,
                published=aggregates.published(table),
            )
        )
    session.flush()
    audit(
        session,
        actor=actor,
        now=now,
        action="consistency.record",
        entity="consistency_record",
        entity_id=str(book.year),
        new={"year": book.year, "characteristics": len(book.mid_year_record)},
    )


def _write(book: Book, path: Path, progress: Progress | None) -> None:
    wb = Workbook(write_only=True)
    sheets = {spec.title: wb.create_sheet(spec.title) for spec in SHEETS}
    unit_packs = _create_packs(book, wb)
    for ws in wb.worksheets:  # before any row is written: the setup leads each sheet
        for_print(ws, demo=book.demo > 0)
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    book.guide = [s.how_to_read for s in SHEETS if s.how_to_read] + [packs.HOW_TO_READ]

    per_person = {
        spec.title: (Sheet(sheets[spec.title], spec.columns), spec.person_row)
        for spec in SHEETS
        if spec.person_row is not None
    }
    for sheet, _row in per_person.values():
        sheet.start()
    for pack in unit_packs.values():
        pack.start()
    for n, person in enumerate(_people(book, progress), 1):
        for sheet, row in per_person.values():
            assert row is not None
            sheet.add(row(book, person))
        if person.ours:
            unit_packs[person.row.business_unit].add(packs.person_row(book, person))
        if progress and n % 1000 == 0:
            progress(n, book.tally.headcount)
    for sheet, _row in per_person.values():
        sheet.finish()
    for pack in unit_packs.values():
        pack.finish()
        packs.add_drop_down(pack)

    fillers = [s for s in SHEETS if s.fill is not None and s.person_row is None]
    for spec in sorted(fillers, key=lambda s: s.fills_last):  # stable: display order kept
        assert spec.fill is not None
        spec.fill(book, sheets[spec.title])
    append(meta, ["export_id", book.export_id])
    append(meta, ["year", book.year])
    append(meta, ["generated_at", book.now.isoformat()])
    for title, unit in book.packs.items():
        append(meta, ["sheet", title, unit])
    wb.save(path)


def for_print(ws: Any, *, demo: bool = False) -> None:
    """Every sheet prints as HR would want it: A4 landscape, as wide as the page (a pack's
    names and its yellow moderation column on one page), with its first row repeated on
    every page. A workbook holding the demo department says so at the top of every page."""
    if demo:
        ws.oddHeader.center.text = DEMO_BANNER
        ws.evenHeader.center.text = DEMO_BANNER
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"


def _create_packs(book: Book, wb: Any) -> dict[str, Sheet]:
    """One moderation pack per business unit in the year's population (F19)."""
    population = people_query(book.year, book.config.year.start_month).order_by(None).subquery()
    unit_column = population.c.business_unit
    units = book.session.connection().execute(
        sa.select(unit_column)
        .where(population.c.grade != fw.Grade.PERMSEC.value)  # F19: no pack for them
        .distinct()
        .order_by(unit_column)
    )
    taken = {s.title.lower() for s in wb.worksheets} | {META_SHEET}
    unit_packs: dict[str, Sheet] = {}
    for (unit,) in units:
        title = packs.title_for(unit, taken)
        book.packs[title] = unit
        unit_packs[unit] = Sheet(wb.create_sheet(title), packs.COLUMNS)
    return unit_packs


def _people(book: Book, progress: Progress | None) -> Any:
    """The one pass over people: each person's row, what the framework derives, and who
    moderates them; counted into the book's tally as they go."""
    conn = book.session.connection()
    p = PersonRow.__table__  # type: ignore[attr-defined]
    total, max_id = conn.execute(sa.select(sa.func.count(), sa.func.max(p.c.id))).one()
    book.codes = bytearray((max_id or 0) + 1)
    own = book.config.department.name
    rows = conn.execution_options(yield_per=2000).execute(
        people_query(book.year, book.config.year.start_month)
    )
    for row in rows:
        d = derive(
            (row.q1, row.q2, row.q3, row.q4),
            row.recommended_rating,
            (row.ms_value_for_money, row.ms_delivery, row.ms_culture, row.ms_talent),
            row.finance_met,
            row.moderated,
            row.end_agreed is not None,  # F23: agreed by the job holder
            bool(row.left_on and not row.left_to_department),  # F16: left the Civil Service
            (row.last_q3, row.last_q4),  # F10: last year's Q3 and Q4
            row.review_outcome,  # F27: a review's outcome is the final rating
        )
        where = placement(  # F18
            book.year,
            row.civil_service_start or row.start_date,
            row.start_date,
            row.left_on,
            bool(row.left_to_department),
            row.grade,
            fw.assessed_as_scs(  # F25
                start_year=book.year,
                start_month=book.config.year.start_month,
                promoted_from=row.temporary_promotion_from,
                left_on=row.left_on,
                approach=book.config.reporting.temporary_promotion,
            ),
        )
        ours = where is fw.ModeratedBy.THIS_DEPARTMENT
        book.tally.count(row, d, ours)
        book.codes[row.id] = d.code
        yield Person(
            row,
            d,
            PLACEMENT_LABELS[where],
            ours,
            own if ours else moderating_department(row, where, own),
        )
    if progress:
        progress(book.tally.headcount, max(total, book.tally.headcount))
