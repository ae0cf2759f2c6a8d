"""Benchmark (not a timed test): import a 10,000-person xlsx roster.

Printed as a ratio against a bare openpyxl read-only pass over the same file, both measured
in this run (best of three). Target from the foundation issue: at most 3x.
Run: python -m pytest tests/benchmarks -m benchmark -s
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import func, select

from store import migrate
from store.db import Database
from store.models import Person, Via
from store.roster import COLUMNS, import_roster
from store.services import Actor

PEOPLE = 10_000
ROUNDS = 3


def synthetic_roster(path: Path, people: int) -> Path:
    """A permanent secretary, 10 DGs, 200 directors and SCS1s under them."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Roster")
    sheet.append(list(COLUMNS) + ["pc_sex", "pc_age_band"])

    def email(n: int) -> str:
        return f"person{n}@bench.example"

    for n in range(people):
        if n == 0:
            grade, manager, dg, roles = "PermSec", "", "", ""
        elif n <= 10:
            grade, manager, dg, roles = "SCS3", email(0), "", "dg"
        elif n <= 210:
            grade, manager, dg, roles = "SCS2", email(1 + n % 10), email(1 + n % 10), ""
        else:
            director = 11 + n % 200
            grade, manager, dg, roles = "SCS1", email(director), email(1 + director % 10), ""
        sheet.append(
            [
                f"B{n:06d}",
                f"Person {n}",
                email(n),
                grade,
                f"Unit {n % 40}",
                manager,
                "",
                dg,
                date(2015, 1 + n % 12, 1),
                ["England", "Scotland", "Wales"][n % 3],
                roles,
                "no",
                ["Female", "Male"][n % 2],
                ["35-44", "45-54"][n % 2],
            ]
        )
    book.save(path)
    return path


def bare_read(path: Path) -> int:
    book = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


@pytest.mark.benchmark
def test_roster_import_10k_against_bare_openpyxl(tmp_path: Path) -> None:
    roster = synthetic_roster(tmp_path / "roster.xlsx", PEOPLE)
    template = tmp_path / "template.db"
    migrate.upgrade(Database(f"sqlite:///{template}"))
    now = datetime(2026, 7, 15, 9, tzinfo=UTC)

    baseline, ours = [], []
    for round_ in range(ROUNDS):
        start = time.perf_counter()
        assert bare_read(roster) == PEOPLE + 1
        baseline.append(time.perf_counter() - start)

        path = tmp_path / f"run{round_}.db"
        shutil.copy(template, path)
        db = Database(f"sqlite:///{path}")
        start = time.perf_counter()
        with db.write() as session:
            result = import_roster(
                session, path=roster, actor=Actor.system(Via.CLI), now=now, today=now.date()
            )
        ours.append(time.perf_counter() - start)
        assert result.created == PEOPLE
        with db.read() as session:
            assert session.exec(select(func.count()).select_from(Person)).one() == PEOPLE
        db.dispose()

    ratio = min(ours) / min(baseline)
    print(
        f"\nroster import, {PEOPLE} people (xlsx, SQLite): {min(ours):.2f}s; bare openpyxl "
        f"read-only pass {min(baseline):.2f}s; ratio {ratio:.2f}x "
        f"(target <= 3x: {'met' if ratio <= 3 else 'NOT met'})"
    )
