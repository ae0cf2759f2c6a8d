"""Pacing to the platform's limits before sending, so a 429 is a surprise and not routine
(issue: delivery with no 429s). Behaviour only - the speed is measured in the benchmarks:
these assert orderings and lower bounds the pacer guarantees however slow the machine."""

from __future__ import annotations

import asyncio
import time

from scheduler.delivery import Address, Limits
from store.config import TEAMS_PACING, DepartmentConfig


async def _send_through(
    limits: Limits, address: Address, log: list[tuple[str, float, float]], work: float
) -> None:
    """What delivery does for one message: its conversation's turn, its slot, the send."""
    async with limits.turn(address):
        await limits.ready(address)
        await limits.slot(address)
        started = time.monotonic()
        await asyncio.sleep(work)  # the platform answering
        log.append((address.user_id, started, time.monotonic()))
        limits.answered(address)


def test_a_conversation_sends_one_at_a_time_a_full_interval_after_each_answer() -> None:
    limits = Limits(per_conversation=20.0, per_workspace=1000.0, burst=100)  # 50 ms apart
    ada, ben = Address("slack", "U1", "T1"), Address("slack", "U2", "T1")
    log: list[tuple[str, float, float]] = []

    async def main() -> None:
        await asyncio.gather(
            *(_send_through(limits, who, log, 0.03) for who in (ada, ada, ben, ada, ben))
        )

    asyncio.run(main())
    for user in ("U1", "U2"):
        mine = sorted((start, end) for who, start, end in log if who == user)
        for (_, answered), (next_start, _) in zip(mine, mine[1:], strict=False):
            assert next_start >= answered + 0.05 - 0.001  # never before the answer + interval
    assert len(log) == 5


def test_a_stall_does_not_turn_reserved_slots_into_a_burst() -> None:
    """Senders woken together after the event loop was blocked go no faster than the burst
    perfbot allows itself (a quarter of the platform's), then at the workspace's rate."""
    limits = Limits(per_conversation=1.0, per_workspace=100.0, burst=20)  # 10 ms; burst 5
    released: list[float] = []

    async def one(n: int) -> None:
        await limits.slot(Address("slack", f"U{n}", "T1"))
        released.append(time.monotonic())

    async def main() -> None:
        tasks = [asyncio.ensure_future(one(n)) for n in range(30)]
        await asyncio.sleep(0)  # every sender has reserved its slot
        time.sleep(0.2)  # the loop is blocked past all thirty slots
        await asyncio.gather(*tasks)

    asyncio.run(main())
    released.sort()
    assert len(released) == 30
    # In any stretch, at most the burst at once and then one per 10 ms - also just after
    # the stall, when twenty reserved slots had all come due.
    for i, start in enumerate(released):
        for j in range(i + 1, len(released)):
            assert released[j] - start >= (j - i - 4) * 0.01 - 0.002, (i, j)


def test_each_platform_is_paced_at_its_own_limits() -> None:
    """Teams is sent to at Teams' limits and Slack at Slack's: the same person's chat on
    each platform gets its messages at that platform's interval (issue: Teams at parity,
    pacing per platform)."""
    limits = Limits(
        per_conversation=1000.0, per_workspace=1000.0, burst=100,
        platforms={"slack": (20.0, 1000.0, 100), "teams": (5.0, 1000.0, 100)},
    )  # fmt: skip
    starts: dict[str, list[float]] = {"slack": [], "teams": []}

    async def send(address: Address) -> None:
        async with limits.turn(address):
            await limits.ready(address)
            await limits.slot(address)
            starts[address.platform].append(time.monotonic())
            limits.answered(address)

    async def main() -> None:
        await asyncio.gather(
            *(send(Address(platform, "U1", "T1")) for platform in ["slack", "teams"] * 3)
        )

    began = time.monotonic()
    asyncio.run(main())
    for platform, interval in (("slack", 0.05), ("teams", 0.2)):
        times = sorted(starts[platform])
        assert len(times) == 3
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= interval - 0.002, (platform, gaps)
    # Slack's three were not held back to Teams' pace: all sent before Teams' third.
    assert max(starts["slack"]) < max(starts["teams"]) and max(starts["slack"]) - began < 0.4


def test_the_configuration_paces_teams_by_its_own_section(config: DepartmentConfig) -> None:

    pacing = config.delivery.pacing()
    assert (
        pacing["slack"].per_conversation_per_second == config.delivery.per_conversation_per_second
    )
    assert pacing["teams"] == TEAMS_PACING
    assert pacing["teams"].per_conversation_per_second == 2.0  # inside 60 in 30 seconds
