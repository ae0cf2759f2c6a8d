"""Time is injected: code asks a clock for ``now``, and tests or ``perfbot simulate`` move it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, timezone-aware (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)
