"""The performance year (F1), its stages (F2), and the organisation's grades, nations and roles."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from store.errors import InvalidInput


# --- Organisation ---------------------------------------------------------------------------
class Grade(StrEnum):
    SCS1 = "SCS1"
    SCS2 = "SCS2"
    SCS3 = "SCS3"
    PERMSEC = "PermSec"

    @classmethod
    def parse(cls, value: object, *, field: str = "grade") -> Grade:
        key = str(value or "").strip().lower().replace(" ", "")
        for grade in cls:
            if grade.value.lower() == key:
                return grade
        raise InvalidInput(
            f"'{value}' is not a grade. Use one of: {', '.join(g.value for g in cls)}.",
            field=field,
        )


class Nation(StrEnum):
    """Where a person works; it decides their bank holidays."""

    ENGLAND = "England"
    WALES = "Wales"
    SCOTLAND = "Scotland"
    NORTHERN_IRELAND = "Northern Ireland"

    @property
    def holiday_subdivision(self) -> str:
        """The `holidays` package's code for the UK nation (England and Wales share one list)."""
        return {"England": "ENG", "Wales": "WLS", "Scotland": "SCT", "Northern Ireland": "NIR"}[
            self.value
        ]

    @classmethod
    def parse(cls, value: object, *, field: str = "location") -> Nation:
        key = re.sub(r"\s+", " ", str(value or "")).strip().lower()
        for nation in cls:
            if nation.value.lower() == key:
                return nation
        raise InvalidInput(
            f"'{value}' is not a UK nation. Use one of: {', '.join(n.value for n in cls)}.",
            field=field,
        )


class Role(StrEnum):
    """Extra roles beyond the line relationships held in the roster."""

    HR = "hr"
    DG = "dg"


# --- F1: the performance year ---------------------------------------------------------------
def year_start(start_year: int, start_month: int = 4) -> date:
    """F1: the first day of the performance year that starts in ``start_year`` (default 1 April)."""
    return date(start_year, start_month, 1)


def year_end(start_year: int, start_month: int = 4) -> date:
    """F1: the last day of the performance year (default 31 March of the next calendar year)."""
    nxt = year_start(start_year + 1, start_month)
    return date.fromordinal(nxt.toordinal() - 1)


def performance_year_of(day: date, start_month: int = 4) -> int:
    """F1: the calendar year in which the performance year containing ``day`` began."""
    return day.year if day.month >= start_month else day.year - 1


def year_label(start_year: int, start_month: int = 4) -> str:
    """'2026-27' for a year starting in April 2026; '2026' for a calendar-year department."""
    if start_month == 1:
        return str(start_year)
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def day_words(day: date, *, weekday: bool = True) -> str:
    """The one way a date is written to users: 'Friday 9 October' ('9 October')."""
    return f"{day:%A} {day.day} {day:%B}" if weekday else f"{day.day} {day:%B}"


def quarter_of(day: date, start_month: int = 4) -> int:
    """F2/F5: which quarter (1-4) of its performance year ``day`` falls in."""
    months = (day.month - start_month) % 12
    return months // 3 + 1


# --- F2: stages -----------------------------------------------------------------------------
class Stage(StrEnum):
    """F2/F5: the two formal write-ups (guidance §48, Annex B)."""

    MID_YEAR = "mid_year"
    END_YEAR = "end_year"

    @property
    def label(self) -> str:
        return "Mid-year" if self is Stage.MID_YEAR else "End-year"


QUARTERS = (1, 2, 3, 4)
# F2: the mid-year write-up follows the Q2 conversation; Q4 is the end-year assessment (§65).
STAGE_QUARTER = {Stage.MID_YEAR: 2, Stage.END_YEAR: 4}
