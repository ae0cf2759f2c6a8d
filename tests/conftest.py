"""Shared fixtures: databases (SQLite and PostgreSQL), a fixed clock, a small organisation.

PostgreSQL: a throwaway database per test run on PERFBOT_TEST_POSTGRES_URL (default
127.0.0.1:5432, trust auth, database ``test``). Absent, its tests skip with the reason; under
CI=true an absent PostgreSQL is a failure.
"""

from __future__ import annotations

import csv
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from store import migrate
from store.config import DepartmentConfig
from store.db import Database
from store.models import Via
from store.roster import COLUMNS, import_roster
from store.services import Actor

PG_ADMIN_URL = os.environ.get(
    "PERFBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED = Path(__file__).resolve().parents[2] / "shared"

# A Wednesday in Q2 of the 2026-27 performance year, mid-morning in London.
NOW = datetime(2026, 7, 15, 9, 30, tzinfo=UTC)
ROSTER_LOADED = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def _postgres_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means "not available here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped at the end."""
    reason = _postgres_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    import psycopg

    name = f"perfbot_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_db(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    migrate.upgrade(db)
    yield db
    db.dispose()


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "perfbot.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def pg_db(postgres_db: Database) -> Iterator[Database]:
    _truncate_all(postgres_db)
    yield postgres_db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The store on both databases."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
def config() -> DepartmentConfig:
    return DepartmentConfig()


@pytest.fixture
def now() -> datetime:
    return NOW


# --- a small organisation, loaded through the real roster importer --------------------------
ORG = [
    # key, grade, unit, line manager, countersigning, dg, roles, ppm, location
    ("ps", "PermSec", "Office", "", "", "", "", "no", "England"),
    ("dg_a", "SCS3", "Group A", "ps", "", "", "dg", "no", "England"),
    ("dg_b", "SCS3", "Group B", "ps", "", "", "dg", "no", "Scotland"),
    ("lm", "SCS2", "Unit A1", "dg_a", "ps", "dg_a", "", "no", "England"),
    ("js", "SCS1", "Unit A1", "lm", "ps", "dg_a", "", "no", "England"),
    ("peer", "SCS1", "Unit A1", "lm", "dg_a", "dg_a", "", "no", "Wales"),
    ("ppm", "SCS1", "Unit A1", "lm", "dg_a", "dg_a", "", "yes", "England"),
    ("lm_b", "SCS2", "Unit B1", "dg_b", "ps", "dg_b", "", "no", "Scotland"),
    ("hr", "SCS1", "People", "lm_b", "dg_b", "dg_b", "hr", "no", "Northern Ireland"),
    ("other", "SCS1", "Unit B1", "lm_b", "dg_b", "dg_b", "", "no", "Scotland"),
]


def email(key: str) -> str:
    return f"{key.replace('_', '.')}@dept.example"


def org_rows() -> list[dict[str, str]]:
    rows = []
    for n, (key, grade, unit, lm, cs, dg, roles, ppm, loc) in enumerate(ORG, start=1):
        rows.append(
            {
                "staff_id": f"S{n:03d}",
                "name": key.replace("_", " ").title(),
                "email": email(key),
                "grade": grade,
                "business_unit": unit,
                "line_manager_email": email(lm) if lm else "",
                "countersigning_email": email(cs) if cs else "",
                "dg_email": email(dg) if dg else "",
                "start_date": "2020-04-01",
                "location": loc,
                "roles": roles,
                "poor_performance_measures": ppm,
                "pc_sex": "Female" if n % 2 else "Male",
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or (list(COLUMNS) + sorted({k for r in rows for k in r} - set(COLUMNS)))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass(frozen=True)
class Org:
    ids: dict[str, int]

    def __getattr__(self, key: str) -> int:
        try:
            return self.ids[key]
        except KeyError:
            raise AttributeError(key) from None

    def actor(self, key: str, via: Via = Via.TEST) -> Actor:
        return Actor(self.ids[key], via)


@pytest.fixture
def org(db: Database, tmp_path: Path) -> Org:
    return make_org(db, tmp_path)


def make_org(db: Database, tmp_path: Path, rows: list[dict[str, str]] | None = None) -> Org:
    """Load the small organisation (or these rows of it) through the roster importer; its
    ids by key."""
    path = write_csv(tmp_path / "org.csv", org_rows() if rows is None else rows)
    with db.write() as session:  # imported before the 2026-27 year starts
        import_roster(
            session,
            path=path,
            actor=Actor.system(Via.IMPORT),
            now=ROSTER_LOADED,
            today=ROSTER_LOADED.date(),
        )
    with db.read() as session:
        rows = session.execute(sa.text("SELECT email, id FROM person")).all()
    by_email = dict(rows)
    return Org({key: by_email[email(key)] for key, *_ in ORG})


def end_year_ready(
    session: Any,
    config: DepartmentConfig,
    now: datetime,
    *,
    manager: Actor,
    subject_id: int,
    signers: tuple[Actor, ...],
    recommended: str = "Achieving",
    standards: dict[str, bool] | None = None,
    finance_met: bool | None = True,
) -> None:
    """An end-year write-up ready for moderation (F7-F9, F23), through the services: the
    manager's assessment and recommendation, the four minimum standards, the finance outcome
    (unless None), and agreement by each of ``signers``."""
    from store import services as svc
    from store.framework import MinimumStandard

    kw: dict[str, Any] = {"config": config, "now": now, "subject_id": subject_id}
    svc.record_manager_assessment(
        session, actor=manager, stage="end_year", what="What.", how="How.",
        recommended_rating=recommended, feedback_360=False, bias_acknowledged=True, **kw,
    )  # fmt: skip
    results = {s.value: True for s in MinimumStandard} | (standards or {})
    svc.record_minimum_standards(session, actor=manager, results=results, **kw)
    if finance_met is not None:
        svc.record_finance_outcome(session, actor=manager, met=finance_met, **kw)
    for signer in signers:
        svc.agree_write_up(session, actor=signer, stage="end_year", **kw)
