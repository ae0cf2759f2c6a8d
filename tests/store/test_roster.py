"""Roster import: all-or-nothing, one clear line per problem, updates in place, leavers kept."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from store.db import Database
from store.models import AuditEntry, Person, ProtectedCharacteristic, Via
from store.roster import COLUMNS, RosterError, import_roster, write_template
from store.services import Actor
from tests.conftest import Org, org_rows, write_csv
from tests.store.test_services import table_counts

TODAY = date(2026, 7, 15)


def run_import(db: Database, path: Path, now: datetime) -> Any:
    with db.write() as session:
        return import_roster(session, path=path, actor=Actor.system(Via.CLI), now=now, today=TODAY)


def rows_with(index: int, **changes: str) -> list[dict[str, str]]:
    rows = org_rows()
    rows[index] = rows[index] | changes
    return rows


def write_xlsx(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> Path:
    """Headers in capitals, to show the header match is case-insensitive."""
    book = Workbook()
    sheet = book.active
    sheet.append([c.upper() for c in columns])
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    book.save(path)
    return path


# Row 2 is the first data row; index 4 in org_rows() ("js") is on row 6.
BAD_FILES: list[tuple[str, Any, str]] = [
    (
        "missing column",
        lambda p: write_csv(p, org_rows(), [c for c in COLUMNS if c != "grade"]),
        "column grade: required column is missing",
    ),
    (
        "unknown column",
        lambda p: write_csv(p, org_rows(), [*COLUMNS, "salary"]),
        "column salary: unknown column",
    ),
    (
        "bad pc column",
        lambda p: write_csv(p, org_rows(), [*COLUMNS, "pc_"]),
        "must be named pc_<name>",
    ),
    (
        "bad email",
        lambda p: write_csv(p, rows_with(4, email="js-at-dept")),
        "row 6, column email, value 'js-at-dept': not an email address",
    ),
    (
        "duplicate staff id",
        lambda p: write_csv(p, rows_with(5, staff_id="S005")),
        "row 7, column staff_id, value 'S005': duplicate: also on row 6",
    ),
    (
        "duplicate email",
        lambda p: write_csv(p, rows_with(5, email="js@dept.example")),
        "row 7, column email, value 'js@dept.example': duplicate: also on row 6",
    ),
    (
        "unknown grade",
        lambda p: write_csv(p, rows_with(4, grade="SCS9")),
        "row 6, column grade, value 'SCS9': 'SCS9' is not a grade",
    ),
    (
        "bad date",
        lambda p: write_csv(p, rows_with(4, start_date="31/02/2020")),
        "row 6, column start_date, value '31/02/2020': not a date",
    ),
    (
        "missing date",
        lambda p: write_csv(p, rows_with(4, start_date="")),
        "row 6, column start_date: a date is required",
    ),
    (
        "unknown location",
        lambda p: write_csv(p, rows_with(4, location="Atlantis")),
        "row 6, column location, value 'Atlantis'",
    ),
    (
        "unknown role",
        lambda p: write_csv(p, rows_with(4, roles="hr, admin")),
        "row 6, column roles, value 'admin': unknown role",
    ),
    (
        "bad yes/no",
        lambda p: write_csv(p, rows_with(4, poor_performance_measures="maybe")),
        "row 6, column poor_performance_measures, value 'maybe': use yes or no",
    ),
    (
        "unknown line manager",
        lambda p: write_csv(p, rows_with(4, line_manager_email="ghost@dept.example")),
        "row 6, column line_manager_email, value 'ghost@dept.example': no row in this file",
    ),
    (
        "own line manager",
        lambda p: write_csv(p, rows_with(4, line_manager_email="js@dept.example")),
        "a person can't be their own line manager",
    ),
    (
        "circular line managers",
        lambda p: write_csv(p, rows_with(3, line_manager_email="js@dept.example")),
        "circular line management: ",
    ),
    (
        "dg without dg role",
        lambda p: write_csv(p, rows_with(4, dg_email="lm@dept.example")),
        "row 6, column dg_email, value 'lm@dept.example': Lm (row 5) does not have the dg role",
    ),
    (
        "no line manager",
        lambda p: write_csv(p, rows_with(4, line_manager_email="")),
        "row 6, column line_manager_email: a line manager is required",
    ),
    (
        "missing name",
        lambda p: write_csv(p, rows_with(4, name="")),
        "row 6, column name: a value is required",
    ),
    (
        "unknown countersigning",
        lambda p: write_csv(p, rows_with(4, countersigning_email="nobody@dept.example")),
        "column countersigning_email",
    ),
    ("header only", lambda p: write_csv(p, []), "the file has a header but no people"),
    ("empty file", lambda p: (p.write_text(""), p)[1], "the file is empty"),
    (
        "wrong type",
        lambda p: (p.with_suffix(".txt").write_text("x"), p.with_suffix(".txt"))[1],
        "use an .xlsx or .csv file",
    ),
    (
        "not utf-8",
        lambda p: (p.write_bytes("staff_id,name\n1,Zoë\n".encode("utf-16")), p)[1],
        "not UTF-8",
    ),
    (
        "broken xlsx",
        lambda p: (p.with_suffix(".xlsx").write_text("PK nonsense"), p.with_suffix(".xlsx"))[1],
        "not a readable xlsx workbook",
    ),
    (
        "duplicate column",
        lambda p: write_csv(p, org_rows(), [*COLUMNS, "email"]),
        "column email: this column appears twice",
    ),
    (
        "overlong name",
        lambda p: write_csv(p, rows_with(4, name="N" * 300)),
        "longer than 200 characters",
    ),
    (
        "civil service start after start",
        lambda p: write_csv(p, rows_with(4, civil_service_start="2021-01-01")),
        "is after start_date",
    ),
]


@pytest.mark.parametrize(("kind", "make", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_roster_rejected_whole_with_a_clear_line(
    db: Database, org: Org, tmp_path: Path, now: datetime, kind: str, make: Any, expected: str
) -> None:
    path = make(tmp_path / "roster.csv")
    before = table_counts(db)
    with pytest.raises(RosterError) as err:
        run_import(db, path, now)
    lines = [str(p) for p in err.value.problems]
    assert any(expected in line for line in lines), lines
    assert "Nothing was changed" in err.value.message
    assert table_counts(db) == before


def test_every_problem_is_listed_not_just_the_first(db: Database, tmp_path: Path, now) -> None:
    rows = org_rows()
    rows[4]["email"] = "bad"
    rows[5]["grade"] = "SCS9"
    rows[6]["start_date"] = "yesterday"
    with pytest.raises(RosterError) as err:
        run_import(db, write_csv(tmp_path / "r.csv", rows), now)
    assert [p.row for p in err.value.problems] == [6, 7, 8]


def test_one_mistake_is_reported_once(db: Database, tmp_path: Path, now) -> None:
    """A line manager's row refused for its own problem (a grade that does not exist) is not
    also "no row has that email" on each of their reports' rows."""
    rows = org_rows()
    manager = next(r for r in rows if r["email"] == "lm@dept.example")
    manager["grade"] = "SCS9"
    reports = [r for r in rows if r["line_manager_email"] == "lm@dept.example"]
    assert len(reports) == 3
    with pytest.raises(RosterError) as err:
        run_import(db, write_csv(tmp_path / "r.csv", rows), now)
    assert [(p.column, p.value) for p in err.value.problems] == [("grade", "SCS9")]
    # A reference to someone truly absent is still reported.
    rows = org_rows()
    rows[4]["line_manager_email"] = "nobody@dept.example"
    with pytest.raises(RosterError) as err:
        run_import(db, write_csv(tmp_path / "r2.csv", rows), now)
    assert [p.message for p in err.value.problems] == ["no row in this file has that email"]


def test_reimport_updates_in_place_and_marks_leavers(
    db: Database, org: Org, tmp_path: Path, now: datetime
) -> None:
    rows = [r for r in org_rows() if r["email"] != "peer@dept.example"]
    rows[4]["business_unit"] = "Unit A2"  # js moves unit
    rows[4]["email"] = "js.new@dept.example"  # and gets a new address
    result = run_import(db, write_csv(tmp_path / "r2.csv", rows), now)
    assert (result.created, result.updated, result.left) == (0, 1, 1)
    with db.read() as session:
        js = session.get(Person, org.js)
        peer = session.get(Person, org.peer)
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "roster.update")).one()
    assert (js.business_unit, js.email, js.left_on) == ("Unit A2", "js.new@dept.example", None)
    assert peer is not None and peer.left_on == TODAY  # kept, with history, marked as left
    assert audit.old == {"business_unit": "Unit A1", "email": "js@dept.example"}
    # Returning in a later file reactivates them.
    result = run_import(db, write_csv(tmp_path / "r3.csv", org_rows()), now)
    assert result.rejoined == 1
    with db.read() as session:
        assert session.get(Person, org.peer).left_on is None


def test_two_people_can_swap_emails(db: Database, org: Org, tmp_path: Path, now) -> None:
    rows = org_rows()
    rows[4]["email"], rows[5]["email"] = rows[5]["email"], rows[4]["email"]
    run_import(db, write_csv(tmp_path / "swap.csv", rows), now)
    with db.read() as session:
        assert session.get(Person, org.js).email == "peer@dept.example"


def test_f21_protected_characteristics_stored_apart_never_audited(
    db: Database, org: Org, now
) -> None:
    with db.read() as session:
        pcs = session.exec(select(ProtectedCharacteristic)).all()
        audit_text = " ".join(
            str(a.new) + str(a.old) for a in session.exec(select(AuditEntry)).all()
        )
    assert {(p.characteristic, p.value) for p in pcs} == {("sex", "Female"), ("sex", "Male")}
    assert "Female" not in audit_text and "'sex'" in audit_text  # names only, never values
    assert not hasattr(Person, "pc_sex")


def test_xlsx_roster_with_dates_and_numbers(db: Database, tmp_path: Path, now) -> None:
    rows = org_rows()
    for row in rows:
        row["start_date"] = datetime(2020, 4, 1)  # noqa: DTZ001 - as Excel gives it
        row["staff_id"] = int(row["staff_id"][1:])
    columns = list(COLUMNS) + ["pc_sex"]
    result = run_import(db, write_xlsx(tmp_path / "r.xlsx", rows, columns), now)
    assert result.created == len(rows)
    with db.read() as session:
        person = session.exec(select(Person).where(Person.staff_id == "5")).one()
    assert person.start_date == date(2020, 4, 1)


def test_template_round_trip(tmp_path: Path, db: Database, now) -> None:
    path = write_template(tmp_path / "t.xlsx")
    book = load_workbook(path)
    header = [c.value for c in book["Roster"][1]]
    assert header[: len(COLUMNS)] == list(COLUMNS)
    rows = list(book["Column guide"].iter_rows(min_row=2, values_only=True))
    guide = {row[0]: row[1:] for row in rows if row and row[0]}
    assert set(COLUMNS) <= set(guide) and "pc_<name>" in guide
    # One story about what is required: every column of the file is in the header; whose
    # cells may be blank is said once, as the import applies it.
    assert {guide[c][0] for c in COLUMNS} == {"required"}
    assert "Permanent Secretary" in guide["line_manager_email"][1]
    assert guide["countersigning_email"][1] == "may be blank"
    assert guide["staff_id"][1] == "required"
    # Drop-downs for the columns with a fixed set of values.
    lists = {
        str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1
        for v in book["Roster"].data_validations.dataValidation
    }
    letter = {c.value: c.column_letter for c in book["Roster"][1]}
    assert lists[letter["grade"]] == '"SCS1,SCS2,SCS3,PermSec"'
    assert lists[letter["location"]] == '"England,Wales,Scotland,Northern Ireland"'
    assert lists[letter["poor_performance_measures"]] == '"yes,no"'
    # Filling the template's columns with data imports cleanly.
    csv_path = write_template(tmp_path / "t.csv")
    with csv_path.open() as handle:
        assert next(csv.reader(handle))[: len(COLUMNS)] == list(COLUMNS)
    assert run_import(db, write_csv(tmp_path / "filled.csv", org_rows(), header), now).created == 10


def test_progress_is_reported(db: Database, tmp_path: Path, now) -> None:
    seen: list[tuple[int, int]] = []
    with db.write() as session:
        import_roster(
            session,
            path=write_csv(tmp_path / "r.csv", org_rows()),
            actor=Actor.system(Via.CLI),
            now=now,
            today=TODAY,
            progress=lambda done, total: seen.append((done, total)),
        )
    assert seen[-1] == (10, 10)


def test_demo_department_loads_through_the_importer(db: Database, tmp_path: Path, now) -> None:
    from store.demo import write_demo_roster

    result = run_import(db, write_demo_roster(tmp_path / "demo.csv"), now)
    assert result.created >= 55
    with db.read() as session:
        grades = dict(
            session.execute(sa.text("SELECT grade, COUNT(*) FROM person GROUP BY grade")).all()
        )
        hr = session.execute(sa.text("SELECT COUNT(*) FROM person WHERE is_hr")).scalar()
    assert grades["PermSec"] == 1 and grades["SCS3"] == 3 and grades["SCS2"] == 15
    assert 35 <= grades["SCS1"] <= 45 and hr >= 1


def test_f18_leaving_date_column_is_the_date_someone_left(
    db: Database, org: Org, tmp_path: Path, now: datetime
) -> None:
    """F18 (corrected), guidance §67-68: moderation depends on the dates people were employed,
    so "left" is the roster's leaving date, not the day an import stopped listing someone."""
    rows = org_rows()
    rows[5] |= {"leaving_date": "2026-06-30"}  # peer left, and stays in the file
    rows[6] |= {"leaving_date": "2026-07-01", "left_to_department": "HM Treasury"}  # ppm moved
    result = run_import(db, write_csv(tmp_path / "left.csv", rows), now)
    assert (result.left, result.dropped) == (2, 0)
    with db.read() as session:
        peer, ppm = session.get(Person, org.peer), session.get(Person, org.ppm)
    assert (peer.left_on, peer.left_to_department) == (date(2026, 6, 30), None)
    assert (ppm.left_on, ppm.left_to_department) == (date(2026, 7, 1), "HM Treasury")
    # Dropping someone without a leaving date still marks them, and the summary says how to
    # give the real date.
    dropped = run_import(db, write_csv(tmp_path / "drop.csv", rows[:9]), now)
    assert dropped.dropped == 1 and "put their rows back with leaving_date" in dropped.summary()


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"leaving_date": "2026-07-16"}, "leaving_date", "is after today"),
        ({"leaving_date": "2019-01-01"}, "leaving_date", "is before start_date"),
        ({"left_to_department": "HMT"}, "left_to_department", "needs the leaving_date"),
        ({"temporary_promotion_from": "2026-09-01"}, "substantive_grade", "give both"),
        ({"substantive_grade": "Grade 6"}, "temporary_promotion_from", "give both"),
        (
            {"temporary_promotion_from": "2026-09-01", "substantive_grade": "SCS 1"},
            "substantive_grade",
            "is an SCS grade",
        ),
    ],
)
def test_f18_f25_bad_dates_and_promotions_are_refused_whole(
    db: Database, org: Org, tmp_path: Path, now: datetime, change, column, message
) -> None:
    """F18, F25: a leaving date not yet reached, a move with no date, or half a temporary
    promotion is refused with its row and column; nothing is stored."""
    before = table_counts(db)
    with pytest.raises(RosterError) as err:
        run_import(db, write_csv(tmp_path / "bad.csv", rows_with(4, **change)), now)
    [problem] = err.value.problems
    assert (problem.row, problem.column) == (6, column) and message in problem.message
    assert table_counts(db) == before


def test_f18_a_move_hr_recorded_survives_a_reimport(
    db: Database, org: Org, tmp_path: Path, now: datetime
) -> None:
    """F18 (corrected): "a move HR recorded survives a re-import" - a roster that still lists
    the person (its usual lag) neither undoes the move out nor the move in."""
    from store import services as svc
    from store.config import DepartmentConfig

    config = DepartmentConfig()
    with db.write() as session:
        svc.record_department_move(
            session, config=config, actor=org.actor("hr"), subject_id=org.peer, now=now,
            left_to="Home Office", left_on=date(2026, 7, 1),
        )  # fmt: skip
        svc.record_department_move(
            session, config=config, actor=org.actor("hr"), subject_id=org.other, now=now,
            joined_from="DWP", joined_on=date(2026, 5, 1),
        )  # fmt: skip
    result = run_import(db, write_csv(tmp_path / "again.csv", org_rows()), now)
    assert (result.rejoined, result.moves_kept) == (0, 2)
    assert "Kept 2 department moves HR recorded" in result.summary()
    with db.read() as session:
        peer, other = session.get(Person, org.peer), session.get(Person, org.other)
    assert (peer.left_on, peer.left_to_department) == (date(2026, 7, 1), "Home Office")
    assert (other.start_date, other.joined_from_department) == (date(2026, 5, 1), "DWP")
    assert other.civil_service_start == date(2020, 4, 1)


def test_f25_temporary_promotion_comes_from_the_roster(
    db: Database, tmp_path: Path, now: datetime
) -> None:
    """F25, guidance FAQ: "The roster says who is on temporary promotion and since when."""
    rows = rows_with(4, temporary_promotion_from="2026-11-01", substantive_grade="Grade 6")
    run_import(db, write_csv(tmp_path / "promoted.csv", rows), now)
    with db.read() as session:
        js = session.exec(select(Person).where(Person.email == "js@dept.example")).one()
        entry = session.exec(
            select(AuditEntry).where(
                AuditEntry.action == "roster.create", AuditEntry.subject_id == js.id
            )
        ).one()
    assert (js.temporary_promotion_from, js.substantive_grade) == (date(2026, 11, 1), "Grade 6")
    assert entry.new["temporary_promotion_from"] == "2026-11-01"
