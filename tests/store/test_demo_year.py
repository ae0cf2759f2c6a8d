"""The demo department's record: last year complete and this year up to today, made through
the services, so a first export, home and nudge show real content."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import col, func, select

from scheduler.planner import plan
from store.config import DepartmentConfig
from store.db import Database
from store.demo import write_demo_roster
from store.demo_year import record_demo_years
from store.framework import Rating
from store.models import (
    AuditEntry,
    Award,
    AwardStatus,
    DevelopmentPlan,
    IndicativeRating,
    Outbox,
    OutboxStatus,
    Person,
    Via,
)
from store.roster import import_roster
from store.services import Actor
from store.workbook import export_workbook
from tests.store.test_export import _cells, _chart_series, sheet_rows

TODAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday, mid-way through 2026-27


@pytest.fixture
def demo(db: Database, config: DepartmentConfig, tmp_path: Path) -> Database:
    with db.write() as session:
        import_roster(
            session, path=write_demo_roster(tmp_path / "demo.csv"), actor=Actor.system(Via.CLI),
            now=TODAY, today=TODAY.date(),
        )  # fmt: skip
        made = record_demo_years(session, config, now=TODAY)
    assert made.years == [2025, 2026] and made.plans == 1
    return db


def test_last_years_workbook_has_final_ratings_and_charts_with_data(
    demo: Database, config: DepartmentConfig, tmp_path: Path
) -> None:
    with demo.read() as session:
        hr = session.exec(select(Person.id).where(col(Person.is_hr))).first()
    path = tmp_path / "demo.xlsx"
    result = export_workbook(demo, config, path, actor=Actor(hr, Via.CLI), now=TODAY, year=2025)
    assert result.people == 57 and result.moderation_sheets
    finals = [r["Final rating"] for r in sheet_rows(path, "Ratings")]
    boxes = {r.label for r in Rating}
    assert sum(1 for f in finals if f in boxes) >= 50  # nearly everyone has a final rating
    assert {"Achieving", "High Performing"} <= set(finals)
    quarters = [r["Q1"] for r in sheet_rows(path, "Ratings")]
    assert sum(1 for q in quarters if q in boxes) >= 50
    wb = load_workbook(path)
    summary = wb["Summary"]["A1"].value
    assert summary.startswith("DEMO - fictional people")  # never mistaken for a real record
    printed = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert all("DEMO" in ws.oddHeader.center.text for ws in printed)  # on every page
    ws = wb["Distribution"]
    series = _chart_series(path)
    assert len(series) == 2 + 4
    for one in series:
        values = [v for v in _cells(ws, one["val"]) if v is not None]
        assert values and any(v > 0 for v in values), one  # drawn from rows with data
    share = series[0]
    assert sum(_cells(ws, share["val"])) == pytest.approx(1.0)
    wb.close()


def test_this_year_is_in_progress_with_things_due(demo: Database, config: DepartmentConfig):
    with demo.read() as session:
        quarters = set(
            session.exec(
                select(IndicativeRating.quarter).where(IndicativeRating.year == 2026)
            ).all()
        )
        awards = session.exec(select(Award.status).where(Award.year == 2026)).all()
        plans = session.exec(select(DevelopmentPlan.status)).all()
        audited = session.exec(select(func.count()).select_from(AuditEntry)).one()
        waiting = session.exec(
            select(func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.PENDING)
        ).one()
    assert quarters == {1, 2}  # Q3's conversation is in December
    assert AwardStatus.PENDING in awards and AwardStatus.APPROVED in awards
    assert [str(p) for p in plans] == ["agreed"]  # F10: after two Partially Met quarters
    assert audited > 500  # each entry audited, as made through the services
    assert waiting == 0  # the notices of the past were history, not sent
    with demo.write() as session:
        report = plan(session, config=config, now=TODAY)
    assert report.total > 0  # today's reminders: some people are behind
