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


class StartedAt:
    """A clock that starts at a chosen moment and runs on in real time from there
    (``perfbot serve --at``: a training session on the day of a deadline)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start of a virtual clock needs a time zone")
        self.offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset
