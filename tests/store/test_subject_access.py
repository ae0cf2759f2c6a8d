"""Subject access: everything held about a person, and nothing about anyone else."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import PermissionDenied
from store.models import AuditEntry, Via
from store.subject_access import (
    NOT_ABOUT_ONE_PERSON,
    SECTIONS,
    person_tables,
    subject_access,
    write_subject_access,
)
from tests.conftest import NOW, Org, end_year_ready

SECRET = "JS-ONLY: a note about someone else"
YEAR_END = NOW.replace(year=2027, month=3, day=24)


def _full_year(db: Database, config: DepartmentConfig, org: Org) -> None:
    """A line manager's year with a record in every table that can hold one about them."""
    me, boss, hr = org.actor("lm"), org.actor("dg_a"), org.actor("hr")
    base = {"config": config, "now": NOW}
    with db.write() as s:
        svc.link_chat_identity(s, person_id=org.lm, platform="slack", external_id="U1", now=NOW)
        svc.set_preferences(s, actor=me, list_at=time(10), evidence_prompts=False, **base)
        svc.record_teams_install(s, person_id=org.lm, outcome="already", now=NOW)
        objective = svc.set_objective(
            s, actor=me, subject_id=org.lm, heading="business_delivery", what="Ship the plan",
            how="With the team", **base,
        ).objective  # fmt: skip
        for heading in ("finance", "people", "corporate"):
            svc.set_objective(s, actor=me, subject_id=org.lm, heading=heading, what="More",
                              how="Well", **base)  # fmt: skip
        svc.revise_objective(s, actor=me, objective_id=objective.id, what="Ship the bigger plan",
                             how="With two teams", reason="Scope grew", now=NOW)  # fmt: skip
        svc.add_milestone(s, actor=me, objective_id=objective.id, title="Beta",
                          due_on=date(2026, 9, 1), now=NOW)  # fmt: skip
        svc.agree_objectives(s, actor=boss, subject_id=org.lm, **base)
        svc.add_evidence(s, actor=me, subject_id=org.lm, text="Ran the review",
                         standard="delivery", **base)  # fmt: skip
        svc.propose_respondent(s, actor=me, subject_id=org.lm, respondent="peer@dept.example",
                               relationship="peer", **base)  # fmt: skip
        for quarter in (1, 2):
            svc.record_indicative_rating(
                s, actor=boss, subject_id=org.lm, quarter=quarter, rating="partially_met",
                what_note="Slipped", how_note="Kept people informed", year=2026,
                **base | {"now": NOW + timedelta(days=80 * quarter)},
            )  # fmt: skip
        svc.update_development_plan(s, actor=boss, subject_id=org.lm, status="agreed",
                                    review_on=date(2026, 12, 1), note="Fortnightly check-ins",
                                    year=2026, **base)  # fmt: skip
        # Someone else's record: must never appear in lm's export.
        svc.record_indicative_rating(s, actor=me, subject_id=org.js, quarter=1,
                                     rating="achieving", what_note=SECRET, how_note=SECRET,
                                     year=2026, **base)  # fmt: skip
        svc.nominate_award(s, actor=boss, nominee_id=org.lm, amount_pence=50_000,
                           reason="Crisis response", **base)  # fmt: skip
        svc.nominate_award(s, actor=me, nominee_id=org.js, amount_pence=60_000,
                           reason=SECRET, **base)  # fmt: skip
    with db.write() as s:
        end_year_ready(s, config, YEAR_END, manager=boss, subject_id=org.lm, signers=(me,))
        svc.record_moderated_rating(s, config=config, actor=hr, subject_id=org.lm,
                                    rating="achieving", reason="Panel", now=YEAR_END,
                                    year=2026)  # fmt: skip
        svc.open_rating_review(s, config=config, actor=hr, subject_id=org.lm,
                               reason="Grievance raised", now=YEAR_END, year=2026)  # fmt: skip


def test_every_table_about_a_person_is_covered() -> None:
    """A new table naming a person must be given in the export or say why not."""
    covered = {s.model.__tablename__ for s in SECTIONS} | set(NOT_ABOUT_ONE_PERSON)
    assert person_tables() <= covered | {"objective_revision", "objective_milestone"}
    assert person_tables() - {"person", "protected_characteristic"} - covered == set()


def test_everything_about_them_and_nothing_about_anyone_else(
    db: Database, config: DepartmentConfig, org: Org, tmp_path: Path
) -> None:
    _full_year(db, config, org)
    with db.write() as s:
        held = subject_access(s, actor=org.actor("hr"), subject_id=org.lm, now=YEAR_END)
    empty = [s.title for s in SECTIONS if not held[s.title]]
    assert empty == [], empty  # every kind of record is represented
    profile = held["profile"]
    assert (profile["line_manager"], profile["countersigning"]) == ("Dg A", "Ps")  # named
    assert profile["protected_characteristics"] == {"sex": "Male"}  # theirs, and only theirs
    text = json.dumps(held)
    leaks = [k for k, v in held.items() if SECRET in json.dumps(v)]
    assert leaks == [], leaks
    assert SECRET not in text  # another person's notes, and the reason about them
    [nominated] = held["Awards you nominated"]
    assert nominated["nominee"] == "another person" and "reason" not in nominated
    revised = [r for r in held["Objective revisions"] if r["what"] == "Ship the bigger plan"]
    assert revised and revised[0]["reason"] == "Scope grew"  # every revision, with why
    assert {m["kind"] for m in held["Messages sent to you"]} >= {"rating_recorded"}
    actions = {a["action"] for a in held["Audit entries about you"]}
    assert {"roster.create", "rating.record", "moderation.record", "rating_review.open"} <= actions
    # Readable by the person: JSON and a workbook with a sheet per kind of record.
    as_json, as_xlsx = write_subject_access(held, tmp_path / "lm")
    assert json.loads(as_json.read_text())["staff_id"] == held["staff_id"]
    book = load_workbook(as_xlsx, read_only=True)
    assert book.sheetnames[0] == "Profile" and len(book.sheetnames) == 1 + len(SECTIONS)
    ratings = list(book["1 Indicative ratings"].iter_rows(values_only=True))
    assert {"What note", "How note", "Recorded by"} <= set(ratings[0])  # headed in words
    assert ("Partially Met", "Slipped") in {
        (r[ratings[0].index("Rating")], r[ratings[0].index("What note")]) for r in ratings[1:]
    }  # a box by its name, the note as written
    book.close()
    with db.read() as s:  # who asked, for whom, when
        asked = s.exec(select(AuditEntry).where(AuditEntry.action == "person.subject_access")).one()
    assert (asked.actor_id, asked.subject_id, asked.via) == (org.hr, org.lm, Via.TEST)


def test_only_hr_answers_a_subject_access_request(db: Database, org: Org) -> None:
    with db.write() as s, pytest.raises(PermissionDenied):
        subject_access(s, actor=org.actor("lm"), subject_id=org.js, now=NOW)
