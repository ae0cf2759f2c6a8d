"""A department's whole year, recorded through the store's services, for the HR workbook
tests: four business units, ratings, write-ups, gates, moderation, awards and protected
characteristics with small groups."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from store.config import DepartmentConfig
from store.db import Database
from store.framework import MinimumStandard, Rating
from store.models import Via
from store.roster import import_roster
from store.services import (
    Actor,
    add_evidence,
    agree_write_up,
    decide_award,
    nominate_award,
    record_cst_decision,
    record_finance_outcome,
    record_indicative_rating,
    record_manager_assessment,
    record_minimum_standards,
    record_moderated_rating,
)
from tests.conftest import write_csv

YEAR = 2026
LOADED = datetime(2026, 3, 20, 9, tzinfo=UTC)
LATE = datetime(2027, 3, 25, 10, tzinfo=UTC)  # end of the year: every quarter is open
EXPORTED = datetime(2027, 4, 10, 9, tzinfo=UTC)  # after the year: the workbook for moderation
UNITS = ("Policy", "Delivery", "Digital", "Corporate Services")
ETHNICITY = (
    ["White"] * 30 + ["Asian"] * 8 + ["Black"] * 3 + ["Mixed"] * 2 + ["Prefer not to say"] * 9
)
BOX_WEIGHTS = {
    Rating.EXCEEDING: 1,
    Rating.HIGH_PERFORMING: 3,
    Rating.ACHIEVING: 7,
    Rating.PARTIALLY_MET: 1,
}


@dataclass
class HRYear:
    ids: dict[str, int]  # email -> person id
    staff: dict[str, str]  # email -> staff id
    hr: Actor
    dg: Actor
    managers: dict[str, int]  # unit -> manager id


def _row(n: int, email: str, grade: str, unit: str, lm: str, dg: str, **extra: str) -> dict:
    return {
        "staff_id": f"H{n:04d}",
        "name": email.split("@")[0].replace(".", " ").title(),
        "email": email,
        "grade": grade,
        "business_unit": unit,
        "line_manager_email": lm,
        "countersigning_email": "",
        "dg_email": dg,
        "start_date": "2019-04-01",
        "location": "England",
        "roles": "",
        "poor_performance_measures": "no",
        **extra,
    }


# A scripted year for many people: one branch per kind of record it makes.
def build(  # noqa: C901
    db: Database, tmp_path: Path, config: DepartmentConfig, seed: int = 7
) -> HRYear:
    rnd = random.Random(seed)
    ps, dg, hr = "perm.sec@dept.example", "dee.gee@dept.example", "hilary.hr@dept.example"
    rows = [
        _row(1, ps, "PermSec", "Office", "", ""),
        _row(2, dg, "SCS3", "Group", ps, "", roles="dg"),
        _row(3, hr, "SCS1", "People", dg, dg, roles="hr"),
    ]
    ethnicity = ETHNICITY[:]
    rnd.shuffle(ethnicity)
    n = 4
    for u, unit in enumerate(UNITS):
        manager = f"manager{u}@dept.example"
        rows.append(_row(n, manager, "SCS2", unit, dg, dg))
        n += 1
        for k in range(12):
            extra = {
                "pc_sex": rnd.choice(["Female", "Male"]),
                "pc_ethnicity": ethnicity.pop(),
            }
            if k == 11:
                extra["poor_performance_measures"] = "yes"
            rows.append(_row(n, f"person{u}.{k}@dept.example", "SCS1", unit, manager, dg, **extra))
            n += 1
    # F18: joined the Civil Service after 31 December; and moved in from another department.
    rows[-1]["start_date"] = "2027-01-10"
    rows[-2]["start_date"] = "2027-01-05"
    rows[-2]["civil_service_start"] = "2012-09-01"
    rows[-2]["joined_from_department"] = "Department for Transport"
    path = write_csv(tmp_path / "hr-roster.csv", rows)
    with db.write() as session:
        import_roster(
            session, path=path, actor=Actor.system(Via.IMPORT), now=LOADED, today=LOADED.date()
        )
    import sqlalchemy as sa

    with db.read() as session:
        found = session.execute(sa.text("SELECT email, id, staff_id FROM person")).all()
    ids = {e: i for e, i, _ in found}
    staff = {e: s for e, _, s in found}
    managers = {unit: ids[f"manager{u}@dept.example"] for u, unit in enumerate(UNITS)}
    year = HRYear(ids, staff, Actor(ids[hr], Via.TEST), Actor(ids[dg], Via.TEST), managers)

    boxes, weights = list(BOX_WEIGHTS), list(BOX_WEIGHTS.values())
    kw = {"config": config, "now": LATE, "year": YEAR}
    with db.write() as session:
        for u, unit in enumerate(UNITS):
            lm = Actor(managers[unit], Via.TEST)
            for k in range(12):
                pid = ids[f"person{u}.{k}@dept.example"]
                quarters = 4 if k < 9 else (2 if k < 11 else 0)  # some not yet rated
                for q in range(1, quarters + 1):
                    rating = rnd.choices(boxes, weights)[0]
                    if k == 0 and u == 0:
                        rating = Rating.PARTIALLY_MET  # F10: two consecutive quarters
                    record_indicative_rating(
                        session, actor=lm, subject_id=pid, quarter=q, rating=rating,
                        what_note="Delivered the plan.", how_note="Led well.", **kw,
                    )  # fmt: skip
                for e in range(k % 4):
                    add_evidence(
                        session, actor=Actor(pid, Via.TEST), subject_id=pid,
                        text=f"Evidence {e}", standard=MinimumStandard.DELIVERY, **kw,
                    )  # fmt: skip
                if k >= 9:
                    continue
                recommended = rnd.choices(boxes, weights)[0]
                if k in (1, 2):
                    recommended = Rating.HIGH_PERFORMING
                record_manager_assessment(
                    session, actor=lm, subject_id=pid, stage="end_year", what="What.",
                    how="How.", recommended_rating=recommended, feedback_360=None,
                    bias_acknowledged=True, **kw,
                )  # fmt: skip
                standards = dict.fromkeys(MinimumStandard, True)
                if k == 1 and u < 2:
                    standards[MinimumStandard.CULTURE] = False  # F8
                record_minimum_standards(session, actor=lm, subject_id=pid, results=standards, **kw)
                # F9: a missed finance objective caps High Performing at Achieving.
                record_finance_outcome(session, actor=lm, subject_id=pid, met=k != 2, **kw)
                # F23: the job holder agrees the write-up, so it can go to moderation.
                agree_write_up(
                    session, actor=Actor(pid, Via.TEST), subject_id=pid, stage="end_year", **kw
                )
        for u in (0, 1):
            record_moderated_rating(
                session, actor=year.hr, subject_id=ids[f"person{u}.3@dept.example"],
                rating=Rating.EXCEEDING, reason="Panel: stand-out year.", **kw,
            )  # fmt: skip
        awards = []
        for u, unit in enumerate(UNITS):
            lm = Actor(managers[unit], Via.TEST)
            for k, pounds in ((4, 5000), (4, 4000), (5, 2500), (6, 1000)):
                awards.append(
                    nominate_award(
                        session, actor=lm, nominee_id=ids[f"person{u}.{k}@dept.example"],
                        amount_pence=pounds * 100, reason="Delivered the launch.", **kw,
                    ).id
                )  # fmt: skip
        for i, award_id in enumerate(awards):
            if i % 4 == 3:
                continue  # left pending
            decide_award(
                session, config=config, actor=year.dg, award_id=award_id, approve=i % 4 != 2,
                now=LATE, reason=None if i % 4 != 2 else "Not this time.",
            )  # fmt: skip
        # F15: a year's total reaching the Chief Secretary threshold (£17,500): the last award
        # waits for HR to record the Chief Secretary's answer - recorded in Delivery only.
        for u, unit in enumerate(UNITS[:2]):
            lm = Actor(managers[unit], Via.TEST)
            for pounds in (5000, 5000, 5000, 2500):
                award = nominate_award(
                    session, actor=lm, nominee_id=ids[f"person{u}.7@dept.example"],
                    amount_pence=pounds * 100, reason="Led the spending review bid.", **kw,
                )  # fmt: skip
                decide_award(
                    session, config=config, actor=year.dg, award_id=award.id, approve=True,
                    now=LATE,
                )  # fmt: skip
            if u == 1:
                record_cst_decision(
                    session, actor=year.hr, award_id=award.id, approved=True,
                    reference="CST-2027-041", now=LATE,
                )  # fmt: skip
    return year
