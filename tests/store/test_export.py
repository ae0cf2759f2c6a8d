"""The HR workbook, read back with openpyxl and checked against figures this test works out
from the store's tables itself (never through the exporter's helpers)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from store.config import DepartmentConfig
from store.db import Database
from store.errors import PermissionDenied
from store.framework import Grade, Rating
from store.models import AwardStatus, Via
from store.services import Actor
from store.workbook import export_workbook
from store.workbook.cabinet_office import IN_YEAR_PAYMENTS
from tests.store.hr_year import EXPORTED, LATE, UNITS, YEAR, HRYear

LABELS = {
    "exceeding": "Exceeding",
    "high_performing": "High Performing",
    "achieving": "Achieving",
    "partially_met": "Partially Met",
}
ORDER = list(LABELS)


def rows_of(path: Path, name: str) -> list[tuple[Any, ...]]:
    """A sheet's rows as tuples, blank rows padded so that r[0] always exists."""
    wb = load_workbook(path, read_only=True)
    rows = [tuple(r) + (None,) * 40 for r in wb[name].iter_rows(values_only=True)]
    wb.close()
    return rows


def sheet_rows(path: Path, name: str, header: str = "Staff ID") -> list[dict[str, Any]]:
    """Rows under the header row whose first cell is ``header``, as dicts."""
    rows = rows_of(path, name)
    start = next(i for i, r in enumerate(rows) if r and r[0] == header)
    keys = rows[start]
    return [dict(zip(keys, r, strict=False)) for r in rows[start + 1 :] if r[0] is not None]


def expected_people(db: Database) -> dict[str, dict[str, Any]]:
    """Each person's year from the tables, with the gates worked out here (F7-F10, F16, F18)."""
    with db.read() as s:
        people = s.execute(
            sa.text(
                "SELECT id, staff_id, business_unit, grade, name, start_date, "
                "civil_service_start, joined_from_department, poor_performance_measures "
                "FROM person"
            )
        ).all()
        quarters: dict[int, dict[int, str]] = {}
        for pid, q, r in s.execute(
            sa.text("SELECT person_id, quarter, rating FROM indicative_rating WHERE year = :y"),
            {"y": YEAR},
        ):
            quarters.setdefault(pid, {})[q] = r
        recommended = dict(
            s.execute(
                sa.text(
                    "SELECT person_id, recommended_rating FROM write_up "
                    "WHERE year = :y AND stage = 'end_year'"
                ),
                {"y": YEAR},
            ).all()
        )
        # F23: the job holder has agreed the end-year write-up.
        agreed = {
            pid
            for (pid,) in s.execute(
                sa.text(
                    "SELECT person_id FROM write_up WHERE year = :y AND stage = 'end_year' "
                    "AND job_holder_agreed_at IS NOT NULL"
                ),
                {"y": YEAR},
            )
        }
        assessed = Counter(
            pid
            for (pid,) in s.execute(
                sa.text("SELECT person_id FROM minimum_standard_result WHERE year = :y"),
                {"y": YEAR},
            )
        )
        not_met = Counter(
            pid
            for (pid,) in s.execute(
                sa.text(
                    "SELECT person_id FROM minimum_standard_result WHERE year = :y AND NOT met"
                ),
                {"y": YEAR},
            )
        )
        finance = dict(
            s.execute(
                sa.text("SELECT person_id, met FROM finance_outcome WHERE year = :y"), {"y": YEAR}
            ).all()
        )
        moderated = dict(
            s.execute(
                sa.text("SELECT person_id, rating FROM moderated_rating WHERE year = :y"),
                {"y": YEAR},
            ).all()
        )
    out = {}
    for pid, staff_id, unit, grade, name, start, cs_start, joined_from, ppm in people:
        rec = recommended.get(pid)
        gated = rec
        if rec and not_met[pid]:
            gated = "partially_met"  # F8
        elif rec and finance.get(pid) in (False, 0) and rec in ("exceeding", "high_performing"):
            gated = "achieving"  # F9
        final = moderated.get(pid) or gated  # F7
        if pid not in agreed or assessed[pid] < 4 or pid not in finance:
            final = None  # F7, F23: not agreed, or a gate unassessed
        start = start if not isinstance(start, str) else datetime.fromisoformat(start).date()
        if grade == "PermSec":
            placement = "Out of scope"  # F19: separate guidance (§6)
        elif cs_start and str(cs_start) > f"{YEAR}-12-31":
            placement = "Not eligible"
        elif str(start) > f"{YEAR}-12-31":
            placement = "Other department" if joined_from or cs_start else "Not eligible"
        else:
            placement = "This department"
        out[staff_id] = {
            "id": pid,
            "unit": unit,
            "grade": grade,
            "name": name,
            "quarters": quarters.get(pid, {}),
            "recommended": rec,
            "gated": gated,
            "final": final,
            "placement": placement,
            "ppm": bool(ppm),
            "joined_from": joined_from,
        }
    return out


def label(value: str | None) -> str | None:
    return LABELS[value] if value else None


def test_ratings_sheet_matches_the_store_person_by_person(workbook: Path, db: Database) -> None:
    expected = expected_people(db)
    rows = {r["Staff ID"]: r for r in sheet_rows(workbook, "Ratings")}
    assert set(rows) == set(expected)  # everyone employed during the year, once
    for staff_id, want in expected.items():
        got = rows[staff_id]
        for q, column in ((1, "Q1"), (2, "Q2 (mid-year)"), (3, "Q3"), (4, "Q4")):
            assert got[column] == label(want["quarters"].get(q)), (staff_id, column)
        assert got["End-year recommendation"] == label(want["recommended"])
        assert got["Rating after the gates"] == label(want["gated"]), staff_id
        assert got["Final rating"] == label(want["final"]), staff_id
        # F16: only Exceeding and High Performing; Exceeding paid first.
        bonus = {"exceeding": "Eligible - pay first", "high_performing": "Eligible"}
        assert got["End-year bonus"] == bonus.get(want["final"] or "", "Not eligible")
        assert got["Moderation"] == want["placement"], staff_id
        assert got["On poor-performance measures"] == ("Yes" if want["ppm"] else "No")
    # The gates say why they changed a rating (F8, F9), and the F18 move names the department.
    reasons = [
        r["Why the gates changed it"] for r in rows.values() if r["Why the gates changed it"]
    ]
    assert any(r.startswith("Minimum standard not met") for r in reasons)
    assert any(r.startswith("Finance objective not met") for r in reasons)
    # F19: the Permanent Secretary is out of scope: no pack, not moderated here.
    (ps,) = [r for r in rows.values() if r["Grade"] == "PermSec"]
    assert ps["Moderated by"] == "Not moderated (Permanent Secretary: separate guidance)"
    assert not [t for t in load_workbook(workbook).sheetnames if t.startswith("Mod Office")]
    moved = [r for r in rows.values() if r["Moderation"] == "Other department"]
    assert [r["Moderated by"] for r in moved] == ["Department for Transport"]
    # F10: four Partially Met quarters in a row expect formal measures.
    first = rows[next(s for s, w in expected.items() if w["name"] == "Person0 0")]
    assert first["Under-performance step"] == "Formal measures expected"
    assert first["Development plan"] == "Prompted"


def test_distribution_and_cabinet_office_return(workbook: Path, db: Database) -> None:
    expected = expected_people(db)
    ours = [w for w in expected.values() if w["placement"] == "This department" and w["final"]]
    counts = Counter(w["final"] for w in ours)
    dist = rows_of(workbook, "Distribution")
    co = {r[0]: r[1:] for r in rows_of(workbook, "Cabinet Office return") if r[0]}
    box_rows = {r[0]: r for r in dist if r and r[0] in LABELS.values()}
    for key, name in LABELS.items():
        assert box_rows[name][1] == counts[key]
        assert box_rows[name][2] == pytest.approx(counts[key] / len(ours))
    assert box_rows["Partially Met"][3] == pytest.approx(0.05)  # F20's expected share
    units = {r[0]: r for r in dist if r and r[0] in UNITS}
    for unit in UNITS:
        people = [w for w in ours if w["unit"] == unit]
        assert units[unit][5] == len(people)
        pm = sum(w["final"] == "partially_met" for w in people)
        assert units[unit][4] == pytest.approx(pm / len(people))

    with db.read() as s:
        approved = s.execute(
            sa.text("SELECT count(*) FROM award WHERE year = :y AND status = 'approved'"),
            {"y": YEAR},
        ).scalar()
    top = counts["exceeding"] + counts["high_performing"]  # F22
    assert co["Rated Exceeding or High Performing"][:2] == (top, pytest.approx(top / len(ours)))
    pm = counts["partially_met"]
    assert co["Rated Partially Met"][:2] == (pm, pytest.approx(pm / len(ours)))
    # F22: payments made - the award awaiting the Chief Secretary (hr_year, Policy) is not one.
    assert co[IN_YEAR_PAYMENTS][0] == approved
    # F22: an eligibility count is labelled as one, never as payments made.
    (end_year_label,) = [k for k in co if "end-year" in k]
    assert end_year_label.startswith("People eligible") and "not payments made" in end_year_label
    end_year = co[end_year_label]
    assert end_year[0] == top
    assert co["On formal poor-performance measures"][0] == sum(w["ppm"] for w in expected.values())


def test_awards_and_totals_against_the_caps(
    workbook: Path, db: Database, config: DepartmentConfig
) -> None:
    with db.read() as s:
        awards = s.execute(
            sa.text(
                "SELECT a.id, p.staff_id, a.amount_pence, a.status, a.cst_reference FROM award a "
                "JOIN person p ON p.id = a.nominee_id WHERE a.year = :y"
            ),
            {"y": YEAR},
        ).all()
    rows = sheet_rows(workbook, "Awards", header="Award ID")
    assert sorted(r["Award ID"] for r in rows) == sorted(a.id for a in awards)
    by_id = {r["Award ID"]: r for r in rows}
    for a in awards:
        assert by_id[a.id]["Amount"] == a.amount_pence / 100
        assert by_id[a.id]["Status"] == AwardStatus(a.status).label
    # F15: where the Chief Secretary's approval stands (hr_year: one awaiting, one recorded).
    cst = Counter(by_id[a.id]["Chief Secretary approval"] for a in awards)
    assert cst["Awaiting"] == 1 and cst["Approved, reference CST-2027-041"] == 1
    totals = {r["Staff ID"]: r for r in sheet_rows(workbook, "Award totals")}
    cap = config.awards.per_year_pounds
    for staff_id in {a.staff_id for a in awards}:

        def total(*statuses: str, staff_id: str = staff_id) -> float:
            mine = (a for a in awards if a.staff_id == staff_id and a.status in statuses)
            return sum(a.amount_pence for a in mine) / 100

        assert totals[staff_id]["Approved total"] == total("approved")
        assert totals[staff_id]["Awaiting Chief Secretary"] == total("awaiting_cst")
        # F15: awards awaiting a decision or the Chief Secretary hold their place under the cap.
        headroom = cap - total("approved", "awaiting_cst", "pending")
        assert totals[staff_id]["Headroom under the year cap"] == headroom
    lines = {r[0]: r[1] for r in rows_of(workbook, "Award totals")[:6] if r[0]}
    approved_all = sum(a.amount_pence for a in awards if a.status == "approved") / 100
    assert any(
        k.startswith("Approved in-year awards") and v == approved_all for k, v in lines.items()
    )


def test_moderation_packs_by_unit_grade_by_grade_with_a_dropdown(
    workbook: Path, db: Database
) -> None:
    expected = expected_people(db)
    wb = load_workbook(workbook)  # full mode: validations, panes and filters
    meta = {r[0]: r[1:] for r in wb["perfbot"].iter_rows(values_only=True)}
    assert wb["perfbot"].sheet_state == "hidden"
    assert meta["year"][0] == YEAR
    grades = ["SCS1", "SCS2", "SCS3", "PermSec"]
    for unit in UNITS:
        ws = wb[f"Mod {unit}"]
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        want = sorted(
            (
                w
                for w in expected.values()
                if w["unit"] == unit and w["placement"] == "This department"
            ),
            key=lambda w: (grades.index(w["grade"]), w["name"]),
        )
        assert [r[1] for r in rows] == [w["name"] for w in want]  # F19: grade by grade
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        (dv,) = ws.data_validations.dataValidation
        assert dv.type == "list"
        assert dv.formula1 == '"Exceeding,High Performing,Achieving,Partially Met"'
        assert str(dv.sqref) == f"M2:M{len(rows) + 1}"
        # The columns the panel edits are yellow, as the Summary sheet tells them.
        assert ws.column_dimensions["M"].fill.fgColor.rgb.endswith("FFF2CC")
        assert ws.column_dimensions["N"].fill.fgColor.rgb.endswith("FFF2CC")
        assert ws.column_dimensions["L"].fill.fgColor.rgb in (None, "00000000")
        # F7: the panel sees who is ready to moderate, and why not.
        ready = {r[1]: r[14] for r in rows}
        for w in want:
            assert (ready[w["name"]] == "Yes") == (w["final"] is not None), w["name"]
    ratings = wb["Ratings"]
    assert ratings.freeze_panes == "A2" and ratings.auto_filter.ref
    header = [c.value for c in ratings[1]]
    assert ratings.cell(2, header.index("Start date") + 1).number_format == "yyyy-mm-dd"
    assert "£" in ratings.cell(2, header.index("Awards total") + 1).number_format
    # No formulas anywhere, and no protected characteristic beside a person.
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row)
    assert not any("sex" in str(h).lower() or "ethnic" in str(h).lower() for h in header)
    wb.close()
    with zipfile.ZipFile(workbook) as z:  # native charts on the Distribution sheet
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 2


def test_consistency_check_publishes_suppressed_counts_only(
    workbook: Path, db: Database, config: DepartmentConfig
) -> None:
    threshold = config.reporting.suppression_threshold
    rows = rows_of(workbook, "Consistency check")
    tables = [i for i, r in enumerate(rows) if r[0] == "Group"]
    assert len(tables) == 4  # sex and ethnicity, mid-year and end-year
    for i in tables:
        body = []
        for r in rows[i + 1 :]:
            if r[0] == "Total":
                totals = r
                break
            body.append(r)
        for r in body:
            shown = [v for v in r[1:5] if v != "*"]
            assert all(v == 0 or v >= threshold for v in shown)  # F21: no small cell shown
            assert r[5] >= threshold  # small groups pooled, never shown on their own
            hidden = [v for v in r[1:5] if v == "*"]
            assert len(hidden) != 1  # a lone hidden cell is its row total minus the rest
        for c in range(1, 5):
            column = [r[c] for r in body]
            if column.count("*") == 1:
                # The one hidden cell would follow from the column total: must not happen
                # unless every other cell in the column is hidden too (impossible with one).
                pytest.fail(f"column {c} of the table at row {i} hides a single cell")
        assert totals[5] == sum(r[5] for r in body)
    # Mid-year and end-year sit side by side for each characteristic.
    stages = [r[0] for r in rows if r[0] and str(r[0]).startswith(("Mid-year", "End-year"))]
    assert (
        stages
        == [
            "Mid-year (Q2 indicative), kept as the record today",  # exported after the check date
            "End-year (final rating)",
        ]
        * 2
    )
    # F21: pooled labels never name the small groups they pool (ethnicity has 3 Black, 2 Mixed).
    groups = {r[0] for r in rows if r and isinstance(r[0], str)}
    assert "Other (smaller groups together)" in groups
    assert not any("Black" in g or "Mixed" in g for g in groups)


def test_only_hr_can_export(
    db: Database, year: HRYear, config: DepartmentConfig, tmp_path: Path
) -> None:
    manager = Actor(next(iter(year.managers.values())), Via.TEST)
    with pytest.raises(PermissionDenied):
        export_workbook(db, config, tmp_path / "x.xlsx", actor=manager, now=EXPORTED, year=YEAR)
    assert not (tmp_path / "x.xlsx").exists()
    with db.read() as s:
        exports = s.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'workbook.export'")
        ).scalar()
    assert exports == 0


def test_the_export_is_audited(workbook: Path, db: Database, year: HRYear) -> None:
    with db.read() as s:
        rows = s.execute(
            sa.text("SELECT actor_id, entity_id FROM audit_log WHERE action = 'workbook.export'")
        ).all()
    export_id = next(r[1] for r in rows_of(workbook, "perfbot") if r[0] == "export_id")
    assert rows == [(year.hr.person_id, export_id)]


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
)
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_workbook_opens_in_libreoffice(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    done = subprocess.run(
        [str(SOFFICE), "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(out), str(workbook)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pdf = out / "hr.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_undelivered_nudges_are_listed_for_hr(
    db: Database, year: HRYear, config: DepartmentConfig, tmp_path: Path
) -> None:
    person = year.ids["person1.1@dept.example"]
    with db.write() as s:
        for status, error in (
            ("undeliverable", None),
            ("dead", "HTTP 500 after 8 tries"),
            ("sent", None),
        ):
            s.execute(
                sa.text(
                    "INSERT INTO outbox (recipient_id, kind, subject_key, subject_id, milestone, "
                    "step, year, due_at, status, attempts, last_error, created_at) VALUES "
                    "(:p, 'rating_due', :k, :p, 'q2_conversation', :step, :y, :at, :status, 0, "
                    ":error, :at)"
                ),
                {"p": person, "k": f"p:{person}", "step": f"reminder_{status}", "y": YEAR,
                 "at": EXPORTED, "status": status, "error": error},
            )  # fmt: skip
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=year.hr, now=EXPORTED, year=YEAR)
    rows = sheet_rows(path, "Undelivered nudges")
    assert sorted((r["Email"], r["Status"]) for r in rows) == [
        ("person1.1@dept.example", "Dead"),
        ("person1.1@dept.example", "Undeliverable"),
    ]  # the sent one is not listed
    why = {r["Status"]: r["Why"] for r in rows}
    assert why == {
        "Undeliverable": "No Slack or Teams account matches this email",
        "Dead": "HTTP 500 after 8 tries",
    }


def test_people_no_reminder_can_reach_are_listed_with_why(
    db: Database, year: HRYear, config: DepartmentConfig, tmp_path: Path
) -> None:
    """Issue: reach every SCS member - everyone in post with no chat with perfbot is named
    for HR, with what Teams said when perfbot tried to install itself for them."""
    from store import services as svc
    from store.services import INSTALL_OUTCOMES

    linked, missing = year.ids["person1.1@dept.example"], year.ids["person1.2@dept.example"]
    with db.write() as s:
        svc.link_chat_identity(s, person_id=linked, platform="slack", external_id="U1",
                               now=EXPORTED)  # fmt: skip
        svc.record_teams_install(s, person_id=missing, outcome="no_user", now=EXPORTED)
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=year.hr, now=EXPORTED, year=YEAR)
    rows = {r["Email"]: r["Why"] for r in sheet_rows(path, "Unreachable people")}
    assert "person1.1@dept.example" not in rows  # reachable in Slack
    assert rows["person1.2@dept.example"] == INSTALL_OUTCOMES["no_user"]
    with db.read() as s:
        in_post = s.execute(sa.text("SELECT count(*) FROM person WHERE left_on IS NULL")).one()[0]
    assert len(rows) == in_post - 1 and set(rows.values()) == {
        INSTALL_OUTCOMES["no_user"],
        "They have not opened perfbot in Slack or Teams",
    }


def test_f10_the_workbook_follows_a_run_across_the_year_boundary(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    """F10, guidance §57: two consecutive Partially Met quarters call for a development plan;
    the last quarter of one year and the first of the next are consecutive."""
    from datetime import UTC

    from store import services as svc
    from tests.conftest import make_org

    org = make_org(db, tmp_path)
    rate = {"config": config, "actor": org.actor("lm"), "rating": "Partially Met",
            "what_note": "Behind", "how_note": "Needs support"}  # fmt: skip
    with db.write() as session:
        for subject, year in ((org.js, 2025), (org.peer, 2024)):  # peer: a gap year between
            svc.record_indicative_rating(
                session, subject_id=subject, quarter=4, year=year,
                now=datetime(2026, 4, 2, tzinfo=UTC), **rate,
            )  # fmt: skip
        for subject in (org.js, org.peer):
            svc.record_indicative_rating(
                session, subject_id=subject, quarter=1, year=2026,
                now=datetime(2026, 7, 2, tzinfo=UTC), **rate,
            )  # fmt: skip
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=org.actor("hr"), now=EXPORTED, year=2026)
    rows = {r["Name"]: r for r in sheet_rows(path, "Ratings")}
    assert rows["Js"]["Under-performance step"] == "Development plan (two consecutive)"
    assert rows["Js"]["Development plan"] == "Prompted"
    assert rows["Peer"]["Under-performance step"] == "Support (one Partially Met)"
    assert rows["Peer"]["Development plan"] is None


def test_f18_f25_the_roster_dates_decide_who_is_moderated_here(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    """F18, guidance §67: eligible if employed "on or before 31 December"; FAQ: someone who
    left the Civil Service gets no performance reward; F25, FAQ: a temporary promotion is
    assessed "at the grade they have spent the majority of their performance year at"."""
    from store.roster import import_roster
    from tests.conftest import make_org, org_rows, write_csv

    org = make_org(db, tmp_path)
    rows = org_rows()
    rows[5] |= {"leaving_date": "2026-12-20"}  # peer left the Civil Service on 20 December
    rows[6] |= {"temporary_promotion_from": "2026-11-01", "substantive_grade": "Grade 6"}  # ppm
    rows[9] |= {"temporary_promotion_from": "2026-06-01", "substantive_grade": "Grade 7"}  # other
    with db.write() as session:  # the January roster: peer's row is kept, with the date
        import_roster(session, path=write_csv(tmp_path / "jan.csv", rows),
                      actor=org.actor("hr"), now=EXPORTED, today=date(2027, 1, 5))  # fmt: skip
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=org.actor("hr"), now=EXPORTED, year=2026)
    people = {r["Name"]: r for r in sheet_rows(path, "Ratings")}
    assert people["Peer"]["Left on"].date() == date(2026, 12, 20)
    assert people["Peer"]["Moderated by"] == (
        "Not moderated (left the Civil Service on or before 31 December)"
    )
    assert people["Ppm"]["Temporary promotion into the SCS"] == "Since 01 Nov 2026, from Grade 6"
    assert people["Ppm"]["Moderated by"].startswith("Not in SCS moderation (temporary promotion")
    assert people["Other"]["Moderated by"] == config.department.name  # SCS for most of the year
    packs = load_workbook(path, read_only=True)
    in_packs = {
        row[1]
        for name in packs.sheetnames
        if name.startswith("Mod ")
        for row in packs[name].iter_rows(values_only=True)
    }
    assert "Other" in in_packs and not {"Peer", "Ppm"} & in_packs


def test_f11_the_ratings_sheet_says_whose_objectives_are_agreed(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    """F11, guidance §23 and §42: objectives under each of the four headings, agreed by the
    line manager; HR sees who is there and what is missing for the rest."""
    from store import services as svc
    from tests.conftest import NOW, make_org

    org = make_org(db, tmp_path)
    four = ("business_delivery", "finance", "people", "corporate")
    with db.write() as session:
        for key, headings in (("js", four), ("peer", four[:2]), ("ppm", four)):
            for heading in headings:
                svc.set_objective(session, config=config, actor=org.actor(key),
                                  subject_id=org.ids[key], heading=heading, what="w", how="h",
                                  now=NOW)  # fmt: skip
        svc.agree_objectives(session, config=config, actor=org.actor("lm"), subject_id=org.js,
                             now=NOW)  # fmt: skip
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=org.actor("hr"), now=EXPORTED, year=2026)
    agreed = {r["Name"]: r["Objectives agreed"] for r in sheet_rows(path, "Ratings")}
    assert agreed["Js"] == "Agreed 15 Jul 2026"
    assert agreed["Peer"] == "Not yet: none under People/capability and Corporate contribution"
    assert agreed["Ppm"] == "Not yet: waiting for the line manager"
    summary = {r[0]: r[1] for r in rows_of(path, "Summary") if r and r[0]}
    assert summary["Objectives agreed (all four headings)"] == 1


def _mid_year_tables(path: Path) -> list[list[tuple[Any, ...]]]:
    rows = rows_of(path, "Consistency check")
    starts = [i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("Mid-year")]
    tables = []
    for i in starts:
        end = next(k for k in range(i, len(rows)) if rows[k][0] == "Total")
        tables.append([tuple(r) for r in rows[i + 1 : end + 1]])
    return tables


def test_f21_the_mid_year_table_is_kept_as_a_record_when_hr_runs_the_check(
    db: Database, year: HRYear, config: DepartmentConfig, tmp_path: Path
) -> None:
    """F21 (corrected), guidance §88: keep a record of the mid-year check "so that this can be
    compared with end-year results": the mid-year table is kept when HR runs the check (the
    first export on or after the check date), not recomputed later from changed ratings."""
    from datetime import UTC

    from store import services as svc

    before = tmp_path / "november.xlsx"  # before the check date: shown, not kept
    export_workbook(db, config, before, actor=year.hr, now=datetime(2026, 11, 20, 10, tzinfo=UTC),
                    year=YEAR)  # fmt: skip
    stages = [r[0] for r in rows_of(before, "Consistency check") if str(r[0]).startswith("Mid")]
    assert (
        stages[0]
        == "Mid-year (Q2 indicative), as of today (kept as the record from 30 November 2026)"
    )
    checked = tmp_path / "december.xlsx"
    export_workbook(db, config, checked, actor=year.hr, now=datetime(2026, 12, 1, 10, tzinfo=UTC),
                    year=YEAR)  # fmt: skip
    kept = _mid_year_tables(checked)
    # Later, eight Q2 ratings change; the kept mid-year table does not.
    with db.write() as session:
        for k in range(8):
            svc.record_indicative_rating(
                session, config=config, actor=Actor(year.managers["Policy"], Via.TEST),
                subject_id=year.ids[f"person0.{k}@dept.example"], quarter=2, year=YEAR,
                rating="Exceeding", what_note="Re-rated", how_note="Re-rated", now=LATE,
            )  # fmt: skip
    later = tmp_path / "april.xlsx"
    export_workbook(db, config, later, actor=year.hr, now=EXPORTED, year=YEAR)
    assert _mid_year_tables(later) == kept
    stages = [r[0] for r in rows_of(later, "Consistency check") if str(r[0]).startswith("Mid")]
    assert stages[0] == "Mid-year (Q2 indicative), as kept on 1 December 2026"
    q2 = [r["Q2 (mid-year)"] for r in sheet_rows(later, "Ratings")]
    exceeding_now = sum(v == "Exceeding" for v in q2)
    kept_exceeding = kept[0][-1][1]  # the Total row's Exceeding column
    assert exceeding_now >= kept_exceeding + 7  # the Ratings sheet moved on; the record did not


def test_f23_the_ratings_sheet_shows_where_each_write_up_agreement_stands(
    db: Database, tmp_path: Path, config: DepartmentConfig
) -> None:
    """F23 (corrected): "the HR workbook shows where each agreement stands" - written, agreed
    by the job holder (Annex D: before moderation), countersigned; a comment is visible."""
    from store import services as svc
    from tests.conftest import NOW, make_org

    org = make_org(db, tmp_path)
    write = {"config": config, "stage": "mid_year", "what": "w", "how": "h", "now": NOW}
    with db.write() as session:
        for key in ("js", "peer", "ppm"):
            svc.record_manager_assessment(session, actor=org.actor("lm"), subject_id=org.ids[key],
                                          **write)  # fmt: skip
        sign = {"config": config, "stage": "mid_year", "now": NOW, "subject_id": org.js}
        svc.agree_write_up(session, actor=org.actor("js"), **sign)
        svc.agree_write_up(session, actor=org.actor("ps"), **sign)  # js's countersigning officer
        svc.agree_write_up(session, actor=org.actor("peer"), **(sign | {"subject_id": org.peer}))
        svc.comment_on_write_up(session, config=config, actor=org.actor("ppm"), subject_id=org.ppm,
                                stage="mid_year", comment="Not quite",
                                now=NOW + timedelta(hours=1))  # fmt: skip
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=org.actor("hr"), now=EXPORTED, year=2026)
    mid = {r["Name"]: r["Mid-year write-up"] for r in sheet_rows(path, "Ratings")}
    assert mid["Js"] == "Agreed and countersigned"
    assert mid["Peer"] == "Agreed; waiting for the countersigning officer"
    assert mid["Ppm"] == "Written; the job holder commented and has not agreed"
    assert mid["Other"] is None


def _chart_series(workbook: Path) -> list[dict[str, str]]:
    """Each chart series' references - its title, values and categories - as written."""
    import re

    series = []
    with zipfile.ZipFile(workbook) as z:
        for name in sorted(n for n in z.namelist() if n.startswith("xl/charts/chart")):
            xml = z.read(name).decode()
            for ser in re.findall(r"<(?:c:)?ser>(.*?)</(?:c:)?ser>", xml, re.S):
                refs = {
                    part: re.search(rf"<(?:c:)?{part}>.*?<(?:c:)?f>(.*?)</(?:c:)?f>", ser, re.S)
                    for part in ("tx", "cat", "val")
                }
                series.append({k: m.group(1) for k, m in refs.items() if m})
    return series


def _cells(ws: Any, ref: str) -> list[Any]:
    """The values of a chart reference such as 'Distribution'!$B$12:$B$14."""
    area = ref.split("!")[1].replace("$", "")
    found = ws[area]
    if not isinstance(found, tuple):
        return [found.value]
    return [c.value for row in found for c in (row if isinstance(row, tuple) else (row,))]


def test_the_distribution_charts_point_at_their_data(workbook: Path) -> None:
    """Charts are checked by what they reference, not by file size: every series is titled
    by a header cell and draws numbers from data rows, against the boxes or the grades."""
    series = _chart_series(workbook)
    assert len(series) == 2 + 4  # share and expected share per box; the boxes by grade
    wb = load_workbook(workbook)
    ws = wb["Distribution"]
    labels = {r.label for r in Rating}
    for one in series:
        (title,) = _cells(ws, one["tx"])
        values, categories = _cells(ws, one["val"]), _cells(ws, one["cat"])
        assert title in {"Share", "Expected share", *(f"{label} %" for label in labels)}, one
        numbers = [v for v in values if v is not None]
        assert numbers and all(isinstance(v, int | float) for v in numbers), one
        assert len(categories) == len(values) and all(isinstance(c, str) for c in categories)
    share, expected, *by_grade = series
    assert set(_cells(ws, share["cat"])) == labels
    assert set(_cells(ws, by_grade[0]["cat"])) <= {g.value for g in Grade}  # grades, not boxes
    assert sum(_cells(ws, share["val"])) == pytest.approx(1.0)
    # F20: the expected curve beside it - the guidance's 5% Partially Met, by default
    curve = dict(zip(_cells(ws, expected["cat"]), _cells(ws, expected["val"]), strict=True))
    assert curve == {"Exceeding": None, "High Performing": None, "Achieving": None,
                     "Partially Met": pytest.approx(0.05)}  # fmt: skip
    wb.close()


def test_every_sheet_prints_landscape_as_wide_as_the_page_with_its_header(
    workbook: Path,
) -> None:
    """A moderation pack printed by HR keeps names and the yellow column on one page, and
    repeats its header row on every page; so does every other sheet."""
    wb = load_workbook(workbook)
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert len(visible) > 8
    for ws in visible:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        if ws.title.startswith("Mod "):
            assert ws.page_setup.fitToWidth == 1, ws.title  # a pack: one page wide
    # The Ratings sheet is some 45 columns: across pages at a readable size, each page with
    # the staff ID and the name.
    ratings = wb["Ratings"]
    assert ratings.page_setup.fitToWidth > 1 and ratings.print_title_cols == "$A:$B"
    wb.close()


def test_before_anyone_is_rated_the_consistency_sheet_says_so_truly(
    db: Database, org: Any, config: DepartmentConfig, tmp_path: Path
) -> None:
    """F21: with characteristics stored but no one rated, the sheet says there is nothing to
    compare yet - not that the roster holds none."""
    from tests.conftest import NOW

    path = tmp_path / "early.xlsx"
    export_workbook(db, config, path, actor=org.actor("hr"), now=NOW, year=2026)
    wb = load_workbook(path)
    said = [c for row in wb["Consistency check"].iter_rows(values_only=True) for c in row if c]
    wb.close()
    assert any("nothing to compare across sex" in str(c) for c in said), said
    assert not any("holds no protected characteristics" in str(c) for c in said)
