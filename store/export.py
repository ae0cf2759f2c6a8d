"""The HR workbook: ratings, awards, distribution, the consistency check (F21), the Cabinet
Office return (F22) and one moderation pack per business unit (F19).

Rows stream from the database into openpyxl's write-only mode, one pass over the people
ordered by business unit, grade and name, so memory does not grow with headcount. Derived
values (gates, bonus eligibility, moderation placement) come from ``store.framework``;
nothing is typed in. No formulas: every cell is a value, so LibreOffice and Excel agree.
Protected characteristics never appear per person; only ``store.aggregates`` reads them.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from sqlmodel import Session

from store import aggregates
from store import framework as fw
from store.config import DepartmentConfig
from store.db import Database
from store.framework import Grade, MinimumStandard, Rating, Stage
from store.models import (
    Award,
    AwardStatus,
    DevelopmentPlan,
    Evidence,
    FinanceOutcome,
    IndicativeRating,
    MinimumStandardResult,
    ModeratedRating,
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    Outbox,
    OutboxStatus,
    Person,
    PlanStatus,
    WriteUp,
)
from store.services import Actor, audit, require_hr

Progress = Callable[[int, int], None]

EXPORT_ACTION = "workbook.export"
EXPORT_REFUSED = "Only HR can export the workbook: it holds everyone's ratings."
META_SHEET = "perfbot"  # hidden: the export's id and which sheet is which business unit
PACK_PREFIX = "Mod "
STAFF_ID, PACK_RATING, PACK_NOTE = "Staff ID", "Moderated rating", "Moderation note"
PACK_EDITABLE = (PACK_RATING, PACK_NOTE)  # the panel types here: yellow, with a drop-down
BOXES = tuple(Rating)
GBP = '"£"#,##0.00'
PERCENT = "0.0%"
DATETIME = "yyyy-mm-dd hh:mm"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_EDIT_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _tables() -> dict[str, sa.Table]:
    return {
        m.__name__: m.__table__  # type: ignore[union-attr]
        for m in (
            Person,
            IndicativeRating,
            WriteUp,
            MinimumStandardResult,
            FinanceOutcome,
            ModeratedRating,
            DevelopmentPlan,
            Evidence,
            Award,
            Objective,
            ObjectiveRevision,
            ObjectiveMilestone,
        )
    }


# --- the one pass over people -----------------------------------------------------------------
def people_query(year: int, start_month: int) -> sa.Select[Any]:
    """Everyone employed at some point in the year, with their year's record in one row."""
    t = _tables()
    p, ir, wu = t["Person"], t["IndicativeRating"], t["WriteUp"]
    ms, fo, mr = t["MinimumStandardResult"], t["FinanceOutcome"], t["ModeratedRating"]
    dp, ev, aw, ob = t["DevelopmentPlan"], t["Evidence"], t["Award"], t["Objective"]
    lm, dg = p.alias("lm"), p.alias("dg")
    quarters = (
        sa.select(
            ir.c.person_id,
            *[
                sa.func.max(sa.case((ir.c.quarter == q, ir.c.rating))).label(f"q{q}")
                for q in fw.QUARTERS
            ],
        )
        .where(ir.c.year == year)
        .group_by(ir.c.person_id)
        .subquery("quarters")
    )
    standards = (
        sa.select(
            ms.c.person_id,
            *[
                sa.func.max(
                    sa.case((ms.c.standard == s.value, sa.case((ms.c.met, 1), else_=0)))
                ).label(f"ms_{s.value}")
                for s in MinimumStandard
            ],
        )
        .where(ms.c.year == year)
        .group_by(ms.c.person_id)
        .subquery("standards")
    )
    latest_plan = (
        sa.select(dp.c.person_id, sa.func.max(dp.c.id).label("plan_id"))
        .where(dp.c.year == year)
        .group_by(dp.c.person_id)
        .subquery("latest_plan")
    )
    evidence = (
        sa.select(ev.c.person_id, sa.func.count().label("evidence"))
        .where(ev.c.year == year)
        .group_by(ev.c.person_id)
        .subquery("evidence")
    )
    awards = (
        sa.select(
            aw.c.nominee_id,
            sa.func.count().label("awards"),
            sa.func.sum(aw.c.amount_pence).label("award_pence"),
        )
        .where(aw.c.year == year, aw.c.status == AwardStatus.APPROVED.value)
        .group_by(aw.c.nominee_id)
        .subquery("awards")
    )
    objectives = (
        sa.select(ob.c.person_id, sa.func.count().label("objectives"))
        .where(ob.c.year == year)
        .group_by(ob.c.person_id)
        .subquery("objectives")
    )
    mid = wu.alias("mid")
    end = wu.alias("end_wu")
    plan = dp.alias("plan")
    grade_rank = sa.case({g.value: n for n, g in enumerate(Grade)}, value=p.c.grade)
    first, last = fw.year_start(year, start_month), fw.year_end(year, start_month)
    return (
        sa.select(
            p.c.id,
            p.c.staff_id,
            p.c.name,
            p.c.email,
            p.c.grade,
            p.c.business_unit,
            p.c.location,
            lm.c.name.label("line_manager"),
            dg.c.name.label("dg"),
            p.c.start_date,
            p.c.civil_service_start,
            p.c.joined_from_department,
            p.c.left_on,
            p.c.left_to_department,
            p.c.poor_performance_measures,
            *[quarters.c[f"q{q}"] for q in fw.QUARTERS],
            mid.c.manager_assessed_at.label("mid_done"),
            end.c.manager_assessed_at.label("end_done"),
            end.c.recommended_rating,
            *[standards.c[f"ms_{s.value}"] for s in MinimumStandard],
            fo.c.met.label("finance_met"),
            mr.c.rating.label("moderated"),
            mr.c.reason.label("moderated_reason"),
            plan.c.status.label("plan_status"),
            sa.func.coalesce(evidence.c.evidence, 0).label("evidence"),
            sa.func.coalesce(awards.c.awards, 0).label("awards"),
            sa.func.coalesce(awards.c.award_pence, 0).label("award_pence"),
            sa.func.coalesce(objectives.c.objectives, 0).label("objectives"),
        )
        .select_from(p)
        .outerjoin(lm, lm.c.id == p.c.line_manager_id)
        .outerjoin(dg, dg.c.id == p.c.dg_id)
        .outerjoin(quarters, quarters.c.person_id == p.c.id)
        .outerjoin(
            mid,
            sa.and_(
                mid.c.person_id == p.c.id, mid.c.year == year, mid.c.stage == Stage.MID_YEAR.value
            ),
        )
        .outerjoin(
            end,
            sa.and_(
                end.c.person_id == p.c.id, end.c.year == year, end.c.stage == Stage.END_YEAR.value
            ),
        )
        .outerjoin(standards, standards.c.person_id == p.c.id)
        .outerjoin(fo, sa.and_(fo.c.person_id == p.c.id, fo.c.year == year))
        .outerjoin(mr, sa.and_(mr.c.person_id == p.c.id, mr.c.year == year))
        .outerjoin(latest_plan, latest_plan.c.person_id == p.c.id)
        .outerjoin(plan, plan.c.id == latest_plan.c.plan_id)
        .outerjoin(evidence, evidence.c.person_id == p.c.id)
        .outerjoin(awards, awards.c.nominee_id == p.c.id)
        .outerjoin(objectives, objectives.c.person_id == p.c.id)
        .where(
            p.c.start_date <= last,
            sa.or_(p.c.left_on.is_(None), p.c.left_on >= first),
        )
        .order_by(p.c.business_unit, grade_rank, p.c.name, p.c.id)
    )


@dataclass(frozen=True)
class Derived:
    """What the framework derives from one person's ratings, as the workbook shows it. Many
    people share the same inputs, so it is worked out once per distinct record (cached)."""

    quarters: tuple[str | None, ...]  # labels, Q1-Q4
    recommended: str | None
    standards: tuple[str | None, ...]  # Met / Not met per minimum standard
    finance: str | None
    gated: str | None
    reasons: str | None
    moderated: str | None
    final: Rating | None
    step: str | None
    bonus: str
    code: int  # aggregates.rating_code(Q2) * 5 + aggregates.rating_code(final)
    complete_standards: bool


_LABELS = {r.value: r.label for r in Rating}


@lru_cache(maxsize=65536)
def derive(
    quarters: tuple[str | None, ...],
    recommended: str | None,
    standards: tuple[int | None, ...],
    finance: int | None,
    moderated: str | None,
) -> Derived:
    met = {
        s: (None if v is None else bool(v)) for s, v in zip(MinimumStandard, standards, strict=True)
    }
    finance_met = None if finance is None else bool(finance)
    gated = fw.apply_gates(Rating(recommended), met, finance_met) if recommended else None  # F8/F9
    gated_rating = gated.rating if gated else None
    final = fw.final_rating(gated_rating, Rating(moderated) if moderated else None)  # F7
    step = fw.underperformance_step(  # F10
        {q: Rating(v) for q, v in enumerate(quarters, 1) if v}, gated_rating
    )
    q2 = Rating(quarters[1]) if quarters[1] else None
    return Derived(
        quarters=tuple(_LABELS[v] if v else None for v in quarters),
        recommended=_LABELS[recommended] if recommended else None,
        standards=tuple(_met(v) for v in met.values()),
        finance=_met(finance_met),
        gated=gated_rating.label if gated_rating else None,
        reasons="; ".join(gated.reasons) if gated and gated.reasons else None,
        moderated=_LABELS[moderated] if moderated else None,
        final=final,
        step=_STEP_LABELS[step],
        bonus=bonus_label(final),  # F16
        code=aggregates.rating_code(q2) * 5 + aggregates.rating_code(final),
        complete_standards=all(v is not None for v in standards),
    )


@lru_cache(maxsize=65536)
def placement(
    year: int, civil_service_start: date, start: date, left_on: date | None, moved_out: bool
) -> fw.ModeratedBy:
    """F18: who moderates this person (guidance §67-68)."""
    return fw.moderation_placement(
        start_year=year,
        civil_service_start=civil_service_start,
        joined_department=start,
        left_department=left_on,
        left_to_other_department=moved_out,
    )


def moderating_department(row: Any, where: fw.ModeratedBy, own: str) -> str:
    """F18: the department that moderates this person."""
    if where is fw.ModeratedBy.THIS_DEPARTMENT:
        return own
    if where is fw.ModeratedBy.NOT_ELIGIBLE:
        return "Not eligible (joined the Civil Service after 31 December)"
    if row.left_to_department and row.left_on:
        return str(row.left_to_department)
    return str(row.joined_from_department or "Previous department")


_PLACEMENT_LABELS = {m: m.value.replace("_", " ").capitalize() for m in fw.ModeratedBy}
_PLAN_LABELS = {None: None} | {s.value: s.value.replace("_", " ").capitalize() for s in PlanStatus}


def _label(rating: Rating | None) -> str | None:
    return rating.label if rating else None


def _met(value: bool | None) -> str | None:
    return None if value is None else ("Met" if value else "Not met")


_STEP_LABELS = {
    fw.UnderperformanceStep.NONE: None,
    fw.UnderperformanceStep.SUPPORT: "Support (one Partially Met)",
    fw.UnderperformanceStep.DEVELOPMENT_PLAN: "Development plan (two consecutive)",
    fw.UnderperformanceStep.FORMAL_MEASURES_EXPECTED: "Formal measures expected",
}


def bonus_label(rating: Rating | None) -> str:
    """F16: Exceeding and High Performing only; every Exceeding paid first."""
    priority = fw.bonus_priority(rating)
    return {1: "Eligible - pay first", 2: "Eligible"}.get(priority or 0, "Not eligible")


# --- sheets -----------------------------------------------------------------------------------
def styled(ws: Any, value: Any, *, fmt: str | None = None, **style: Any) -> WriteOnlyCell:
    """A cell with a number format and/or font, fill, alignment (write-only mode)."""
    c = WriteOnlyCell(ws, value=value)
    if fmt:
        c.number_format = fmt
    for key, val in style.items():
        setattr(c, key, val)
    return c


def _header(ws: Any, *titles: str) -> list[WriteOnlyCell]:
    return [styled(ws, t, font=_BOLD, fill=_HEADER_FILL) for t in titles]


@dataclass
class Sheet:
    """A write-only sheet with a bold, frozen, filtered header row and set widths."""

    ws: Any
    columns: list[tuple[str, float, str | None]]  # header, width, number format
    header_row: int = 1
    rows: int = 0
    _styled: list[tuple[int, WriteOnlyCell]] = field(default_factory=list)

    def start(self, before: list[list[Any]] | None = None) -> None:
        before = before or []
        for n, (header, width, _fmt) in enumerate(self.columns, 1):
            column = self.ws.column_dimensions[get_column_letter(n)]
            column.width = width
            if header in PACK_EDITABLE:
                column.fill = _EDIT_FILL
        self.header_row = len(before) + 1
        self.ws.freeze_panes = f"A{self.header_row + 1}"
        for line in before:
            self.ws.append(line)
        self.ws.append([self.cell(h, font=_BOLD, fill=_HEADER_FILL) for h, _, _ in self.columns])
        self._styled = [
            (i, self.cell(None, fmt=f)) for i, (_, _, f) in enumerate(self.columns) if f
        ]

    def cell(self, value: Any, *, fmt: str | None = None, **style: Any) -> WriteOnlyCell:
        return styled(self.ws, value, fmt=fmt, **style)

    def add(self, values: list[Any]) -> None:
        """A data row; columns with a number format get a styled cell. One cell per such
        column is reused: openpyxl writes a row out before ``append`` returns."""
        for i, template in self._styled:
            if values[i] is not None:
                template.value = values[i]
                values[i] = template
        self.ws.append(values)
        self.rows += 1

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter = AutoFilter(
            ref=f"A{self.header_row}:{last}{self.header_row + max(self.rows, 1)}"
        )

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


RATINGS_COLUMNS: list[tuple[str, float, str | None]] = [
    ("Staff ID", 10, None),
    ("Name", 24, None),
    ("Email", 30, None),
    ("Grade", 8, None),
    ("Business unit", 22, None),
    ("Location", 12, None),
    ("Line manager", 22, None),
    ("Director General", 22, None),
    ("Start date", 11, None),  # dates get yyyy-mm-dd from openpyxl itself
    ("Left on", 11, None),
    ("Objectives", 10, None),
    ("Q1", 15, None),
    ("Q2 (mid-year)", 15, None),
    ("Q3", 15, None),
    ("Q4", 15, None),
    ("Mid-year write-up", 12, None),
    ("End-year write-up", 12, None),
    ("End-year recommendation", 15, None),
    *[(s.label, 14, None) for s in MinimumStandard],
    ("Finance objective", 12, None),
    ("Rating after gates (F8/F9)", 15, None),
    ("Why the gates changed it", 40, None),
    ("Moderated rating (F7)", 15, None),
    ("Final rating", 15, None),
    ("Development plan (F10)", 14, None),
    ("Under-performance step (F10)", 22, None),
    ("On poor-performance measures", 12, None),
    ("Moderation (F18)", 16, None),
    ("Moderated by", 24, None),
    ("End-year bonus (F16)", 18, None),
    ("Evidence items", 10, None),
    ("Awards approved", 10, None),
    ("Awards total", 12, GBP),
]

PACK_COLUMNS: list[tuple[str, float, str | None]] = [
    ("Staff ID", 10, None),
    ("Name", 24, None),
    ("Grade", 8, None),
    ("Line manager", 22, None),
    ("Q1", 15, None),
    ("Q2 (mid-year)", 15, None),
    ("Q3", 15, None),
    ("Q4", 15, None),
    ("End-year recommendation", 15, None),
    ("Rating after gates (F8/F9)", 15, None),
    ("Why the gates changed it", 40, None),
    ("Evidence items", 10, None),
    ("Moderated rating", 18, None),
    ("Moderation note", 40, None),
]

AWARD_COLUMNS: list[tuple[str, float, str | None]] = [
    ("Award ID", 9, None),
    ("Nominee", 24, None),
    ("Staff ID", 10, None),
    ("Business unit", 22, None),
    ("Amount", 12, GBP),
    ("Status", 11, None),
    ("Reason", 40, None),
    ("Linked objective", 40, None),
    ("Linked milestone", 30, None),
    ("Nominated by", 22, None),
    ("Nominated", 16, DATETIME),
    ("Decided by", 22, None),
    ("Decided", 16, DATETIME),
    ("Decision reason", 30, None),
    ("CST approval needed (F15)", 12, None),
]

TOTAL_COLUMNS: list[tuple[str, float, str | None]] = [
    ("Staff ID", 10, None),
    ("Name", 24, None),
    ("Business unit", 22, None),
    ("Approved awards", 10, None),
    ("Approved total", 14, GBP),
    ("Pending total", 14, GBP),
    ("Headroom under the year cap", 14, GBP),
    ("Share of the year cap", 12, PERCENT),
    ("CST approval needed (F15)", 12, None),
]


UNDELIVERED_COLUMNS: list[tuple[str, float, str | None]] = [
    ("Staff ID", 10, None),
    ("Recipient", 24, None),
    ("Email", 30, None),
    ("Nudge", 22, None),
    ("Step", 16, None),
    ("Due", 16, DATETIME),
    ("Status", 14, None),
    ("Why", 50, None),
]


def pack_title(unit: str, taken: set[str]) -> str:
    """A sheet name for a business unit: Excel allows 31 characters and no []:*?/\\."""
    base = PACK_PREFIX + re.sub(r"[\[\]:*?/\\]", "-", unit).strip("'")
    title = base[:31]
    n = 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


@dataclass
class Tally:
    """Counts kept during the pass: they grow with grades and units, never with people."""

    headcount: int = 0
    ours: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    overall: Counter[Rating] = field(default_factory=Counter)
    by_grade: dict[str, Counter[Rating]] = field(default_factory=dict)
    by_unit: dict[str, Counter[Rating]] = field(default_factory=dict)
    poor_performance: int = 0
    bonus_eligible: int = 0


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
        generated_by = acting.name if acting else "perfbot operator (command line)"
        writer = _Writer(session, config, year=year, now=now, generated_by=generated_by)
        writer.write(path, progress)
    with db.write() as session:
        audit(
            session,
            actor=actor,
            now=now,
            action=EXPORT_ACTION,
            entity="workbook",
            entity_id=writer.export_id,
            new={"year": year, "people": writer.tally.headcount, "file": path.name},
        )
    return ExportResult(path, writer.export_id, year, writer.tally.headcount, writer.packs)


class _Writer:
    def __init__(
        self,
        session: Session,
        config: DepartmentConfig,
        *,
        year: int,
        now: datetime,
        generated_by: str,
    ) -> None:
        self.session, self.config, self.year, self.now = session, config, year, now
        self.generated_by = generated_by
        self.export_id = uuid.uuid4().hex
        self.tally = Tally()
        self.packs: dict[str, str] = {}
        self.wb = Workbook(write_only=True)
        self.label = fw.year_label(year, config.year.start_month)
        self.zone = ZoneInfo(config.department.timezone)

    def _local(self, value: datetime | None) -> datetime | None:
        return _local(value, self.zone)

    def write(self, path: Path, progress: Progress | None) -> None:
        wb = self.wb
        summary = wb.create_sheet("Summary")
        ratings = Sheet(wb.create_sheet("Ratings"), RATINGS_COLUMNS)
        awards = Sheet(wb.create_sheet("Awards"), AWARD_COLUMNS)
        totals = Sheet(wb.create_sheet("Award totals"), TOTAL_COLUMNS)
        distribution = wb.create_sheet("Distribution")
        consistency = wb.create_sheet("Consistency check")
        co_return = wb.create_sheet("Cabinet Office return")
        undelivered = Sheet(wb.create_sheet("Undelivered nudges"), UNDELIVERED_COLUMNS)
        population = people_query(self.year, self.config.year.start_month).order_by(None)
        unit_column = population.subquery().c.business_unit
        units = self.session.connection().execute(
            sa.select(unit_column).distinct().order_by(unit_column)
        )
        packs: dict[str, Sheet] = {}
        taken = {s.title.lower() for s in wb.worksheets} | {META_SHEET}
        for (unit,) in units:
            title = pack_title(unit, taken)
            self.packs[title] = unit
            packs[unit] = Sheet(wb.create_sheet(title), PACK_COLUMNS)
        meta = wb.create_sheet(META_SHEET)
        meta.sheet_state = "hidden"

        ratings.start()
        for pack in packs.values():
            pack.start()
        codes = self._people(ratings, packs, progress)
        ratings.finish()
        for pack in packs.values():
            pack.finish()
            last = pack.header_row + max(pack.rows, 1)
            boxes = DataValidation(
                type="list",
                formula1='"' + ",".join(r.label for r in BOXES) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Not a box rating",
                error="Choose one of the four boxes: " + ", ".join(r.label for r in BOXES),
            )
            column = get_column_letter([h for h, _, _ in PACK_COLUMNS].index(PACK_RATING) + 1)
            boxes.add(f"{column}{pack.first_data_row}:{column}{last}")
            pack.ws.data_validations.append(boxes)
        in_year = self._awards(awards, totals)
        self._distribution(distribution)
        self._consistency(consistency, codes)
        self._cabinet_office(co_return, in_year)
        self._undelivered(undelivered)
        self._summary(summary)
        meta.append(["export_id", self.export_id])
        meta.append(["year", self.year])
        meta.append(["generated_at", self.now.isoformat()])
        for title, unit in self.packs.items():
            meta.append(["sheet", title, unit])
        wb.save(path)

    # Ratings and moderation packs share the one pass.
    def _people(
        self, ratings: Sheet, packs: dict[str, Sheet], progress: Progress | None
    ) -> bytearray:
        conn = self.session.connection()
        p = Person.__table__  # type: ignore[attr-defined]
        total, max_id = conn.execute(sa.select(sa.func.count(), sa.func.max(p.c.id))).one()
        codes = bytearray((max_id or 0) + 1)
        own = self.config.department.name
        tally = self.tally
        rows = conn.execution_options(yield_per=2000).execute(
            people_query(self.year, self.config.year.start_month)
        )
        year = self.year
        for n, row in enumerate(rows, 1):
            d = derive(
                (row.q1, row.q2, row.q3, row.q4),
                row.recommended_rating,
                (row.ms_value_for_money, row.ms_delivery, row.ms_culture, row.ms_talent),
                row.finance_met,
                row.moderated,
            )
            where = placement(
                year,
                row.civil_service_start or row.start_date,
                row.start_date,
                row.left_on,
                bool(row.left_to_department),
            )
            ours = where is fw.ModeratedBy.THIS_DEPARTMENT
            ratings.add(
                [
                    row.staff_id,
                    row.name,
                    row.email,
                    row.grade,
                    row.business_unit,
                    row.location,
                    row.line_manager,
                    row.dg,
                    row.start_date,
                    row.left_on,
                    row.objectives,
                    *d.quarters,
                    "Done" if row.mid_done else None,
                    "Done" if row.end_done else None,
                    d.recommended,
                    *d.standards,
                    d.finance,
                    d.gated,
                    d.reasons,
                    d.moderated,
                    d.final.label if d.final else None,
                    _PLAN_LABELS[row.plan_status],
                    d.step,
                    "Yes" if row.poor_performance_measures else "No",
                    _PLACEMENT_LABELS[where],
                    own if ours else moderating_department(row, where, own),
                    d.bonus,
                    row.evidence,
                    row.awards,
                    row.award_pence / 100,
                ]
            )
            if ours:
                packs[row.business_unit].add(
                    [
                        row.staff_id,
                        row.name,
                        row.grade,
                        row.line_manager,
                        *d.quarters,
                        d.recommended,
                        d.gated,
                        d.reasons,
                        row.evidence,
                        d.moderated,
                        None,
                    ]
                )
            self._count(row, d, ours)
            codes[row.id] = d.code
            if progress and (n % 1000 == 0):
                progress(n, total)
        if progress:
            progress(tally.headcount, tally.headcount)
        return codes

    def _count(self, row: Any, d: Derived, ours: bool) -> None:
        tally = self.tally
        tally.headcount += 1
        stages = tally.stages
        stages["objectives"] += row.objectives > 0
        for q, label in enumerate(d.quarters, 1):
            stages[f"q{q}"] += label is not None
        stages["mid"] += bool(row.mid_done)
        stages["end"] += bool(row.end_done)
        stages["standards"] += d.complete_standards
        stages["finance"] += row.finance_met is not None
        tally.poor_performance += bool(row.poor_performance_measures)
        if not ours:
            return
        tally.ours += 1
        stages["moderated"] += d.moderated is not None
        final = d.final
        if final is not None:
            tally.overall[final] += 1
            tally.by_grade.setdefault(row.grade, Counter())[final] += 1
            tally.by_unit.setdefault(row.business_unit, Counter())[final] += 1
            tally.bonus_eligible += fw.end_year_bonus_eligible(final)

    def _awards(self, awards: Sheet, totals: Sheet) -> int:
        t = _tables()
        aw, p, ob, rev, ms = (
            t["Award"],
            t["Person"],
            t["Objective"],
            t["ObjectiveRevision"],
            t["ObjectiveMilestone"],
        )
        nominee, nominator, decider = p.alias("nominee"), p.alias("nominator"), p.alias("decider")
        latest = (
            sa.select(rev.c.objective_id, sa.func.max(rev.c.number).label("number"))
            .group_by(rev.c.objective_id)
            .subquery("latest")
        )
        revision = rev.alias("revision")
        conn = self.session.connection()
        rows = conn.execution_options(yield_per=2000).execute(
            sa.select(
                aw.c.id,
                nominee.c.name,
                nominee.c.staff_id,
                nominee.c.business_unit,
                aw.c.amount_pence,
                aw.c.status,
                aw.c.reason,
                ob.c.heading,
                revision.c.what,
                ms.c.title,
                nominator.c.name.label("nominator"),
                aw.c.nominated_at,
                decider.c.name.label("decider"),
                aw.c.decided_at,
                aw.c.decision_reason,
                aw.c.cst_approval_needed,
            )
            .select_from(aw)
            .join(nominee, nominee.c.id == aw.c.nominee_id)
            .join(nominator, nominator.c.id == aw.c.nominated_by_id)
            .outerjoin(decider, decider.c.id == aw.c.decided_by_id)
            .outerjoin(ob, ob.c.id == aw.c.objective_id)
            .outerjoin(latest, latest.c.objective_id == ob.c.id)
            .outerjoin(
                revision,
                sa.and_(revision.c.objective_id == ob.c.id, revision.c.number == latest.c.number),
            )
            .outerjoin(ms, ms.c.id == aw.c.milestone_id)
            .where(aw.c.year == self.year)
            .order_by(aw.c.nominated_at, aw.c.id)
        )
        awards.start()
        approved_count = approved_pence = pending_pence = 0
        for r in rows:
            objective = f"{fw.ObjectiveHeading(r.heading).label}: {r.what}" if r.heading else None
            awards.add(
                [
                    r.id,
                    r.name,
                    r.staff_id,
                    r.business_unit,
                    r.amount_pence / 100,
                    AwardStatus(r.status).value.capitalize(),
                    r.reason,
                    objective,
                    r.title,
                    r.nominator,
                    self._local(r.nominated_at),
                    r.decider,
                    self._local(r.decided_at),
                    r.decision_reason,
                    "Yes" if r.cst_approval_needed else "No",
                ]
            )
            if r.status == AwardStatus.APPROVED.value:
                approved_count += 1
                approved_pence += r.amount_pence
            elif r.status == AwardStatus.PENDING.value:
                pending_pence += r.amount_pence
        awards.finish()

        limits = self.config.award_limits
        pay_bill = self.config.awards.pay_bill_pounds
        pot_pence = round(pay_bill * 100 * limits.pot_percent / 100) if pay_bill else None
        pot_lines: list[list[Any]] = [
            [totals.cell(f"In-year awards, {self.label}", font=_TITLE)],
            [
                f"Pot ({limits.pot_percent:g}% of the SCS pay bill, F15)",
                totals.cell(pot_pence / 100, fmt=GBP)
                if pot_pence
                else "Set awards.pay_bill_pounds in the department config to see the pot",
            ],
            [
                f"Approved in-year awards ({approved_count})",
                totals.cell(approved_pence / 100, fmt=GBP),
            ],
            [
                "Share of the pot used",
                totals.cell(approved_pence / pot_pence, fmt=PERCENT) if pot_pence else None,
            ],
            ["Pending nominations", totals.cell(pending_pence / 100, fmt=GBP)],
            [],
        ]
        totals.start(pot_lines)
        status = aw.c.status
        per_person = conn.execution_options(yield_per=2000).execute(
            sa.select(
                p.c.staff_id,
                p.c.name,
                p.c.business_unit,
                sa.func.sum(sa.case((status == AwardStatus.APPROVED.value, 1), else_=0)),
                sa.func.sum(
                    sa.case((status == AwardStatus.APPROVED.value, aw.c.amount_pence), else_=0)
                ),
                sa.func.sum(
                    sa.case((status == AwardStatus.PENDING.value, aw.c.amount_pence), else_=0)
                ),
            )
            .join(p, p.c.id == aw.c.nominee_id)
            .where(aw.c.year == self.year)
            .group_by(p.c.id, p.c.staff_id, p.c.name, p.c.business_unit)
            .order_by(p.c.business_unit, p.c.name)
        )
        cap = limits.per_year_pence
        for staff_id, name, unit, count, approved, pending in per_person:
            totals.add(
                [
                    staff_id,
                    name,
                    unit,
                    count,
                    approved / 100,
                    pending / 100,
                    max(cap - approved, 0) / 100,
                    approved / cap,
                    "Yes" if fw.needs_cst_approval(approved, limits) else "No",
                ]
            )
        totals.finish()
        return approved_count

    def _undelivered(self, sheet: Sheet) -> None:
        """Nudges that could not reach someone: no Slack or Teams account matched their email
        (undeliverable) or the platform kept failing (dead). HR can chase these by hand."""
        o = Outbox.__table__  # type: ignore[attr-defined]
        p = Person.__table__  # type: ignore[attr-defined]
        rows = self.session.connection().execute(
            sa.select(
                p.c.staff_id, p.c.name, p.c.email, o.c.kind, o.c.step, o.c.due_at, o.c.status,
                o.c.last_error,
            )
            .join(p, p.c.id == o.c.recipient_id)
            .where(
                o.c.year.in_((self.year, 0)),
                o.c.status.in_((OutboxStatus.UNDELIVERABLE.value, OutboxStatus.DEAD.value)),
            )
            .order_by(p.c.name, o.c.due_at)
        )  # fmt: skip
        sheet.start()
        for r in rows:
            why = r.last_error or (
                "No Slack or Teams account matches this email"
                if r.status == OutboxStatus.UNDELIVERABLE.value
                else None
            )
            sheet.add(
                [
                    r.staff_id,
                    r.name,
                    r.email,
                    r.kind.replace("_", " ").capitalize(),
                    r.step.replace("_", " "),
                    self._local(r.due_at),
                    r.status.capitalize(),
                    why,
                ]
            )
        sheet.finish()

    def _distribution(self, ws: Any) -> None:
        tally = self.tally
        for n, width in enumerate((26, 15, 15, 15, 15, 10), 1):
            ws.column_dimensions[get_column_letter(n)].width = width
        ws.freeze_panes = "A3"
        ws.append([styled(ws, f"Distribution of final ratings, {self.label}", font=_TITLE)])
        ws.append(
            [
                "People moderated by this department with a final rating (moderated, else "
                "the recommendation after the gates). F20: no forced distribution; expect most "
                "in Achieving and about 5% Partially Met."
            ]
        )
        ws.append([])
        header = ["Box", "People", "Share", "Expected (F20)"]
        ws.append(_header(ws, *header))
        top = 5
        rated = sum(tally.overall.values())
        expected = {
            Rating.ACHIEVING: "The largest box",
            Rating.PARTIALLY_MET: styled(ws, fw.EXPECTED_PARTIALLY_MET_SHARE, fmt=PERCENT),
        }
        for r in BOXES:
            count = tally.overall[r]
            ws.append(
                [
                    r.label,
                    count,
                    styled(ws, count / rated if rated else 0, fmt=PERCENT),
                    expected.get(r),
                ]
            )
        ws.append([styled(ws, "Total", font=_BOLD), rated])
        chart = BarChart()
        chart.title = "Share of people per box"
        chart.y_axis.title = "Share"
        chart.y_axis.numFmt = "0%"
        chart.legend = None
        chart.add_data(
            Reference(ws, min_col=3, min_row=top - 1, max_row=top + 3), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=top, max_row=top + 3))
        chart.height, chart.width = 7, 14
        ws.add_chart(chart, "G2")
        row = top + 5
        for title, groups in (
            ("By grade", sorted(tally.by_grade.items(), key=lambda kv: Grade(kv[0]).value)),
            ("By business unit", sorted(tally.by_unit.items())),
        ):
            row += 1
            ws.append([])
            ws.append(_header(ws, title, *[f"{r.label} %" for r in BOXES], "People"))
            first = row + 2
            for name, counts in groups:
                people = sum(counts.values())
                ws.append(
                    [name] + [styled(ws, counts[r] / people, fmt=PERCENT) for r in BOXES] + [people]
                )
            row = first + len(groups) - 1
            if title == "By grade" and groups:
                stacked = BarChart()
                stacked.type = "col"
                stacked.grouping = "percentStacked"
                stacked.overlap = 100
                stacked.title = "Boxes by grade"
                stacked.add_data(
                    Reference(ws, min_col=2, max_col=5, min_row=first - 1, max_row=row),
                    titles_from_data=True,
                )
                stacked.set_categories(Reference(ws, min_col=1, min_row=first, max_row=row))
                stacked.height, stacked.width = 7, 14
                ws.add_chart(stacked, "G18")

    def _consistency(self, ws: Any, codes: bytearray) -> None:
        threshold = self.config.reporting.suppression_threshold
        tables = aggregates.consistency_check(self.session, codes, threshold=threshold)
        ws.column_dimensions["A"].width = 34
        for col in range(2, 15):
            ws.column_dimensions[get_column_letter(col)].width = 13
        ws.freeze_panes = "A4"
        ws.append([styled(ws, f"Consistency check (F21), {self.label}", font=_TITLE)])
        ws.append(
            [
                f"Counts of people per box by protected characteristic. Cells with fewer than "
                f"{threshold} people are hidden (shown as *), with further cells hidden where "
                "a count could otherwise be worked out from the totals; groups under "
                f"{threshold} are pooled as Other. Zeros are shown."
            ]
        )
        ws.append([])
        if not tables:
            ws.append(["The roster holds no protected characteristics (pc_ columns)."])
        for mid, end in tables:
            ws.append([styled(ws, mid.characteristic, font=_TITLE)])
            for table in (mid, end):
                ws.append([styled(ws, table.stage, font=_BOLD)])
                if table.withheld:
                    ws.append([table.withheld])
                    ws.append([])
                    continue
                ws.append(_header(ws, "Group", *[r.label for r in BOXES], "Total"))
                for group, cells, total in zip(
                    table.groups, table.cells, table.row_totals, strict=True
                ):
                    ws.append([group] + ["*" if c is None else c for c in cells] + [total])
                ws.append([styled(ws, "Total", font=_BOLD)] + table.column_totals + [table.total])
                ws.append([])

    def _cabinet_office(self, ws: Any, in_year_payments: int) -> None:
        tally = self.tally
        ret = fw.cabinet_office_return(
            tally.overall.elements(),
            in_year_payments=in_year_payments,
            end_year_payments=tally.bonus_eligible,
            on_poor_performance_measures=tally.poor_performance,
        )
        ws.column_dimensions["A"].width = 60
        ws.column_dimensions["B"].width = 14
        ws.column_dimensions["C"].width = 12
        ws.freeze_panes = "A4"
        ws.append([styled(ws, f"Cabinet Office return (F22), {self.label}", font=_TITLE)])
        ws.append([f"{self.config.department.name}: final ratings of {ret.rated} people."])
        ws.append(_header(ws, "Measure", "Number", "%"))
        ws.append(
            [
                "Rated Exceeding or High Performing",
                ret.top_two,
                styled(ws, ret.top_two_share, fmt=PERCENT),
            ]
        )
        ws.append(
            [
                "Rated Partially Met",
                ret.partially_met,
                styled(ws, ret.partially_met_share, fmt=PERCENT),
            ]
        )
        ws.append(
            ["Non-consolidated payments in-year (approved in-year awards)", ret.in_year_payments]
        )
        ws.append(
            [
                "Non-consolidated payments end-year (people eligible under F16; perfbot does "
                "not record bonus payments)",
                ret.end_year_payments,
            ]
        )
        ws.append(["On formal poor-performance measures", ret.on_poor_performance_measures])

    def _summary(self, ws: Any) -> None:
        tally = self.tally
        ws.column_dimensions["A"].width = 44
        ws.column_dimensions["B"].width = 18
        ws.column_dimensions["C"].width = 12
        ws.freeze_panes = "A2"
        ws.append(
            [
                styled(
                    ws, f"{self.config.department.name}: SCS performance {self.label}", font=_TITLE
                )
            ]
        )
        ws.append(["Performance year", self.label])
        ws.append(["Generated", styled(ws, self._local(self.now), fmt=DATETIME)])
        ws.append(["Generated by", self.generated_by])
        ws.append(["Export id (for moderation import)", self.export_id])
        ws.append(["Headcount (employed during the year)", tally.headcount])
        ws.append(["Moderated by this department (F18)", tally.ours])
        ws.append([])
        ws.append(_header(ws, "Stage", "People", "Share"))
        stages = [
            ("Objectives set", "objectives", tally.headcount),
            ("Q1 indicative rating", "q1", tally.headcount),
            ("Q2 indicative rating (mid-year)", "q2", tally.headcount),
            ("Mid-year write-up by the manager", "mid", tally.headcount),
            ("Q3 indicative rating", "q3", tally.headcount),
            ("Q4 indicative rating", "q4", tally.headcount),
            ("End-year write-up and recommendation", "end", tally.headcount),
            ("All four minimum standards assessed (F8)", "standards", tally.headcount),
            ("Finance objective outcome (F9)", "finance", tally.headcount),
            ("Moderated rating recorded (of those we moderate)", "moderated", tally.ours),
        ]
        for label, key, base in stages:
            done = tally.stages[key]
            ws.append([label, done, styled(ws, done / base if base else 0, fmt=PERCENT)])
        ws.append([])
        ws.append([styled(ws, "How to read this workbook", font=_BOLD)])
        for line in (
            "Ratings: one row per person employed during the year. The rating after the gates "
            "is derived from the recommendation, the four minimum standards (F8) and the finance "
            "objective (F9); the final rating is the moderated one where there is one (F7).",
            "Awards and Award totals: every in-year award nomination, and each person's year "
            "total against the caps (F15).",
            "Distribution: final ratings per box against the expected curve (F20).",
            "Consistency check: protected characteristics as counts only, small cells hidden "
            "(F21).",
            "Cabinet Office return: the autumn figures (F22).",
            "Undelivered nudges: reminders that could not reach someone (no chat account "
            "matched their email, or the platform kept failing), to chase by hand.",
            "Mod sheets: one moderation pack per business unit, grade by grade (F19). Choose a "
            "box in the yellow 'Moderated rating' column (and a note if you like), save, and "
            "run 'perfbot moderation import FILE'. Do not rename sheets or move columns.",
        ):
            ws.append([styled(ws, line, alignment=_WRAP)])


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Excel has no time zones: datetimes are written as the department's local time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).replace(tzinfo=None)
