"""F21: small-cell suppression of the consistency check, attacked by a linear program.

The attacker sees what the workbook publishes - the shown cells and every row and column
total - and knows hidden cells are counts of 0 or more. For each hidden cell above zero it
asks scipy for the smallest and largest value consistent with all of that. The table of a
two-way count with fixed totals is totally unimodular, so those bounds are whole numbers and
equal the bounds over integer tables: a hidden count is derivable exactly when they meet.

The attacker also knows who is in each box (the Ratings sheet names them), so a cell that
cannot be less than its box's total discloses membership: everyone in that box is in that
group. For every box and group the smallest possible count must stay below the box's total.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from store import framework as fw
from store.aggregates import OTHER, ConsistencyTable, consistency_table

BOXES = 4


def bounds_of_hidden(
    cells: list[list[int | None]], row_totals: list[int], column_totals: list[int]
) -> dict[tuple[int, int], tuple[float, float]]:
    hidden = [(i, j) for i, row in enumerate(cells) for j, v in enumerate(row) if v is None]
    if not hidden:
        return {}
    a_eq, b_eq = [], []
    for i, row in enumerate(cells):
        a_eq.append([1.0 if h[0] == i else 0.0 for h in hidden])
        b_eq.append(row_totals[i] - sum(v for v in row if v is not None))
    for j in range(BOXES):
        a_eq.append([1.0 if h[1] == j else 0.0 for h in hidden])
        b_eq.append(column_totals[j] - sum(row[j] for row in cells if row[j] is not None))
    out = {}
    for k, cell in enumerate(hidden):
        c = np.zeros(len(hidden))
        c[k] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status == 0  # the true table is always feasible
        out[cell] = (low.fun, -high.fun)
    return out


def assert_safe(table: ConsistencyTable, truth: list[list[int]], threshold: int) -> None:
    if table.withheld:
        assert table.cells == [] and table.row_totals == []
        return
    for row, true_row, total in zip(table.cells, truth, table.row_totals, strict=True):
        assert total == sum(true_row) and total >= threshold  # small groups are pooled
        for shown, true in zip(row, true_row, strict=True):
            assert shown is None or shown == true
            assert shown is None or shown == 0 or shown >= threshold  # primary suppression
    for cell, (low, high) in bounds_of_hidden(
        table.cells, table.row_totals, table.column_totals
    ).items():
        true = truth[cell[0]][cell[1]]
        assert low - 1e-6 <= true <= high + 1e-6
        if true > 0:
            assert high - low > 0.5, f"hidden cell {cell} = {true} can be worked out"
    assert_no_group_disclosure(table.cells, table.row_totals, table.column_totals)


def assert_no_group_disclosure(
    cells: list[list[int | None]], row_totals: list[int], column_totals: list[int]
) -> None:
    """F21 (corrected): no published table may show that everyone in a box shares a group."""
    bounds = bounds_of_hidden(cells, row_totals, column_totals)
    for i, row in enumerate(cells):
        for j, shown in enumerate(row):
            box = column_totals[j]
            least = shown if shown is not None else bounds[(i, j)][0]
            assert box == 0 or least < box - 0.5, f"box {j}: all {box} must be in group {i}"


counts = st.one_of(st.integers(0, 6), st.integers(0, 40))
groups = st.dictionaries(
    st.sampled_from(["A", "B", "C", "D", "E", "F", "G"]),
    st.lists(counts, min_size=BOXES, max_size=BOXES),
    min_size=1,
    max_size=7,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=groups, threshold=st.integers(2, 6))
def test_f21_no_hidden_count_can_be_derived_from_the_published_table(
    groups: dict[str, list[int]], threshold: int
) -> None:
    table = consistency_table("characteristic", "End-year", groups, threshold)
    # The truth per published row, pooled groups summed as the table pools them.
    truth = []
    for name in table.groups:
        members = table.pooled if name == OTHER else (name,)
        truth.append([sum(groups[m][b] for m in members) for b in range(BOXES)])
    assert not set(table.pooled) & {w for g in table.groups for w in g.split()}  # never named
    assert table.column_totals == [sum(v[b] for v in groups.values()) for b in range(BOXES)]
    assert_safe(table, truth, threshold)


@settings(max_examples=300, deadline=None)
@given(
    table=st.integers(2, 6).flatmap(
        lambda rows: st.lists(
            st.lists(counts, min_size=BOXES, max_size=BOXES), min_size=rows, max_size=rows
        )
    ),
    threshold=st.integers(2, 6),
)
def test_f21_suppress_table_hides_every_small_cell_and_leaves_none_derivable(
    table: list[list[int]], threshold: int
) -> None:
    hidden = fw.suppress_table(table, threshold)
    if hidden is None:
        return  # withheld whole: nothing but the column totals is published
    cells = [
        [None if (i, j) in hidden else v for j, v in enumerate(row)] for i, row in enumerate(table)
    ]
    for i, row in enumerate(table):
        for j, v in enumerate(row):
            if 0 < v < threshold:
                assert (i, j) in hidden
    row_totals = [sum(r) for r in table]
    column_totals = [sum(r[j] for r in table) for j in range(BOXES)]
    for cell, (low, high) in bounds_of_hidden(cells, row_totals, column_totals).items():
        if table[cell[0]][cell[1]] > 0:
            assert high - low > 0.5, f"{cell} of {table} can be worked out"
    assert_no_group_disclosure(cells, row_totals, column_totals)


def test_f21_a_lone_hidden_cell_in_a_column_is_caught() -> None:
    # Row-wise the two hidden cells look safe, but column 1 holds only one hidden cell, so
    # its total gives it away; derivable_cells must see that and suppress_table mend it.
    table = [[20, 2, 3, 9], [30, 10, 7, 8]]
    assert (0, 1) in fw.derivable_cells(table, {(0, 1), (0, 2)})
    hidden = fw.suppress_table(table, 5)
    assert hidden is not None and hidden > {(0, 1), (0, 2)}
    assert not fw.derivable_cells(table, hidden)


def test_f21_six_disabled_people_all_partially_met_are_not_identified() -> None:
    """F21 (corrected), the audit's case: with 6 disabled people all Partially Met at Q2, the
    table showed "No: 0, Yes: 6" beside a Ratings sheet naming everyone Partially Met - so all
    six were identified as disabled. Neither that cell nor the zero beside it may be shown."""
    groups = {"No": [3, 12, 30, 0], "Yes": [1, 2, 4, 6]}  # Exceeding, HP, Achieving, PM
    table = consistency_table("disability", "Mid-year (Q2 indicative)", groups, 5)
    assert table.withheld or (table.cells[0][3] is None and table.cells[1][3] is None)
    truth = [groups[g] for g in table.groups]
    assert_safe(table, truth, 5)
