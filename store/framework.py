"""The SCS performance framework as constants and pure functions.

Each rule carries its id from FRAMEWORK.md (F1-F25) and the paragraph of the source it
comes from (``guidance §N`` is the Cabinet Office guidance for the SCS, ``outcome form`` the
Outcome Agreement Form). Nothing here reads the database or the clock: callers pass values in,
so every rule can be tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from store.errors import InvalidInput, RuleViolation


# --- F4: the four boxes -------------------------------------------------------------------
class Rating(StrEnum):
    """F4: the four box ratings, best first (guidance §17)."""

    EXCEEDING = "exceeding"
    HIGH_PERFORMING = "high_performing"
    ACHIEVING = "achieving"
    PARTIALLY_MET = "partially_met"

    @property
    def label(self) -> str:
        return _RATING_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for the best box, 3 for Partially Met."""
        return _RATING_ORDER.index(self)

    def is_above(self, other: Rating) -> bool:
        return self.rank < other.rank

    @classmethod
    def parse(cls, value: object, *, field: str = "rating") -> Rating:
        """F4: read either spelling (guidance "Exceeding", outcome form "Exceeded")."""
        if isinstance(value, Rating):
            return value
        key = re.sub(r"[\s_\-]+", " ", str(value or "")).strip().lower()
        try:
            return _RATING_SPELLINGS[key]
        except KeyError:
            raise InvalidInput(
                f"'{value}' is not a box rating. Use one of: "
                + ", ".join(r.label for r in _RATING_ORDER)
                + ".",
                field=field,
            ) from None


_RATING_ORDER = (
    Rating.EXCEEDING,
    Rating.HIGH_PERFORMING,
    Rating.ACHIEVING,
    Rating.PARTIALLY_MET,
)
_RATING_LABELS = {
    Rating.EXCEEDING: "Exceeding",
    Rating.HIGH_PERFORMING: "High Performing",
    Rating.ACHIEVING: "Achieving",
    Rating.PARTIALLY_MET: "Partially Met",
}
_RATING_SPELLINGS = {
    "exceeding": Rating.EXCEEDING,
    "exceeded": Rating.EXCEEDING,  # outcome form spelling
    "high performing": Rating.HIGH_PERFORMING,
    "high performance": Rating.HIGH_PERFORMING,
    "achieving": Rating.ACHIEVING,
    "achieved": Rating.ACHIEVING,  # outcome form spelling
    "partially met": Rating.PARTIALLY_MET,
}

# One line per box, in our own words, for forms and help texts.
RATING_HINTS = {
    Rating.EXCEEDING: "Went beyond all agreed objectives and behaviours all year, with a "
    "significant contribution beyond their own business unit.",
    Rating.HIGH_PERFORMING: "Delivered what the role asks and went further on some "
    "objectives or behaviours.",
    Rating.ACHIEVING: "Delivered the agreed objectives to the expected standard.",
    Rating.PARTIALLY_MET: "Fell short on some objectives or behaviours; needs support to improve.",
}


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


# --- F6: what and how -----------------------------------------------------------------------
NOTE_MAX_CHARS = 3000


def check_what_and_how(what: str | None, how: str | None, *, required: bool = True) -> None:
    """F6: an assessment records delivery (what) and behaviours (how) with equal weight (§69-70)."""
    for field, text in (("what", what), ("how", how)):
        text = (text or "").strip()
        if required and not text:
            raise RuleViolation(
                "F6",
                f"Add a note on the '{field}' - delivery and behaviours carry equal weight.",
                field=field,
            )
        if len(text) > NOTE_MAX_CHARS:
            raise InvalidInput(
                f"The '{field}' note is {len(text)} characters; the limit is {NOTE_MAX_CHARS}.",
                field=field,
            )


# --- F8, F9: gates --------------------------------------------------------------------------
class MinimumStandard(StrEnum):
    """F8: the four minimum standards of the outcome form, assessed met / not met at year end."""

    VALUE_FOR_MONEY = "value_for_money"
    DELIVERY = "delivery"
    CULTURE = "culture"
    TALENT = "talent"

    @property
    def label(self) -> str:
        return _STANDARD_LABELS[self]

    @classmethod
    def parse(cls, value: object, *, field: str = "standard") -> MinimumStandard:
        key = str(value or "").strip().lower()
        for standard in cls:
            if key in (standard.value, standard.label.lower()):
                return standard
        raise InvalidInput(f"'{value}' is not one of the four minimum standards.", field=field)


_STANDARD_LABELS = {
    MinimumStandard.VALUE_FOR_MONEY: "Value for money and efficiency",
    MinimumStandard.DELIVERY: "High-quality delivery and accountable teams",
    MinimumStandard.CULTURE: "Culture, Civil Service Code and reform",
    MinimumStandard.TALENT: "Talent",
}


@dataclass(frozen=True)
class GatedRating:
    """A recommendation after the gates: the rating to use and why it changed, if it did."""

    recommended: Rating
    rating: Rating
    reasons: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.rating is not self.recommended


def apply_gates(
    recommended: Rating,
    standards: Mapping[MinimumStandard, bool | None],
    finance_met: bool | None,
) -> GatedRating:
    """F8 then F9: derive the rating the gates allow; never typed in.

    F8 (outcome form): any minimum standard 'not met' makes the overall rating Partially Met.
    F9 (guidance Annex D 4a): a missed finance/efficiency objective caps the rating at Achieving.
    A standard or finance outcome not yet recorded (None) does not trigger a gate.
    """
    rating = recommended
    reasons: list[str] = []
    not_met = [s for s in MinimumStandard if standards.get(s) is False]
    if not_met:
        rating = Rating.PARTIALLY_MET
        reasons.append(
            "F8: minimum standard not met ("
            + "; ".join(s.label for s in not_met)
            + ") - overall rating is Partially Met"
        )
    if finance_met is False and rating.is_above(Rating.ACHIEVING):
        rating = Rating.ACHIEVING
        reasons.append("F9: finance objective not met - rating capped at Achieving")
    return GatedRating(recommended=recommended, rating=rating, reasons=tuple(reasons))


# --- F7: recommendation and moderation ------------------------------------------------------
def final_rating(gated: Rating | None, moderated: Rating | None) -> Rating | None:
    """F7: the moderated rating, once there is one, else the (gated) recommendation (§79)."""
    return moderated if moderated is not None else gated


# --- F10: under-performance -----------------------------------------------------------------
class UnderperformanceStep(StrEnum):
    NONE = "none"
    SUPPORT = "support"  # one Partially Met: support, not formal action (§56)
    DEVELOPMENT_PLAN = "development_plan"  # two consecutive quarters (§57)
    FORMAL_MEASURES_EXPECTED = "formal_measures_expected"  # still PM after the plan (§57, §63)


def consecutive_partially_met(quarters: Mapping[int, Rating]) -> int | None:
    """F10: the first quarter that completes two consecutive Partially Met quarters, if any."""
    for q in QUARTERS[1:]:
        if quarters.get(q - 1) is Rating.PARTIALLY_MET and quarters.get(q) is Rating.PARTIALLY_MET:
            return q
    return None


def underperformance_step(
    quarters: Mapping[int, Rating], end_year: Rating | None = None
) -> UnderperformanceStep:
    """F10: what the line manager should be prompted to do (the product never acts by itself)."""
    trigger = consecutive_partially_met(quarters)
    if trigger is not None:
        later = [quarters[q] for q in QUARTERS if q > trigger and q in quarters]
        if end_year is not None:
            later.append(end_year)
        if any(r is Rating.PARTIALLY_MET for r in later):
            return UnderperformanceStep.FORMAL_MEASURES_EXPECTED
        return UnderperformanceStep.DEVELOPMENT_PLAN
    if any(r is Rating.PARTIALLY_MET for r in quarters.values()) or (
        end_year is Rating.PARTIALLY_MET
    ):
        return UnderperformanceStep.SUPPORT
    return UnderperformanceStep.NONE


# --- F11, F12: objectives -------------------------------------------------------------------
class ObjectiveHeading(StrEnum):
    """F11: objective headings (guidance §23), plus optional extras (§24)."""

    BUSINESS_DELIVERY = "business_delivery"
    FINANCE = "finance"
    PEOPLE = "people"
    CORPORATE = "corporate"
    DEVELOPMENT = "development"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "business_delivery": "Business delivery",
            "finance": "Finance/efficiency",
            "people": "People/capability (incl. diversity and inclusion)",
            "corporate": "Corporate contribution",
            "development": "SCS development",
            "other": "Other",
        }[self.value]

    @classmethod
    def parse(cls, value: object, *, field: str = "heading") -> ObjectiveHeading:
        key = str(value or "").strip().lower()
        for heading in cls:
            if key in (heading.value, heading.label.lower(), heading.label.lower().split(" (")[0]):
                return heading
        raise InvalidInput(
            f"'{value}' is not an objective heading. Use one of: "
            + ", ".join(h.label for h in cls)
            + ".",
            field=field,
        )


OBJECTIVES_RECOMMENDED = (3, 6)  # F12: outcome form
OBJECTIVES_MAX_LIVE = 8  # F12: guidance Annex A


def objective_count_warning(live_count: int) -> str | None:
    """F12: a warning outside the recommended 3-6 live objectives (not an error)."""
    low, high = OBJECTIVES_RECOMMENDED
    if live_count < low:
        return f"F12: {live_count} live objective(s); {low} to {high} are recommended."
    if live_count > high:
        return f"F12: {live_count} live objectives; {low} to {high} are recommended."
    return None


def check_can_add_objective(live_count: int) -> None:
    """F12: refuse a ninth live objective (guidance Annex A)."""
    if live_count >= OBJECTIVES_MAX_LIVE:
        raise RuleViolation(
            "F12",
            f"There are already {live_count} live objectives; no more than "
            f"{OBJECTIVES_MAX_LIVE} may be live at once. Close or revise one first.",
            field="objective",
        )


# --- F14: evidence --------------------------------------------------------------------------
EVIDENCE_MAX_CHARS = 4000  # a long Slack message fits; a pasted report does not
LINK_MAX_CHARS = 2000
_LINK_RE = re.compile(r"^https?://[^\s]+$")


def check_evidence(text: str, link: str | None) -> tuple[str, str | None]:
    """F14: evidence needs some text; a link, if given, must be a web address."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Say what the evidence shows.", field="text")
    if len(text) > EVIDENCE_MAX_CHARS:
        raise InvalidInput(
            f"The evidence is {len(text)} characters; the limit is {EVIDENCE_MAX_CHARS}. "
            "Summarise it and add a link to the full document.",
            field="text",
        )
    link = (link or "").strip() or None
    if link is not None and (len(link) > LINK_MAX_CHARS or not _LINK_RE.match(link)):
        raise InvalidInput("The link must be a web address starting https://", field="link")
    return text, link


# --- F15: in-year awards ---------------------------------------------------------------------
@dataclass(frozen=True)
class AwardLimits:
    """F15 (guidance FAQ, §49, §54c): configurable; money is integer pence."""

    per_award_pence: int = 500_000
    per_year_pence: int = 1_750_000
    cst_approval_from_pence: int = 1_750_000  # totals this high need CST approval
    pot_percent: float = 3.3


def format_pence(pence: int) -> str:
    """Display only: 123456 -> '£1,234.56' (whole pounds shown without pence)."""
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}" if rem == 0 else f"{sign}£{pounds:,}.{rem:02d}"


def parse_money_pence(value: object, *, field: str = "amount") -> int:
    """'£1,250.50', '1250.5' or 1250 (pounds) -> 125050 pence; clear error otherwise."""
    if isinstance(value, bool):
        raise InvalidInput("Enter an amount in pounds, e.g. 2500.", field=field)
    if isinstance(value, int):
        return value * 100
    text = str(value or "").strip().replace(",", "").replace("£", "").replace("GBP", "").strip()
    match = re.fullmatch(r"(-?)(\d+)(?:\.(\d{1,2}))?", text)
    if not match:
        raise InvalidInput(f"'{value}' is not an amount in pounds, e.g. 2500.", field=field)
    sign, whole, frac = match.groups()
    pence = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
    return -pence if sign else pence


def check_award(
    *,
    amount_pence: int,
    approved_total_pence: int,
    on_poor_performance_measures: bool,
    limits: AwardLimits,
) -> None:
    """F15: eligibility and caps, checked at nomination and again at decision."""
    if on_poor_performance_measures:
        raise RuleViolation(
            "F15",
            "This person is on formal poor-performance measures, so is not eligible for an "
            "in-year award (guidance §49).",
            field="nominee",
        )
    if amount_pence <= 0:
        raise InvalidInput("The amount must be more than £0.", field="amount")
    if amount_pence > limits.per_award_pence:
        raise RuleViolation(
            "F15",
            f"One award can be at most {format_pence(limits.per_award_pence)}; "
            f"{format_pence(amount_pence)} is over that.",
            field="amount",
        )
    headroom = limits.per_year_pence - approved_total_pence
    if amount_pence > headroom:
        raise RuleViolation(
            "F15",
            f"This would take their in-year awards to "
            f"{format_pence(approved_total_pence + amount_pence)}, over the "
            f"{format_pence(limits.per_year_pence)} yearly limit. Headroom left: "
            f"{format_pence(max(headroom, 0))}.",
            field="amount",
        )


def needs_cst_approval(total_pence: int, limits: AwardLimits) -> bool:
    """F15: yearly totals at the top of the range need Chief Secretary to the Treasury approval."""
    return total_pence >= limits.cst_approval_from_pence


# --- F16: end-year bonus --------------------------------------------------------------------
def end_year_bonus_eligible(rating: Rating | None) -> bool:
    """F16: only Exceeding and High Performing may get an end-year bonus (§71, FAQ)."""
    return rating in (Rating.EXCEEDING, Rating.HIGH_PERFORMING)


def bonus_priority(rating: Rating | None) -> int | None:
    """F16: pay order - every Exceeding first (1), then High Performing (2); None if ineligible."""
    return {Rating.EXCEEDING: 1, Rating.HIGH_PERFORMING: 2}.get(rating) if rating else None


# --- F18: moderation eligibility ------------------------------------------------------------
class ModeratedBy(StrEnum):
    THIS_DEPARTMENT = "this_department"
    OTHER_DEPARTMENT = "other_department"
    NOT_ELIGIBLE = "not_eligible"


def moderation_cutoff(start_year: int) -> date:
    """F18: 31 December inside the performance year (guidance §67)."""
    return date(start_year, 12, 31)


def moderation_placement(
    *,
    start_year: int,
    civil_service_start: date,
    joined_department: date,
    left_department: date | None = None,
    left_to_other_department: bool = False,
) -> ModeratedBy:
    """F18: who moderates this person for the year (guidance §67-68, FAQ).

    Eligible only if in the Civil Service on or before 31 December. A move in on or before
    31 December is moderated here; on or after 1 January, by the old department. Leaving on or
    after 1 January keeps the person in this department's moderation; a move out before then
    hands them to the new department.
    """
    cutoff = moderation_cutoff(start_year)
    if civil_service_start > cutoff:
        return ModeratedBy.NOT_ELIGIBLE
    if joined_department > cutoff:
        return ModeratedBy.OTHER_DEPARTMENT
    if left_department is not None and left_department <= cutoff:
        return (
            ModeratedBy.OTHER_DEPARTMENT if left_to_other_department else (ModeratedBy.NOT_ELIGIBLE)
        )
    return ModeratedBy.THIS_DEPARTMENT


# --- F20: expected curve --------------------------------------------------------------------
# F20 (guidance §18, §78, §86): no forced distribution; compare against "most in Achieving,
# roughly 5% Partially Met". Only the 5% is a published figure.
EXPECTED_PARTIALLY_MET_SHARE = 0.05


def distribution(ratings: Iterable[Rating | None]) -> dict[Rating, int]:
    """F20: count per box (people without a rating are left out)."""
    counts = dict.fromkeys(_RATING_ORDER, 0)
    for rating in ratings:
        if rating is not None:
            counts[rating] += 1
    return counts


# --- F21: small-cell suppression -------------------------------------------------------------
SUPPRESSION_THRESHOLD = 5  # F21: cells with fewer than 5 people are not shown


def suppress_small(counts: Mapping[str, int], threshold: int) -> dict[str, int | None]:
    """F21: hide (None) any cell under ``threshold``, and a second cell when exactly one is hidden.

    A lone hidden cell could be recovered as total minus the shown cells, so the next smallest
    shown cell is hidden with it (secondary suppression).
    """
    shown: dict[str, int | None] = {
        k: (v if v >= threshold or v == 0 else None) for k, v in counts.items()
    }
    hidden = [k for k, v in shown.items() if v is None]
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in shown.items() if v is not None and v > 0)
        if others:
            shown[others[0][1]] = None
    return shown


Cell = tuple[int, int]


def derivable_cells(table: Sequence[Sequence[int]], hidden: set[Cell]) -> set[Cell]:
    """F21: hidden counts above zero whose exact value follows from the shown cells and the row
    and column totals (all totals shown; to a reader a hidden cell may be any count from 0 up).

    A hidden cell can change only along a cycle of hidden cells that alternately gain and lose
    the same amount, so that every row and column total stays put; a cell that loses must hold
    more than 0. Such a cycle through (i, j) is a path between row i and column j in the graph
    of hidden cells, so a cell is derivable exactly when neither path exists.
    """
    rows = range(len(table))
    cols = range(len(table[0]) if table else 0)

    def path(start: tuple[str, int], goal: tuple[str, int], skip: Cell) -> bool:
        seen, todo = {start}, [start]
        while todo:
            kind, k = todo.pop()
            if (kind, k) == goal:
                return True
            if kind == "row":  # a gain: any hidden cell in the row
                steps = [("col", j) for j in cols if (k, j) in hidden and (k, j) != skip]
            else:  # a loss: a hidden cell in the column holding more than 0
                steps = [
                    ("row", i)
                    for i in rows
                    if (i, k) in hidden and (i, k) != skip and table[i][k] > 0
                ]
            for step in steps:
                if step not in seen:
                    seen.add(step)
                    todo.append(step)
        return False

    fixed = set()
    for i, j in hidden:
        if table[i][j] == 0:
            continue  # a hidden zero may be worked out: zeros are shown anyway
        can_rise = path(("col", j), ("row", i), (i, j))
        can_fall = table[i][j] > 0 and path(("row", i), ("col", j), (i, j))
        if not (can_rise or can_fall):
            fixed.add((i, j))
    return fixed


def suppress_table(table: Sequence[Sequence[int]], threshold: int) -> set[Cell] | None:
    """F21: the cells of a two-way table of counts to hide when its row and column totals are
    shown; None when the table cannot be shown at all.

    Primary: every count from 1 to ``threshold - 1``. Secondary: while a hidden count could be
    worked out from the totals (``derivable_cells``), hide one more cell in its row or column,
    choosing the one that leaves fewest derivable cells, then the smallest. Zeros are shown (an
    empty cell identifies nobody) but may be hidden as secondary cells. A table with fewer than
    two rows says nothing the column totals do not, so it is withheld.
    """
    if len(table) < 2:
        return None
    hidden = {
        (i, j)
        for i, row in enumerate(table)
        for j, count in enumerate(row)
        if 0 < count < threshold
    }
    while fixed := sorted(derivable_cells(table, hidden)):
        i, j = fixed[0]
        shown = [
            (r, c)
            for r, row in enumerate(table)
            for c in range(len(row))
            if (r, c) not in hidden and (r == i or c == j)
        ]
        if not shown:
            shown = [
                (r, c)
                for r, row in enumerate(table)
                for c in range(len(row))
                if (r, c) not in hidden
            ]
        if not shown:
            return None  # every cell hidden and a count still follows from the totals

        def cost(cell: Cell) -> tuple[int, int, Cell]:
            left = len(derivable_cells(table, hidden | {cell}))
            return left, table[cell[0]][cell[1]], cell

        hidden.add(min(shown, key=cost))
    return hidden


# --- F23: the Performance Agreement -----------------------------------------------------------
def check_bias_acknowledged(stage: Stage, acknowledged: bool) -> None:
    """F23: the end-year write-up needs the manager's bias-statement tick (Annex B, §77)."""
    if stage is Stage.END_YEAR and not acknowledged:
        raise RuleViolation(
            "F23",
            "Tick the bias statement: confirm you have set aside personal bias, conscious or "
            "unconscious, in this assessment.",
            field="bias_acknowledged",
        )


# --- F25: temporary promotion ---------------------------------------------------------------
def assessment_grade(
    substantive: Grade,
    temporary: Iterable[tuple[Grade, date, date]],
    *,
    start_year: int,
    start_month: int = 4,
) -> Grade:
    """F25: assess at the grade held for most of the year (guidance FAQ)."""
    first, last = year_start(start_year, start_month), year_end(start_year, start_month)
    days = {substantive: (last - first).days + 1}
    for grade, begin, end in temporary:
        lo, hi = max(begin, first), min(end, last)
        if hi < lo:
            continue
        held = (hi - lo).days + 1
        days[substantive] -= held
        days[grade] = days.get(grade, 0) + held
    return max(days, key=lambda g: (days[g], g is substantive))


# --- F22: the Cabinet Office return ---------------------------------------------------------
@dataclass(frozen=True)
class CabinetOfficeReturn:
    """F22 (guidance §90, §92): the autumn figures, from final ratings and payments."""

    rated: int
    top_two: int  # Exceeding + High Performing
    partially_met: int
    in_year_payments: int
    end_year_payments: int
    on_poor_performance_measures: int

    @property
    def top_two_share(self) -> float:
        return self.top_two / self.rated if self.rated else 0.0

    @property
    def partially_met_share(self) -> float:
        return self.partially_met / self.rated if self.rated else 0.0


def cabinet_office_return(
    final_ratings: Iterable[Rating | None],
    *,
    in_year_payments: int,
    end_year_payments: int,
    on_poor_performance_measures: int,
) -> CabinetOfficeReturn:
    """F22: count the boxes that the return asks about; unrated people are left out."""
    counts = distribution(final_ratings)
    return CabinetOfficeReturn(
        rated=sum(counts.values()),
        top_two=counts[Rating.EXCEEDING] + counts[Rating.HIGH_PERFORMING],
        partially_met=counts[Rating.PARTIALLY_MET],
        in_year_payments=in_year_payments,
        end_year_payments=end_year_payments,
        on_poor_performance_measures=on_poor_performance_measures,
    )
