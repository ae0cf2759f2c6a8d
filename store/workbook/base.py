"""What every sheet of the HR workbook shares: the export in progress (``Book``) and the
spec a sheet is described by. Adding a sheet is adding one spec to ``store.workbook.book``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from store.config import DepartmentConfig
from store.workbook.cells import Column, local
from store.workbook.population import Derived, Tally

EXPORT_ACTION = "workbook.export"
EXPORT_REFUSED = "Only HR can export the workbook: it holds everyone's ratings."
META_SHEET = "perfbot"  # hidden: the export's id and which sheet is which business unit
PACK_PREFIX = "Mod "
STAFF_ID, PACK_RATING, PACK_NOTE = "Staff ID", "Moderated rating", "Moderation note"


DEMO_BANNER = "DEMO - fictional people of the demo department, not real records"


@dataclass
class Book:
    """One export in progress: what it is for, and what the one pass over people found."""

    session: Session
    config: DepartmentConfig
    year: int
    now: datetime
    label: str  # the performance year, e.g. 2026-27
    generated_by: str
    export_id: str
    tally: Tally = field(default_factory=Tally)
    packs: dict[str, str] = field(default_factory=dict)  # sheet title -> business unit
    codes: bytearray = field(default_factory=bytearray)  # per person id: Q2 and final, coded
    in_year_payments: int = 0  # approved in-year awards (filled by the Awards sheet)
    demo: int = 0  # people of the fictional demo department stored (the workbook says DEMO)
    guide: list[str] = field(default_factory=list)  # each sheet's "how to read" line
    # F21: mid-year tables this export keeps as the year's record (the check date has come)
    mid_year_record: list[Any] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.department.timezone)

    def local(self, value: datetime | None) -> datetime | None:
        return local(value, self.zone)


@dataclass(frozen=True)
class Person:
    """One person's row of the population, what the framework derives from it, and whether
    this department moderates them (F18)."""

    row: Any
    derived: Derived
    placement: Any
    ours: bool
    moderated_by: str


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: its title, the line the Summary gives it under "How to read this workbook",
    and how it is filled - a row per person from the one pass over people (``person_row``,
    with ``columns``), or by itself afterwards (``fill``, given the book and the worksheet)."""

    title: str
    how_to_read: str | None = None
    columns: tuple[Column, ...] = ()
    person_row: Callable[[Book, Person], list[Any]] | None = None
    fill: Callable[[Book, Any], None] | None = None
    fills_last: bool = False  # reads what every other sheet found (the Summary)
