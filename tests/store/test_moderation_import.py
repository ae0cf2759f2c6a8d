"""Moderation round-trip: edit the workbook's packs as a panel would, import, and check the
store. Every kind of bad edit is refused with its sheet, row and column, and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from store.config import DepartmentConfig
from store.db import Database
from store.services import record_moderated_rating
from store.workbook.moderation_import import ModerationImportError, import_moderation
from tests.store.hr_year import YEAR, HRYear

IMPORTED = datetime(2027, 4, 14, 15, tzinfo=UTC)
HEADER = {"Staff ID": 1, "Name": 2, "Moderated rating": 13, "Moderation note": 14}


def row_of(ws: Any, name: str) -> int:
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, HEADER["Name"]).value == name:
            return row
    raise AssertionError(f"{name} is not on {ws.title}")


def edit(path: Path, edits: list[tuple[str, str, str, Any]], out: Path) -> Path:
    """(sheet, person's name, column header, new value) -> a saved copy."""
    wb = load_workbook(path)
    for sheet, name, column, value in edits:
        ws = wb[sheet]
        ws.cell(row_of(ws, name), HEADER[column]).value = value
    wb.save(out)
    return out


def state(db: Database) -> tuple[list[Any], int]:
    with db.read() as s:
        rows = s.execute(
            sa.text("SELECT person_id, rating, reason FROM moderated_rating ORDER BY person_id")
        ).all()
        audits = s.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    return [tuple(r) for r in rows], int(audits or 0)


def moderated(db: Database, person_id: int) -> tuple[str, str] | None:
    with db.read() as s:
        row = s.execute(
            sa.text("SELECT rating, reason FROM moderated_rating WHERE person_id = :p"),
            {"p": person_id},
        ).first()
    return (row[0], row[1]) if row else None


def test_panel_edits_are_recorded_with_a_reason_and_audited(
    db: Database, year: HRYear, config: DepartmentConfig, workbook: Path, tmp_path: Path
) -> None:
    edited = edit(
        workbook,
        [
            ("Mod Policy", "Person0 1", "Moderated rating", "Partially Met"),
            ("Mod Policy", "Person0 1", "Moderation note", "Panel agreed the F8 finding."),
            ("Mod Policy", "Person0 3", "Moderated rating", "High Performing"),  # was Exceeding
            ("Mod Digital", "Person2 5", "Moderated rating", "Achieved"),  # F4 spelling
        ],
        tmp_path / "edited.xlsx",
    )
    result = import_moderation(db, config, edited, actor=year.hr, now=IMPORTED)
    assert len(result.changes) == 3
    p01 = year.ids["person0.1@dept.example"]
    p03 = year.ids["person0.3@dept.example"]
    p25 = year.ids["person2.5@dept.example"]
    assert moderated(db, p01) == ("partially_met", "Panel agreed the F8 finding.")
    assert moderated(db, p03)[0] == "high_performing"  # type: ignore[index]
    assert moderated(db, p25)[1].startswith("Moderation panel (Mod Digital), 2026-27")  # type: ignore[index]
    changes = {str(c).split(" [")[0] for c in result.changes}
    assert "Person0 3 (H0008): Exceeding -> High Performing" in changes
    with db.read() as s:
        audited = s.execute(
            sa.text(
                "SELECT subject_id, reason FROM audit_log WHERE action = 'moderation.record' "
                "ORDER BY id DESC LIMIT 3"
            )
        ).all()
    assert all(reason for _, reason in audited)
    assert sorted(r[0] for r in audited) == sorted([p01, p03, p25])
    # The same file again changes nothing (the store already matches it).
    before = state(db)
    again = import_moderation(db, config, edited, actor=year.hr, now=IMPORTED)
    assert again.changes == [] and state(db) == before


def _other_unit_staff(year: HRYear) -> str:
    return year.staff["person1.2@dept.example"]  # Delivery


BAD_EDITS = {
    "not a box": (
        [("Mod Policy", "Person0 2", "Moderated rating", "Outstanding")],
        "sheet 'Mod Policy', row {row}, column M (Moderated rating): 'Outstanding' is not a box",
    ),
    "unknown person": (
        [
            ("Mod Policy", "Person0 2", "Staff ID", "NOBODY1"),
            ("Mod Policy", "Person0 2", "Moderated rating", "Achieving"),
        ],
        "sheet 'Mod Policy', row {row}, column A (Staff ID): no person with staff ID 'NOBODY1'",
    ),
    "outside the unit": (
        [
            ("Mod Policy", "Person0 2", "Staff ID", "{delivery}"),
            ("Mod Policy", "Person0 2", "Moderated rating", "Exceeding"),
        ],
        "sheet 'Mod Policy', row {row}, column M (Moderated rating): Person1 2 is in Delivery, "
        "not Policy",
    ),
    "cleared": (
        [("Mod Policy", "Person0 3", "Moderated rating", None)],
        "sheet 'Mod Policy', row {row}, column M (Moderated rating): blank, but Person0 3 "
        "already has a moderated rating",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_EDITS))
def test_a_bad_edit_is_refused_with_its_place_and_nothing_changes(
    kind: str,
    db: Database,
    year: HRYear,
    config: DepartmentConfig,
    workbook: Path,
    tmp_path: Path,
) -> None:
    edits, message = BAD_EDITS[kind]
    edits = [
        (s, n, c, v.format(delivery=_other_unit_staff(year)) if isinstance(v, str) else v)
        for s, n, c, v in edits
    ]
    # A good edit in another sheet rides along: it must not be stored either.
    edits.append(("Mod Digital", "Person2 5", "Moderated rating", "Achieving"))
    wb = load_workbook(workbook)
    row = row_of(wb["Mod Policy"], edits[0][1])
    edited = edit(workbook, edits, tmp_path / "edited.xlsx")
    before = state(db)
    with pytest.raises(ModerationImportError) as caught:
        import_moderation(db, config, edited, actor=year.hr, now=IMPORTED)
    assert "Nothing was changed" in caught.value.message
    assert any(p.startswith(message.format(row=row)) for p in caught.value.problems), (
        caught.value.problems
    )
    assert len(caught.value.problems) == 1
    assert state(db) == before


def test_a_stale_file_is_refused(
    db: Database, year: HRYear, config: DepartmentConfig, workbook: Path, tmp_path: Path
) -> None:
    person = year.ids["person0.4@dept.example"]
    with db.write() as session:  # someone records a rating after the export
        record_moderated_rating(
            session, config=config, actor=year.hr, subject_id=person, rating="achieving",
            reason="Decided at the overall meeting.", now=datetime(2027, 4, 12, tzinfo=UTC),
            year=YEAR,
        )  # fmt: skip
    edited = edit(
        workbook,
        [("Mod Policy", "Person0 4", "Moderated rating", "Exceeding")],
        tmp_path / "edited.xlsx",
    )
    before = state(db)
    with pytest.raises(ModerationImportError) as caught:
        import_moderation(db, config, edited, actor=year.hr, now=IMPORTED)
    (problem,) = caught.value.problems
    row = row_of(load_workbook(edited)["Mod Policy"], "Person0 4")
    assert problem.startswith(f"sheet 'Mod Policy', row {row}, column M (Moderated rating)")
    assert "stale" in problem
    assert state(db) == before


def test_a_rule_broken_at_recording_rolls_back_every_change(
    db: Database, year: HRYear, config: DepartmentConfig, workbook: Path, tmp_path: Path
) -> None:
    # F18: the person who joined the Civil Service after 31 December is not moderated here;
    # a panel that types them into its sheet is refused by the service, after a good change.
    not_eligible = year.staff["person3.11@dept.example"]
    edited = edit(
        workbook,
        [
            ("Mod Corporate Services", "Person3 1", "Moderated rating", "Achieving"),
            ("Mod Corporate Services", "Person3 2", "Staff ID", not_eligible),
            ("Mod Corporate Services", "Person3 2", "Moderated rating", "Achieving"),
        ],
        tmp_path / "edited.xlsx",
    )
    before = state(db)
    with pytest.raises(ModerationImportError) as caught:
        import_moderation(db, config, edited, actor=year.hr, now=IMPORTED)
    (problem,) = caught.value.problems
    assert (
        "column M (Moderated rating)" in problem and "not moderated by this department" in problem
    )
    assert state(db) == before


def test_files_that_are_not_this_perfbots_exports(
    db: Database, year: HRYear, config: DepartmentConfig, workbook: Path, tmp_path: Path
) -> None:
    wb = load_workbook(workbook)
    wb["perfbot"]["B1"] = "0" * 32
    wb.save(tmp_path / "forged.xlsx")
    with pytest.raises(ModerationImportError, match="was not exported by this perfbot"):
        import_moderation(db, config, tmp_path / "forged.xlsx", actor=year.hr, now=IMPORTED)
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    with pytest.raises(ModerationImportError, match="is not an .xlsx workbook"):
        import_moderation(db, config, tmp_path / "notes.xlsx", actor=year.hr, now=IMPORTED)
    wb = load_workbook(workbook)
    del wb["perfbot"]
    wb.save(tmp_path / "plain.xlsx")
    with pytest.raises(ModerationImportError, match="not a workbook from 'perfbot export'"):
        import_moderation(db, config, tmp_path / "plain.xlsx", actor=year.hr, now=IMPORTED)


def test_only_hr_can_import(
    db: Database, year: HRYear, config: DepartmentConfig, workbook: Path, tmp_path: Path
) -> None:
    edited = edit(
        workbook,
        [("Mod Policy", "Person0 2", "Moderated rating", "Exceeding")],
        tmp_path / "e.xlsx",
    )
    before = state(db)
    manager = year.dg  # a DG, not HR
    with pytest.raises(ModerationImportError, match="Only HR"):
        import_moderation(db, config, edited, actor=manager, now=IMPORTED)
    assert state(db) == before


def test_f7_f8_f9_a_panel_cannot_lift_a_rating_past_the_gates(
    db: Database, year: HRYear, config: DepartmentConfig, workbook: Path, tmp_path: Path
) -> None:
    """F7-F9 through HR's real path (export, type a box in a pack, import). Outcome form:
    "Those who receive a 'not met' marking for the minimum standards must be automatically
    deemed to be 'partially met' ... regardless of how they perform against their
    objectives." Annex D 4a: "if an individual does not meet their finance/efficiency
    objective then they cannot be ranked higher than in the 'achieving' performance group."
    Annex D: a rating "provisionally agreed by the job holder and the line manager ... is
    then taken to moderation" - so no write-up, nothing to moderate."""
    attack = [
        ("Mod Policy", "Person0 1", "Moderated rating", "Exceeding"),  # a standard not met
        ("Mod Policy", "Person0 2", "Moderated rating", "Exceeding"),  # finance missed
        ("Mod Policy", "Person0 9", "Moderated rating", "Exceeding"),  # no write-up at all
    ]
    edited = edit(workbook, attack, tmp_path / "edited.xlsx")
    ws = load_workbook(edited)["Mod Policy"]
    at = {name: f"sheet 'Mod Policy', row {row_of(ws, name)}, column M (Moderated rating): "
          for _, name, _, _ in attack}  # fmt: skip
    before = state(db)
    with pytest.raises(ModerationImportError) as caught:
        import_moderation(db, config, edited, actor=year.hr, now=IMPORTED)
    assert sorted(caught.value.problems) == sorted(
        [
            at["Person0 1"] + "Person0 1 can be rated no higher than Partially Met: a minimum "
            "standard was not met.",
            at["Person0 2"] + "Person0 2 can be rated no higher than Achieving: the finance "
            "objective was not met.",
            at["Person0 9"] + "Person0 9 cannot be moderated yet: no end-year recommendation"
            "; minimum standards not assessed; finance objective not assessed.",
        ]
    )
    assert state(db) == before

    # The workbook says why a final rating is missing, and counts no one without one.
    from tests.store.test_export import sheet_rows

    rows = {r["Name"]: r for r in sheet_rows(workbook, "Ratings")}
    nine = rows["Person0 9"]
    assert nine["Final rating"] is None and nine["End-year bonus"] == "Not eligible"
    assert nine["Why there is no final rating yet"] == (
        "No end-year recommendation; minimum standards not assessed; finance objective not "
        "assessed."
    )
    pack = load_workbook(workbook)["Mod Policy"]
    assert pack.cell(1, 15).value == "Ready to moderate"
    assert pack.cell(row_of(pack, "Person0 9"), 15).value == (
        "Not yet: no end-year recommendation; minimum standards not assessed; finance "
        "objective not assessed."
    )
    assert pack.cell(row_of(pack, "Person0 1"), 15).value == "Yes"
    assert rows["Person0 1"]["Final rating"] == "Partially Met"
    assert rows["Person0 1"]["Why there is no final rating yet"] is None
