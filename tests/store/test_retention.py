"""Retention and erasure on the virtual clock: records past their period are gone, figures
already reported stay, the removal is audited as counts, and the audit log still refuses
every other change."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from store.config import DepartmentConfig
from store.db import Database
from store.errors import Conflict, PermissionDenied
from store.models import (
    AuditEntry,
    Award,
    ConsistencyRecord,
    Erasure,
    IndicativeRating,
    Outbox,
    Person,
)
from store.retention import ERASED_NAME, OWN, apply_retention, erase_on_request
from store.subject_access import subject_access
from store.workbook import export_workbook
from tests.conftest import Org
from tests.store.test_subject_access import YEAR_END, _full_year

LEFT = date(2027, 6, 30)


def _leave(db: Database, person_id: int, on: date) -> None:
    with db.write() as s:
        person = s.get(Person, person_id)
        assert person is not None
        person.left_on = on


def _count(db: Database, model: type, **where: int) -> int:
    with db.read() as s:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return s.exec(query).one()


def test_a_leaver_is_erased_after_the_retention_period(
    db: Database, config: DepartmentConfig, org: Org, tmp_path: Path
) -> None:
    _full_year(db, config, org)
    kept_at = datetime(2026, 12, 2, 10, tzinfo=UTC)  # after the consistency check date
    export_workbook(db, config, tmp_path / "hr.xlsx", actor=org.actor("hr"), now=kept_at,
                    year=2026)  # fmt: skip
    records = _count(db, ConsistencyRecord)
    assert records > 0  # the mid-year figures, reported and kept
    _leave(db, org.lm, LEFT)
    js_ratings = _count(db, IndicativeRating, person_id=org.js)

    almost = datetime(2033, 6, 29, 12, tzinfo=UTC)  # six years less a day
    with db.write() as s:
        assert apply_retention(s, config, almost).erased == 0
    assert _count(db, IndicativeRating, person_id=org.lm) == 2

    after = datetime(2033, 7, 1, 12, tzinfo=UTC)
    with db.write() as s:
        report = apply_retention(s, config, after)
    assert report.erased == 1
    for model, column in OWN:  # every record about them is gone
        assert _count(db, model, **{column: org.lm}) == 0, model.__tablename__
    assert _count(db, AuditEntry, subject_id=org.lm) == 0
    with db.write() as s:  # what is left of them: a name and an email that say nothing
        lm = s.get(Person, org.lm)
        assert lm is not None and lm.name == ERASED_NAME and "erased" in lm.email
        held = subject_access(s, actor=org.actor("hr"), subject_id=org.lm, now=after)
    assert held["profile"]["protected_characteristics"] == {}
    left = {title: rows for title, rows in held.items() if isinstance(rows, list) and rows}
    # Nothing about them is left; an award they nominated is the nominee's record and stays,
    # its nominator now the anonymous former member of staff.
    assert set(left) == {"Awards you nominated"}, left
    # Figures already reported, and other people's records, are untouched.
    assert _count(db, ConsistencyRecord) == records
    assert _count(db, IndicativeRating, person_id=org.js) == js_ratings
    with db.read() as s:
        [theirs] = s.exec(select(Award).where(Award.nominee_id == org.js)).all()
        erasure = s.exec(select(Erasure)).one()
        logged = s.exec(
            select(AuditEntry).where(AuditEntry.action == "person.erase.retention")
        ).one()
    assert theirs.nominated_by_id == org.lm  # the award to js stays, its nominator erased
    assert erasure.reason == "retention" and erasure.removed["indicative_rating"] == 2
    assert logged.new == {"removed": erasure.removed}  # counts only
    assert "Lm" not in json.dumps(logged.new) and "lm@" not in json.dumps(logged.new)
    # Old messages go too, whoever they were for.
    assert _count(db, Outbox) == 0
    # The audit log still refuses every other change.
    for statement in (
        f"DELETE FROM audit_log WHERE subject_id = {org.js}",
        "UPDATE audit_log SET action = 'changed'",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db.write() as s:
                s.execute(sa.text(statement))


def test_an_erasure_request_is_hrs_and_only_for_a_leaver(
    db: Database, config: DepartmentConfig, org: Org
) -> None:
    now = YEAR_END + timedelta(days=30)
    with db.write() as s, pytest.raises(PermissionDenied):
        erase_on_request(s, actor=org.actor("lm"), subject_id=org.js, now=now, config=config)
    with db.write() as s, pytest.raises(Conflict, match="still works here"):
        erase_on_request(s, actor=org.actor("hr"), subject_id=org.js, now=now, config=config)
    _leave(db, org.js, now.date() - timedelta(days=1))
    with db.write() as s:
        removed = erase_on_request(
            s, actor=org.actor("hr"), subject_id=org.js, now=now, config=config
        )
    assert removed["audit_log"] >= 1  # at least their roster entry
    with db.write() as s, pytest.raises(Conflict, match="already erased"):
        erase_on_request(s, actor=org.actor("hr"), subject_id=org.js, now=now, config=config)
