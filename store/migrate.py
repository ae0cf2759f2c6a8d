"""Schema migrations (Alembic) run from code: ``perfbot db upgrade`` and start-up call these."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def reset(db: Database) -> None:
    """Empty the database whole - every table, the audit log with it - and build the schema
    afresh. Only for a database that holds nothing real (replacing the demo department)."""
    with db.engine.begin() as conn:
        tables = sa.MetaData()
        tables.reflect(conn)
        tables.drop_all(conn)  # referencing tables first; the version table with them
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE")
    upgrade(db)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()
