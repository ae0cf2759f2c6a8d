"""Nothing typed in chat or a roster can break or poison what HR relies on (the hardening
issue, findings 1 and 2): text that looks like a formula is written as text on every sheet,
and control characters are refused where they come in, with a message beside the field.

The payloads go in the way an attacker would put them: through the roster importer and the
award services that Slack and Teams call; the workbook is read back with openpyxl, cell by
cell, on every sheet including the hidden one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import select

from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import InvalidInput
from store.models import Award, Person, Via
from store.roster import RosterError, import_roster
from store.services import Actor
from store.workbook import export_workbook
from store.workbook.moderation_import import import_moderation
from tests.conftest import NOW, ROSTER_LOADED, end_year_ready, make_org, org_rows, write_csv

FORMULAS = [
    '=HYPERLINK("http://example.invalid/x","Click")',
    "=1+1",
    "=cmd|' /C calc'!A0",
    "=SUM(A1:A9)",
]
LOOKALIKES = ["+1+1", "-1+1", "@SUM(1)"]  # not formulas to openpyxl; must stay text too
BAD_UNIT = FORMULAS[2]


def _load(db: Database, tmp_path: Path, rows: list[dict[str, str]]) -> dict[str, int]:
    return make_org(db, tmp_path, rows).ids


def poisoned_roster() -> list[dict[str, str]]:
    rows = org_rows()
    by_key = {r["email"].split("@")[0]: r for r in rows}
    by_key["js"]["name"] = FORMULAS[0]
    by_key["peer"]["staff_id"] = FORMULAS[1]
    by_key["ppm"]["name"] = LOOKALIKES[0]
    by_key["dg.b"]["name"] = FORMULAS[3]  # shown as the Director General of group B
    for key in ("lm.b", "other", "hr"):
        by_key[key]["business_unit"] = BAD_UNIT  # a whole moderation pack named by it
    return rows


def _all_cells(path: Path) -> list[tuple[str, str, Any, str]]:
    book = load_workbook(path)  # not read-only: it reports each cell's stored type
    return [
        (ws.title, cell.coordinate, cell.value, cell.data_type)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_no_text_becomes_a_formula_on_any_sheet(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    ids = _load(db, tmp_path, poisoned_roster())
    lm, dg, hr = Actor(ids["lm"], Via.SLACK), Actor(ids["dg_a"], Via.SLACK), ids["hr"]
    with db.write() as session:
        awards = [
            svc.nominate_award(
                session, config=config, actor=lm, nominee_id=who, amount_pence=100_000,
                reason=reason, now=NOW,
            ).id
            for who, reason in ((ids["js"], FORMULAS[0]), (ids["peer"], FORMULAS[2]),
                                (ids["js"], LOOKALIKES[2]))
        ]  # fmt: skip
        svc.decide_award(
            session, config=config, actor=dg, award_id=awards[0], approve=False,
            reason=FORMULAS[1], now=NOW,
        )  # fmt: skip
        svc.decide_award(
            session, config=config, actor=dg, award_id=awards[1], approve=True, now=NOW
        )
        other = Actor(ids["other"], Via.SLACK)  # F7: agreed, gates assessed, so moderable
        end_year_ready(
            session, config, NOW, manager=Actor(ids["lm_b"], Via.SLACK), subject_id=ids["other"],
            signers=(other,),
        )  # fmt: skip
    path = tmp_path / "hr.xlsx"
    result = export_workbook(db, config, path, actor=Actor(hr, Via.SLACK), now=NOW, year=2026)
    cells = _all_cells(path)
    formulas = [c for c in cells if c[3] == "f"]
    assert formulas == []
    written = {value for _sheet, _where, value, _type in cells}
    assert set(FORMULAS) <= written  # kept as typed, as text
    assert {LOOKALIKES[0], LOOKALIKES[2]} <= written
    sheets_with_payloads = {s for s, _w, v, _t in cells if v in FORMULAS}
    assert {"Ratings", "Awards", "Award totals", "perfbot"} <= sheets_with_payloads
    (pack,) = [title for title, unit in result.moderation_sheets.items() if unit == BAD_UNIT]

    # The hidden sheet moderation import reads still names the unit: its pack imports.
    book = load_workbook(path)
    ws = book[pack]
    other = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "Other")
    ws.cell(other, 13).value = "Achieving"
    book.save(tmp_path / "edited.xlsx")
    imported = import_moderation(
        db, config, tmp_path / "edited.xlsx", actor=Actor.system(Via.CLI),
        now=datetime(2027, 4, 14, 15, tzinfo=UTC),
    )  # fmt: skip
    assert [c.name for c in imported.changes] == ["Other"]


@pytest.mark.parametrize("character", ["\x07", "\x0b", "\x00", "\x1b"])
def test_control_characters_are_refused_beside_the_field(
    db: Database, tmp_path: Path, config: DepartmentConfig, character: str
) -> None:
    ids = _load(db, tmp_path, org_rows())
    lm = Actor(ids["lm"], Via.SLACK)
    attempts = {
        "reason": lambda s: svc.nominate_award(
            s, config=config, actor=lm, nominee_id=ids["js"], amount_pence=100_000,
            reason=f"Great{character}work", now=NOW,
        ),
        "what": lambda s: svc.record_indicative_rating(
            s, config=config, actor=lm, subject_id=ids["js"], quarter=1, rating="achieving",
            what_note=f"Met{character}all", how_note="fine", now=NOW,
        ),
        "text": lambda s: svc.add_evidence(
            s, config=config, actor=Actor(ids["js"], Via.SLACK), subject_id=ids["js"],
            text=f"Led{character}it", standard="talent", now=NOW,
        ),
    }  # fmt: skip
    for field, attempt in attempts.items():
        with pytest.raises(InvalidInput, match="control character") as refused:
            with db.write() as session:
                attempt(session)
        assert refused.value.field == field
    with db.read() as session:  # nothing stored
        assert session.exec(select(Award)).all() == []


def test_newlines_and_tabs_stay_in_multi_line_text(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    ids = _load(db, tmp_path, org_rows())
    with db.write() as session:
        award = svc.nominate_award(
            session, config=config, actor=Actor(ids["lm"], Via.SLACK), nominee_id=ids["js"],
            amount_pence=100_000, reason="Line one\n\tLine two", now=NOW,
        )  # fmt: skip
    assert award.reason == "Line one\n\tLine two"


def test_a_roster_with_a_control_character_is_refused_whole(db: Database, tmp_path: Path) -> None:
    rows = org_rows()
    rows[4]["name"] = "Ja\x07ne"
    with pytest.raises(RosterError) as refused:
        _load(db, tmp_path, rows)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (6, "name")
    assert "control character" in problem.message and problem.value == "Ja\\x07ne"
    with db.read() as session:
        assert session.exec(select(Person)).all() == []


def test_a_control_character_already_stored_does_not_stop_the_export(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    """Defence in depth: a value stored before these checks (or by another route) is cleaned
    as it is written, instead of failing the whole year's export."""
    ids = _load(db, tmp_path, org_rows())
    with db.write() as session:
        award = svc.nominate_award(
            session, config=config, actor=Actor(ids["lm"], Via.SLACK), nominee_id=ids["js"],
            amount_pence=100_000, reason="placeholder", now=NOW,
        )  # fmt: skip
        award.reason = "Bell\x07 and vertical\x0btab"  # as an older version could have stored
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=Actor(ids["hr"], Via.CLI), now=NOW, year=2026)
    values = {value for _s, _w, value, _t in _all_cells(path)}
    assert "Bell and verticaltab" in values


def test_a_database_error_does_not_carry_the_values_into_the_log(db: Database) -> None:
    """Hardening (finding 3): a failed statement's message names the statement, never its
    values - a PostgreSQL error once logged a rating note."""
    note = "Private rating note about Js"
    with pytest.raises(sa.exc.DatabaseError) as failed:
        with db.write() as session:
            session.execute(sa.text("UPDATE audit_log SET reason = :note"), {"note": note})
            session.execute(sa.text("SELECT * FROM no_such_table WHERE x = :note"), {"note": note})
    assert note not in str(failed.value)
    assert "hidden" in str(failed.value)


# --- finding 7: roster files that would exhaust the machine ------------------------------------
def _zip_bomb(path: Path, unzipped_mb: int) -> Path:
    """A real roster xlsx whose first worksheet is padded inside its sheet data to
    ``unzipped_mb`` MB of spaces: a few hundred KB on disk, which a reader would have to
    unzip and scan whole."""
    import zipfile

    from store.roster import write_template

    template = write_template(path.with_name("template.xlsx"))
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            if item.filename != sheet:
                out.writestr(item, src.read(item))
        head, tail = src.read(sheet).split(b"</sheetData>", 1)
        with out.open(sheet, "w") as part:
            part.write(head)
            chunk = b" " * (1024 * 1024)
            for _ in range(unzipped_mb):
                part.write(chunk)
            part.write(b"</sheetData>" + tail)
    return path


def test_a_zip_bomb_is_refused_before_it_is_unpacked(db: Database, tmp_path: Path) -> None:
    import time

    bomb = _zip_bomb(tmp_path / "roster.xlsx", unzipped_mb=300)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(RosterError) as refused:
        _load_xlsx(db, bomb)
    assert time.monotonic() - started < 5
    (problem,) = refused.value.problems
    assert "300 MB of data; the limit is 50 MB" in problem.message
    with db.read() as session:
        assert session.exec(select(Person)).all() == []


def _load_xlsx(db: Database, path: Path) -> None:
    with db.write() as session:
        import_roster(
            session, path=path, actor=Actor.system(Via.IMPORT), now=ROSTER_LOADED,
            today=ROSTER_LOADED.date(),
        )  # fmt: skip


def test_too_many_rows_and_problems_are_cut_short(db: Database, tmp_path: Path) -> None:
    from store.config import RosterSection

    rows = org_rows()
    bad = [dict(rows[4], staff_id=f"X{n}", email="not-an-email", grade="SCS9") for n in range(400)]
    path = write_csv(tmp_path / "roster.csv", rows + bad)
    with pytest.raises(RosterError) as refused:
        with db.write() as session:
            import_roster(
                session, path=path, actor=Actor.system(Via.IMPORT), now=ROSTER_LOADED,
                today=ROSTER_LOADED.date(), limits=RosterSection(max_problems_listed=50),
            )  # fmt: skip
    problems = refused.value.problems
    assert len(problems) == 51 and problems[-1].message == "... and 750 more, not listed"
    assert refused.value.message.startswith("The roster was not imported: 800 problems.")
    with pytest.raises(RosterError) as too_long:
        with db.write() as session:
            import_roster(
                session, path=path, actor=Actor.system(Via.IMPORT), now=ROSTER_LOADED,
                today=ROSTER_LOADED.date(), limits=RosterSection(max_rows=100),
            )  # fmt: skip
    assert "more than 100 rows" in too_long.value.problems[0].message


# --- finding 9: the smaller ones ---------------------------------------------------------------
@pytest.mark.parametrize("amount", ["٢٥٠٠", "２５００", "2٥00"])
def test_amounts_are_ascii_digits(amount: str) -> None:
    from store.framework import parse_money_pence

    with pytest.raises(InvalidInput, match="not an amount"):
        parse_money_pence(amount)


def test_an_award_below_the_floor_is_refused(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    ids = _load(db, tmp_path, org_rows())
    with pytest.raises(InvalidInput, match="at least £50") as refused:
        with db.write() as session:
            svc.nominate_award(
                session, config=config, actor=Actor(ids["lm"], Via.SLACK), nominee_id=ids["js"],
                amount_pence=1, reason="A penny", now=NOW,
            )  # fmt: skip
    assert refused.value.field == "amount"


@pytest.mark.parametrize("review", ["0001-06-01", "9999-06-01", "2025-12-31"])
def test_a_review_date_far_from_the_year_is_refused(
    db: Database, tmp_path: Path, config: DepartmentConfig, review: str
) -> None:
    from datetime import date

    ids = _load(db, tmp_path, org_rows())
    lm = Actor(ids["lm"], Via.SLACK)
    with db.write() as session:
        for quarter in (1, 2):  # two Partially Met quarters prompt a plan (F10)
            svc.record_indicative_rating(
                session, config=config, actor=lm, subject_id=ids["js"], quarter=quarter,
                rating="partially_met", what_note="w", how_note="h", now=NOW,
            )  # fmt: skip
    with pytest.raises(InvalidInput, match="Give a review date between") as refused:
        with db.write() as session:
            svc.update_development_plan(
                session, config=config, actor=lm, subject_id=ids["js"], status="agreed",
                review_on=date.fromisoformat(review), now=NOW,
            )  # fmt: skip
    assert refused.value.field == "review_on"
