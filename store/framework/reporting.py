"""Moderation and reporting: who moderates whom (F18), the expected curve (F20), small-cell
suppression (F21), the Cabinet Office return (F22) and temporary promotion (F25)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from store.framework.ratings import RATING_ORDER, Rating
from store.framework.year import year_end, year_start


# --- F18: moderation eligibility ------------------------------------------------------------
class ModeratedBy(StrEnum):
    THIS_DEPARTMENT = "this_department"
    OTHER_DEPARTMENT = "other_department"
    NOT_ELIGIBLE = "not_eligible"  # joined the Civil Service after 31 December
    LEFT = "left"  # left the Civil Service on or before 31 December
    OUT_OF_SCOPE = "out_of_scope"  # F19: Permanent Secretaries (guidance §6)
    SUBSTANTIVE_GRADE = "substantive_grade"  # F25: temporary promotion for under half the year


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
    permanent_secretary: bool = False,
    assessed_as_scs: bool = True,
) -> ModeratedBy:
    """F18: who moderates this person for the year (guidance §67-68, FAQ).

    Eligible only if in the Civil Service on or before 31 December. A move in on or before
    31 December is moderated here; on or after 1 January, by the old department. Leaving on or
    after 1 January keeps the person in this department's moderation; a move out before then
    hands them to the new department.
    """
    if permanent_secretary:
        return ModeratedBy.OUT_OF_SCOPE  # F19: separate guidance applies (§6)
    if not assessed_as_scs:
        return ModeratedBy.SUBSTANTIVE_GRADE  # F25: not in the SCS for most of the year
    cutoff = moderation_cutoff(start_year)
    if civil_service_start > cutoff:
        return ModeratedBy.NOT_ELIGIBLE
    if joined_department > cutoff:
        return ModeratedBy.OTHER_DEPARTMENT
    if left_department is not None and left_department <= cutoff:
        return ModeratedBy.OTHER_DEPARTMENT if left_to_other_department else ModeratedBy.LEFT
    return ModeratedBy.THIS_DEPARTMENT


# --- F20: expected curve --------------------------------------------------------------------
# F20 (guidance §18, §78, §86): no forced distribution; compare against "most in Achieving,
# roughly 5% Partially Met". Only the 5% is a published figure.
EXPECTED_PARTIALLY_MET_SHARE = 0.05


def distribution(ratings: Iterable[Rating | None]) -> dict[Rating, int]:
    """F20: count per box (people without a rating are left out)."""
    counts = dict.fromkeys(RATING_ORDER, 0)
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
    """F21: the cells that disclose something, given the shown cells and the row and column
    totals (all totals shown; to a reader a hidden cell may be any count from 0 up): a hidden
    count above zero whose exact value follows, and any cell that must hold everyone in its box
    (a box's people all share that group - readers know who is in each box).

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
    # F21: group disclosure. Readers know who is in each box, so a box whose people must all be
    # in one group (its cell cannot be less than the box's total) says that of each of them.
    for j in cols:
        box = sum(table[i][j] for i in rows)
        for i in rows:
            if box and table[i][j] == box:
                can_fall = (i, j) in hidden and path(("row", i), ("col", j), (i, j))
                if not can_fall:
                    fixed.add((i, j))
    return fixed


def suppress_table(table: Sequence[Sequence[int]], threshold: int) -> set[Cell] | None:
    """F21: the cells of a two-way table of counts to hide when its row and column totals are
    shown; None when the table cannot be shown at all.

    Primary: every count from 1 to ``threshold - 1``. Secondary: while a hidden count could be
    worked out from the totals, or a box's people could be shown all to share one group
    (``derivable_cells``), hide one more cell in its row or column, choosing the one that leaves
    fewest such cells, then the smallest. Zeros are shown (an empty cell identifies nobody)
    unless they would give a box's group away. A table with fewer than two rows says nothing
    the column totals do not, so it is withheld.
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


# --- F25: temporary promotion ---------------------------------------------------------------
class TemporaryPromotionApproach(StrEnum):
    """F25 (guidance FAQ): one approach across the department."""

    GRADE_HELD_LONGEST = "grade_held_longest"  # the guidance's recommended approach
    ALWAYS_SCS = "always_scs"


def assessed_as_scs(
    *,
    start_year: int,
    start_month: int = 4,
    promoted_from: date | None,
    left_on: date | None = None,
    approach: TemporaryPromotionApproach = TemporaryPromotionApproach.GRADE_HELD_LONGEST,
) -> bool:
    """F25 (guidance FAQ): someone temporarily promoted into the SCS is assessed "at the grade
    they have spent the majority of their performance year at", unless the department assesses
    everyone on temporary promotion as SCS. Days count from the year's start (or the promotion)
    to its end (or the day they left)."""
    if promoted_from is None or approach is TemporaryPromotionApproach.ALWAYS_SCS:
        return True
    first, last = year_start(start_year, start_month), year_end(start_year, start_month)
    end = min(last, left_on) if left_on is not None else last
    if end < first:
        return True  # left before the year: nothing to assess here
    in_year = (end - first).days + 1
    at_scs = max((end - max(first, promoted_from)).days + 1, 0)
    return at_scs * 2 > in_year


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
