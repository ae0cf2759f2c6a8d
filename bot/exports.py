"""The HR workbook as a file for a chat platform to carry (Slack uploads it; Teams offers it
with a file consent card): built once, the same way for both."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from functools import partial
from pathlib import Path

from store.config import DepartmentConfig
from store.db import Database
from store.models import Via
from store.services import Actor
from store.workbook import ExportResult, export_workbook


async def workbook_file(
    db: Database,
    config: DepartmentConfig,
    *,
    person_id: int,
    via: Via,
    now: datetime,
    year: int,
    label: str,
) -> tuple[str, bytes, str]:
    """Build the HR workbook in a worker thread (it takes seconds): its file name, its bytes,
    and a line saying what it holds. The export checks that the person is HR (a
    ``PerfbotError`` otherwise) and audits who took it."""
    name = f"perfbot-{label}.xlsx"
    with tempfile.TemporaryDirectory(prefix="perfbot-export-") as folder:
        path = Path(folder) / name
        result: ExportResult = await asyncio.get_running_loop().run_in_executor(
            None,
            partial(
                export_workbook, db, config, path,
                actor=Actor(person_id, via), now=now, year=year,
            ),
        )  # fmt: skip
        data = path.read_bytes()
    summary = (
        f"The HR workbook for {label}: {result.people} people, "
        f"{len(result.moderation_sheets)} moderation packs. It holds personal data: keep it in "
        "your department's secure storage."
    )
    return name, data, summary
