"""Fixtures for the HR workbook tests: a recorded year (tests/store/hr_year.py) and its
workbook, exported by HR."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.config import DepartmentConfig
from store.db import Database
from store.workbook import export_workbook
from tests.store.hr_year import EXPORTED, YEAR, HRYear, build


@pytest.fixture
def year(db: Database, tmp_path: Path, config: DepartmentConfig) -> HRYear:
    return build(db, tmp_path, config)


@pytest.fixture
def workbook(db: Database, year: HRYear, config: DepartmentConfig, tmp_path: Path) -> Path:
    path = tmp_path / "hr.xlsx"
    export_workbook(db, config, path, actor=year.hr, now=EXPORTED, year=YEAR)
    return path
