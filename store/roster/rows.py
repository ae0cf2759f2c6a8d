"""What a roster is: its columns, one checked row, and the problems a file can have."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from store.errors import InvalidInput
from store.framework import Grade, Nation, Role

COLUMNS: dict[str, str] = {
    "staff_id": "Unique staff number; the key that ties re-imports to the same person.",
    "name": "Full name as it should appear in chat.",
    "email": "Work email; used to match the person's Slack or Teams account.",
    "grade": "SCS1, SCS2, SCS3 or PermSec.",
    "business_unit": "Business unit (moderation panels are held per unit).",
    "line_manager_email": "Line manager's email; must be a row in this file. Blank only for "
    "the Permanent Secretary.",
    "countersigning_email": "Countersigning officer's email; must be a row in this file.",
    "dg_email": "Director General who decides this person's in-year awards; that person "
    "needs the dg role.",
    "start_date": "Date the person joined this department (YYYY-MM-DD or DD/MM/YYYY).",
    "location": "England, Wales, Scotland or Northern Ireland (sets bank holidays).",
    "roles": "Comma list of extra roles: hr, dg. Blank for none.",
    "poor_performance_measures": "yes or no: on formal poor-performance measures (no in-year "
    "awards while on them).",
}
OPTIONAL_COLUMNS: dict[str, str] = {
    "civil_service_start": "Date the person joined the Civil Service, if earlier than "
    "start_date (F18 moderation eligibility).",
    "joined_from_department": "Department the person moved from, if they moved in this year.",
    "leaving_date": "Date the person left, once they have left: keep their row with this "
    "date rather than deleting it, so moderation uses the real date.",
    "left_to_department": "Department the person moved to, if they left by moving to another "
    "department; needs leaving_date.",
    "temporary_promotion_from": "If the person is temporarily promoted into the SCS: the date "
    "the promotion began.",
    "substantive_grade": "With temporary_promotion_from: the grade they hold substantively, "
    "e.g. Grade 6.",
}
PC_PREFIX = "pc_"
PC_GUIDE = (
    "Optional protected characteristics, one column each, named pc_<characteristic> "
    "(e.g. pc_sex, pc_ethnicity, pc_disability, pc_age_band). Stored apart and only ever "
    "reported as counts with small groups hidden."
)
EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
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

    def __init__(self, problems: list[RosterProblem], *, more: int = 0) -> None:
        self.problems = problems + (
            [RosterProblem(None, None, None, f"... and {more} more, not listed")] if more else []
        )
        count = len(problems) + more
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
    leaving_date: date | None = None  # F18
    left_to_department: str | None = None  # F18
    temporary_promotion_from: date | None = None  # F25
    substantive_grade: str | None = None  # F25
    pcs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    left: int
    rejoined: int
    pc_columns: tuple[str, ...]
    dropped: int = 0  # of ``left``: no longer in the file, so left "today" (no leaving date)
    moves_kept: int = 0  # F18: moves HR recorded that the file did not repeat

    def summary(self) -> str:
        text = (
            f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.left} marked as left, {self.rejoined} returned"
        )
        if self.moves_kept:
            text += (
                f". Kept {self.moves_kept} department "
                f"{'move' if self.moves_kept == 1 else 'moves'} HR recorded"
            )
        if self.dropped:
            who = "person is" if self.dropped == 1 else "people are"
            text += (
                f". {self.dropped} {who} no longer in the file, so marked as leaving today; "
                "if they left earlier, put their rows back with leaving_date, so moderation "
                "uses the real date"
            )
        return text


Progress = Callable[[int, int], None]
