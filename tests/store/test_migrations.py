"""Migrations from an empty database on SQLite and PostgreSQL, equal to the models."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from store import migrate
from store.db import Database
from store.models import AuditEntry, Via


def _check_fresh_migration(db: Database) -> None:
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    migrate.upgrade(db)  # idempotent
    assert migrate.is_current(db)
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == [], f"models and migrations differ: {diff}"


def test_sqlite_migrates_from_empty(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    _check_fresh_migration(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.postgres
def test_postgres_migrates_from_empty(postgres_url: str) -> None:
    _in_a_schema_of_its_own(postgres_url, "fresh_migration", _check_fresh_migration)


def _in_a_schema_of_its_own(url: str, schema: str, check: Any) -> None:
    """Run ``check(db)`` in a PostgreSQL schema of its own, so the shared test database stays
    as other tests expect it."""
    admin = Database(url)
    with admin.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    admin.dispose()
    db = Database(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        check(db)
    finally:
        db.dispose()
        with Database(url).engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def test_audit_log_is_append_only(db: Database) -> None:
    with db.write() as session:
        session.add(AuditEntry(at=datetime.now(UTC), via=Via.TEST, action="x", entity="y"))
    for statement in ("UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db.write() as session:
                session.execute(sa.text(statement))
    with db.read() as session:
        assert session.execute(sa.text("SELECT action FROM audit_log")).scalars().all() == ["x"]


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        with db.write() as session:
            session.add(
                AuditEntry(
                    at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point
                    via=Via.TEST,
                    action="x",
                    entity="y",
                )
            )
            session.flush()


def _reset_keeps_the_rules(db: Database) -> None:
    """Replacing the demo empties everything - the audit log too - and the schema that comes
    back has its rules: the audit log is append-only again."""
    migrate.upgrade(db)
    with db.write() as session:
        session.add(AuditEntry(at=datetime.now(UTC), via=Via.TEST, action="demo", entity="y"))
    migrate.reset(db)
    assert migrate.is_current(db)
    with db.read() as session:
        assert session.execute(sa.text("SELECT count(*) FROM audit_log")).scalar() == 0
    with db.write() as session:
        session.add(AuditEntry(at=datetime.now(UTC), via=Via.TEST, action="real", entity="y"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with db.write() as session:
            session.execute(sa.text("DELETE FROM audit_log"))


def test_sqlite_reset_empties_and_rebuilds(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        _reset_keeps_the_rules(db)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgres_reset_empties_and_rebuilds(postgres_url: str) -> None:
    _in_a_schema_of_its_own(postgres_url, "demo_reset", _reset_keeps_the_rules)


def _countersign_asks_take_their_own_kind(db: Database) -> None:
    """Asks to countersign planned before 0017 take the new kind (so the planner does not ask
    again under it); the job holder's asks and the comment news keep theirs."""
    migrate.upgrade(db, "0016")
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO person (id, staff_id, name, email, grade, business_unit, location,"
                " poor_performance_measures, start_date, is_dg, is_hr, created_at, updated_at)"
                " VALUES (1, 'S1', 'A', 'a@x.gov.uk', 'SCS1', 'Unit', 'england', false,"
                " '2020-01-01', false, false, :now, :now)"
            ),
            {"now": now},
        )
        for step in ("agree_1", "commented_2", "countersign_1"):
            conn.execute(sa.text("INSERT INTO outbox (recipient_id, kind, subject_key, "
                                 "milestone, step, year, due_at, status, attempts, created_at) "
                                 "VALUES (1, 'write_up_agreement', 'p:1', 'write_up:mid_year', "
                                 ":step, 2026, :now, 'pending', 0, :now)"),
                         {"step": step, "now": now})  # fmt: skip
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        kinds = dict(conn.execute(sa.text("SELECT step, kind FROM outbox")).all())
    assert kinds == {
        "agree_1": "write_up_agreement",
        "commented_2": "write_up_agreement",
        "countersign_1": "write_up_countersign",
    }


def test_sqlite_countersign_asks_take_their_own_kind(tmp_path: Path) -> None:
    _countersign_asks_take_their_own_kind(Database(f"sqlite:///{tmp_path / 'old.db'}"))


@pytest.mark.postgres
def test_postgres_countersign_asks_take_their_own_kind(postgres_url: str) -> None:
    _in_a_schema_of_its_own(postgres_url, "countersign_kind", _countersign_asks_take_their_own_kind)
