"""A channel that records what it would have sent: for tests, the demo and ``perfbot simulate``."""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.delivery import Address
from scheduler.nudges import Nudge


@dataclass
class RecordingMessenger:
    platform: str = "slack"
    sent: list[tuple[Address, Nudge]] = field(default_factory=list)

    edited: list[tuple[Address, str, Nudge]] = field(default_factory=list)

    async def send(self, address: Address, nudge: Nudge) -> str:
        self.sent.append((address, nudge))
        return f"recorded-{len(self.sent)}"

    async def edit(self, address: Address, ref: str, nudge: Nudge) -> None:
        """An earlier message changed in place: recorded, but not a new message."""
        self.edited.append((address, ref, nudge))
