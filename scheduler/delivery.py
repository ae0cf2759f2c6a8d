"""Outbox delivery: claim due nudges with a lease, send them within the platforms' rate limits,
retry what can be retried, dead-letter what cannot, and never send a nudge whose task is done.

Delivery is at-least-once: a nudge is marked sent only after the platform accepted it, so a
crash can repeat only messages in flight (sent, result not yet written); a crashed worker's
claims come back when their lease expires. The scheduler knows platforms only through the
``Messenger`` protocol below; ``bot/`` implements it for Slack and Teams.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from scheduler.nudges import Nudge, NudgeContext, compose, is_done
from scheduler.nudges.base import EDITS, Kind, relation
from scheduler.nudges.digest import LISTED, lists
from store.clock import Clock, SystemClock
from store.config import DepartmentConfig
from store.db import Database
from store.metrics import DELIVERED
from store.models import ChatIdentity, Outbox, OutboxStatus, Person, Preference
from store.notices import OUTBOX
from store.worktime import WorkingTime

logger = logging.getLogger(__name__)


# --- what a platform adapter implements ---------------------------------------------------------
class DeliveryError(Exception):
    """A send failed; ``reason`` is kept on the outbox row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(DeliveryError):
    """The platform said 429; try again after ``retry_after`` seconds (Retry-After)."""

    def __init__(self, retry_after: float, reason: str = "rate limited") -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TransientError(DeliveryError):
    """5xx, a timeout or a dropped connection: retried with backoff."""


class PermanentError(DeliveryError):
    """The platform refused for good (e.g. the user is deactivated): dead-lettered now."""


@dataclass(frozen=True)
class Address:
    platform: str  # "slack" | "teams" | any name a Messenger answers to
    user_id: str
    workspace_id: str | None = None
    conversation_ref: dict[str, Any] | None = None


class Messenger(Protocol):
    """Sends one nudge to one person; returns the platform's message reference."""

    platform: str

    async def send(self, address: Address, nudge: Nudge) -> str: ...


async def sent_or_edited(channel: Messenger, item: Claimed) -> str:
    """Send the nudge, or edit the message it replaces (a messenger's optional ``edit``)."""
    if item.edits is None:
        return await channel.send(item.address, item.nudge)
    edit = getattr(channel, "edit", None)
    if edit is None:
        raise PermanentError(f"{item.address.platform} messages cannot be edited here")
    await edit(item.address, item.edits, item.nudge)
    return item.edits


async def prepared(channel: Messenger, address: Address) -> None:
    """Let a messenger do its per-person set-up (Slack: open the DM) before a send slot is
    taken, so the slot paces only the message itself. Optional: ``prepare(address)``."""
    prepare = getattr(channel, "prepare", None)
    if prepare is not None:
        await prepare(address)


# --- rate limits ---------------------------------------------------------------------------
class RateLimiter:
    """A token bucket in GCRA form: each caller reserves the next free slot, so concurrent
    senders are paced exactly, in order, with up to ``burst`` sent at once."""

    def __init__(self, per_second: float, burst: int = 1) -> None:
        self.interval = 1.0 / per_second
        self.tolerance = (burst - 1) * self.interval
        self.tat = 0.0  # theoretical arrival time of the next request
        self.blocked_until = 0.0

    def earliest(self, at: float) -> float:
        return max(at, self.tat - self.tolerance, self.blocked_until)

    def commit(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval

    def pause(self, until: float) -> None:
        self.blocked_until = max(self.blocked_until, until)

    def not_before(self, at: float) -> None:
        """The next request goes no earlier than ``at`` (counted from when one really ended)."""
        self.tat = max(self.tat, at)


class Limits:
    """Per-conversation and per-workspace pacing, so that the platform never has to refuse.

    A conversation sends one message at a time, and the next no sooner than a full interval
    after the platform answered the last (by then it has certainly counted it). Workspace
    slots are reserved in order, only by a sender about to send (so a conversation waiting
    its turn never holds workspace capacity), and checked again at the real moment of
    sending: a stall that wakes several senders together does not become a burst. Three
    quarters of the platform's burst are kept in hand for the jitter between sending and
    arriving (the benchmark drew 429s with half).
    """

    def __init__(
        self,
        per_conversation: float,
        per_workspace: float,
        burst: int,
        *,
        platforms: Mapping[str, tuple[float, float, int]] | None = None,
    ) -> None:
        """The rates given apply to every platform but those ``platforms`` names with their
        own (per conversation, per workspace, burst)."""
        self.rates = dict(platforms or {})
        self.default = (per_conversation, per_workspace, burst)
        self.conversations: dict[tuple[str, str], RateLimiter] = {}
        self.turns: dict[tuple[str, str], asyncio.Lock] = {}
        self.workspaces: dict[tuple[str, str | None], RateLimiter] = {}
        self.released: dict[tuple[str, str | None], RateLimiter] = {}
        self.releasing: defaultdict[tuple[str, str | None], asyncio.Lock] = defaultdict(
            asyncio.Lock
        )

    def _conversation(self, address: Address) -> RateLimiter:
        key = (address.platform, address.user_id)
        if key not in self.conversations:
            self.conversations[key] = RateLimiter(self._rates(address.platform)[0])
        return self.conversations[key]

    def _rates(self, platform: str) -> tuple[float, float, int]:
        return self.rates.get(platform, self.default)

    def _workspace(self, address: Address) -> tuple[RateLimiter, RateLimiter]:
        key = (address.platform, address.workspace_id)
        if key not in self.workspaces:
            _, per_workspace, burst = self._rates(address.platform)
            burst = max(1, burst // 4)
            self.workspaces[key] = RateLimiter(per_workspace, burst)
            self.released[key] = RateLimiter(per_workspace, burst)
        return self.workspaces[key], self.released[key]

    def turn(self, address: Address) -> asyncio.Lock:
        """Held from waiting for a conversation's slot until the platform has answered."""
        return self.turns.setdefault((address.platform, address.user_id), asyncio.Lock())

    async def ready(self, address: Address) -> None:
        """Wait until this conversation may send again."""
        conv = self._conversation(address)
        while (wait := conv.earliest(time.monotonic()) - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    async def slot(self, address: Address) -> None:
        """Take the workspace's next slot and wait for it; then, at the real moment of
        sending, hold back anything a stall has bunched up."""
        reserved, released = self._workspace(address)
        now = time.monotonic()
        at = reserved.earliest(now)
        reserved.commit(at)
        if at > now:
            await asyncio.sleep(at - now)
        # One sender at a time, in order: woken together after a stall, the others wait on
        # the lock, not on timers of their own that would all wake for each one sent.
        async with self.releasing[(address.platform, address.workspace_id)]:
            while (wait := released.earliest(time.monotonic()) - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            released.commit(time.monotonic())

    def answered(self, address: Address) -> None:
        """The platform has answered a message to this conversation: the next one waits a
        full interval from now."""
        conv = self._conversation(address)
        conv.not_before(time.monotonic() + conv.interval)

    def pause_workspace(self, address: Address, seconds: float) -> None:
        until = time.monotonic() + seconds
        for limiter in self._workspace(address):
            limiter.pause(until)


def _update_rows(session: Session, changes: list[tuple[int, dict[str, Any]]]) -> None:
    """Write each outbox row's new values: one UPDATE for all the rows that set the same
    columns (executemany). Built per row through the ORM, this took a millisecond of CPU a
    row - in a thread beside the sending loop, whose pacing it delayed."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for outbox_id, values in changes:
        row = {f"new_{name}": value for name, value in values.items()}
        by_columns[tuple(sorted(values))].append({"outbox_id": outbox_id, **row})
    connection = session.connection()
    for columns, rows in by_columns.items():
        connection.execute(_result_update(columns), rows)


@lru_cache(maxsize=32)
def _result_update(columns: tuple[str, ...]) -> sa.Update:
    """UPDATE outbox SET the given columns WHERE id = :outbox_id, values bound per row."""
    return (
        sa.update(OUTBOX)
        .where(OUTBOX.c.id == sa.bindparam("outbox_id"))
        .values({c: sa.bindparam(f"new_{c}", type_=OUTBOX.c[c].type) for c in columns})
    )


# --- claiming ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claimed:
    outbox_id: int
    address: Address
    nudge: Nudge
    edits: str | None = None  # the platform's reference of a sent message this one replaces


@dataclass
class DeliveryReport:
    claimed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


class Deliverer:
    """Claims due nudges and sends them through the messengers, one batch at a time."""

    def __init__(
        self,
        db: Database,
        config: DepartmentConfig,
        messengers: Mapping[str, Messenger],
        *,
        clock: Clock | None = None,
        owner: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db, self.config, self.messengers = db, config, dict(messengers)
        self.clock = clock or SystemClock()
        self.owner = owner or f"worker-{uuid.uuid4().hex[:8]}"
        self.rng = rng or random.Random()
        self.work = WorkingTime(config)
        d = config.delivery
        self.limits = Limits(
            d.per_conversation_per_second,
            d.per_workspace_per_second,
            d.workspace_burst,
            platforms={
                name: (p.per_conversation_per_second, p.per_workspace_per_second, p.workspace_burst)
                for name, p in d.pacing().items()
            },
        )

    def claim(self, session: Session, now: datetime) -> tuple[list[Claimed], Counter[str]]:
        """Claim a batch of due nudges (in the caller's write transaction).

        The batch is read as plain rows and its changes written with one UPDATE per kind of
        change (executemany): as ORM objects, a batch of 2,500 took a third of a second of
        CPU, and left the collector twice as much to walk while the batch was being sent."""
        d = self.config.delivery
        skipped: Counter[str] = Counter()
        claimed: list[Claimed] = []
        steps: dict[int, str] = {}
        due = (
            sa.select(OUTBOX)
            .where(
                OUTBOX.c.status == OutboxStatus.PENDING,
                OUTBOX.c.due_at <= now,
                sa.or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now),
                sa.or_(OUTBOX.c.lease_until.is_(None), OUTBOX.c.lease_until < now),
            )
            .order_by(OUTBOX.c.due_at, OUTBOX.c.recipient_id, OUTBOX.c.id)
            .limit(d.batch_size)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)  # replicas never claim the same row
        rows = session.execute(due).all()
        if not rows:
            return [], skipped
        recipients = {r.recipient_id for r in rows}
        people_ids = recipients | {r.subject_id for r in rows if r.subject_id}
        people = {
            p.id: p
            for p in session.exec(select(Person).where(col(Person.id).in_(people_ids))).all()
        }
        identities: dict[int, ChatIdentity] = {}
        order = list(self.messengers)
        for ident in session.exec(
            select(ChatIdentity).where(
                col(ChatIdentity.person_id).in_(recipients),
                col(ChatIdentity.platform).in_(order),
            )
        ).all():
            current = identities.get(ident.person_id)
            if current is None or order.index(ident.platform) < order.index(current.platform):
                identities[ident.person_id] = ident
        chosen = {
            p.person_id: p
            for p in session.exec(
                select(Preference).where(col(Preference.person_id).in_(recipients))
            ).all()
        }
        local = now.astimezone(self.work.zone)
        listed_today = self._listed_today(session, rows, local)
        changes: list[tuple[int, dict[str, Any]]] = []

        def change(row: sa.Row[Any], **values: Any) -> None:
            changes.append((row.id, values))

        def cancel(row: sa.Row[Any], why: str) -> None:
            change(row, status=OutboxStatus.CANCELLED, last_error=why)
            skipped["cancelled"] += 1
            DELIVERED.labels(row.kind, "cancelled").inc()

        lease = now + timedelta(seconds=d.lease_seconds)
        for row in rows:
            recipient = people[row.recipient_id]
            choice = chosen.get(row.recipient_id)
            if recipient.left_on is not None:
                cancel(row, "recipient has left")
            elif choice and not choice.evidence_prompts and row.kind == Kind.EVIDENCE.value:
                cancel(row, "muted by the recipient")
            elif (
                choice is not None
                and choice.list_at is not None
                and row.kind in LISTED
                and local.time() < choice.list_at
            ):  # their day's list comes at the hour they chose
                at = datetime.combine(local.date(), choice.list_at, tzinfo=self.work.zone)
                change(row, due_at=at)
                skipped["deferred"] += 1
            elif is_done(session, cast(Outbox, row), self.config):
                cancel(row, "task already done")
            elif row.kind in LISTED and row.due_at > listed_today.get(row.recipient_id, now):
                # Their list has gone today; what came due since (a plan asked for after a
                # rating this afternoon) heads the next. What was due before it went and
                # missed it (claimed in the next batch) still goes now.
                day = self.work.add_working_days(local.date(), 1, recipient.location)
                hour = choice.list_at if choice and choice.list_at else self.work.start
                change(row, due_at=datetime.combine(day, hour, tzinfo=self.work.zone))
                skipped["deferred"] += 1
            elif row.kind not in EDITS and not self.work.in_working_hours(now, recipient.location):
                # Weekend, bank holiday in their nation, or outside working hours: wait.
                change(row, due_at=self.work.next_slot(now, recipient.location))
                skipped["deferred"] += 1
            elif row.recipient_id not in identities:
                change(
                    row,
                    status=OutboxStatus.UNDELIVERABLE,
                    last_error="no Slack or Teams identity for this person",
                )
                skipped["undeliverable"] += 1
                DELIVERED.labels(row.kind, "undeliverable").inc()
            else:
                ident = identities[row.recipient_id]
                change(row, lease_owner=self.owner, lease_until=lease)
                subject = people.get(row.subject_id) if row.subject_id else None
                ctx = NudgeContext(
                    row.id,
                    row.kind,
                    row.step,
                    row.milestone,
                    row.year,
                    row.subject_id,
                    subject.name if subject else None,
                    row.payload,
                    row.recipient_id == row.subject_id,
                    (subject or recipient).location,
                    relation(recipient, subject),
                )
                claimed.append(
                    Claimed(
                        row.id,
                        Address(
                            ident.platform,
                            ident.external_id,
                            ident.workspace_id,
                            ident.conversation_ref,
                        ),
                        compose(self.config, ctx),
                        str((row.payload or {}).get("ref")) if row.kind in EDITS else None,
                    )
                )
                steps[row.id] = row.step
        _update_rows(session, changes)
        return self._listed(claimed, steps), skipped

    def _listed_today(
        self, session: Session, rows: Sequence[sa.Row[Any]], local: datetime
    ) -> dict[int, datetime]:
        """When today's scheduled reminder (alone or in a list) went to each person in the
        batch with one due: a person's scheduled reminders come once a working day."""
        due = {r.recipient_id for r in rows if r.kind in LISTED}
        if not due:
            return {}
        midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=self.work.zone)
        latest = (
            sa.select(OUTBOX.c.recipient_id, sa.func.max(OUTBOX.c.sent_at))
            .where(
                OUTBOX.c.recipient_id.in_(due),
                OUTBOX.c.kind.in_(LISTED),
                OUTBOX.c.status == OutboxStatus.SENT,
                OUTBOX.c.sent_at >= midnight,
            )
            .group_by(OUTBOX.c.recipient_id)
        )
        return dict(session.execute(latest).all())

    @staticmethod
    def _listed(claimed: list[Claimed], steps: dict[int, str]) -> list[Claimed]:
        """Several scheduled reminders due for one person together become one to-do list."""
        by_person: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
        alone: list[Claimed] = []
        for item in claimed:
            if item.nudge.kind in LISTED:
                by_person[(item.address.platform, item.address.user_id)].append(item)
            else:
                alone.append(item)
        for items in by_person.values():
            if len(items) == 1:
                alone.append(items[0])
                continue
            parts = [(steps[i.outbox_id], i.nudge) for i in items]
            alone += [Claimed(one.outbox_id, items[0].address, one) for one in lists(parts)]
        return alone

    @staticmethod
    def _record(session: Session, results: list[tuple[int, str, dict[str, Any]]]) -> None:
        """Write send results (in one short transaction)."""
        _update_rows(session, [(outbox_id, values) for outbox_id, _outcome, values in results])

    def _backoff(self, attempts: int) -> float:
        d = self.config.delivery
        ceiling = float(min(d.backoff_max_seconds, d.backoff_base_seconds * 2 ** (attempts - 1)))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)  # exponential, with jitter

    async def _send_one(
        self, item: Claimed, attempts_before: int, gate: asyncio.Semaphore
    ) -> tuple[int, str, dict[str, Any]]:
        channel = self.messengers[item.address.platform]
        d = self.config.delivery
        released = {"lease_owner": None, "lease_until": None}
        while True:
            try:
                async with self.limits.turn(item.address):
                    await prepared(channel, item.address)
                    await self.limits.ready(item.address)  # waiting its turn holds no slot
                    async with gate:
                        await self.limits.slot(item.address)
                        try:
                            ref = await sent_or_edited(channel, item)
                        finally:
                            self.limits.answered(item.address)
            except RateLimited as exc:
                # Honour Retry-After for the whole workspace; retry here if it is short.
                self.limits.pause_workspace(item.address, exc.retry_after)
                if exc.retry_after <= d.lease_seconds / 4:
                    await asyncio.sleep(exc.retry_after)
                    continue
                when = self.clock.now() + timedelta(seconds=exc.retry_after)
                return (
                    item.outbox_id,
                    "rate_limited",
                    released | {"next_attempt_at": when, "last_error": f"429: {exc.reason}"},
                )
            except TransientError as exc:
                attempts = attempts_before + 1
                if attempts >= d.max_attempts:
                    return (
                        item.outbox_id,
                        "dead",
                        released
                        | {
                            "status": OutboxStatus.DEAD,
                            "attempts": attempts,
                            "last_error": f"gave up after {attempts} tries: {exc.reason}",
                        },
                    )
                when = self.clock.now() + timedelta(seconds=self._backoff(attempts))
                return (
                    item.outbox_id,
                    "retry",
                    released
                    | {"attempts": attempts, "next_attempt_at": when, "last_error": exc.reason},
                )
            except PermanentError as exc:
                return (
                    item.outbox_id,
                    "dead",
                    released
                    | {
                        "status": OutboxStatus.DEAD,
                        "attempts": attempts_before + 1,
                        "last_error": exc.reason,
                    },
                )
            except Exception as exc:  # a bug in a channel must not stop delivery for everyone
                logger.exception(
                    "channel %s failed outbox=%s", item.address.platform, item.outbox_id
                )
                attempts = attempts_before + 1
                final = attempts >= d.max_attempts
                return (
                    item.outbox_id,
                    "dead" if final else "retry",
                    released
                    | {
                        "attempts": attempts,
                        "last_error": f"{type(exc).__name__}: {exc}"[:500],
                        **(
                            {"status": OutboxStatus.DEAD}
                            if final
                            else {
                                "next_attempt_at": self.clock.now()
                                + timedelta(seconds=self._backoff(attempts))
                            }
                        ),
                    },
                )
            return (
                item.outbox_id,
                "sent",
                released
                | {
                    "status": OutboxStatus.SENT,
                    "sent_at": self.clock.now(),
                    "message_ref": ref,
                    "last_error": None,
                },
            )

    async def _claim(self) -> tuple[list[Claimed], Counter[str]]:
        now = self.clock.now()
        # Store calls are batch work: in a worker thread, so the event loop never waits.
        return await self.db.call(lambda s: self.claim(s, now), write=True, short=False)

    async def run_once(self) -> DeliveryReport:
        """Claim one batch and send it; results are written in small batches as they come."""
        return await self._send(*await self._claim())

    async def _send(
        self,
        claimed: list[Claimed],
        skipped: Counter[str],
        halfway: asyncio.Event | None = None,
    ) -> DeliveryReport:
        """Send a claimed batch; ``halfway`` is set when half of it has been answered."""
        report = DeliveryReport(claimed=len(claimed), outcomes=skipped)
        if not claimed:
            return report
        left = len(claimed)
        ids = [c.outbox_id for c in claimed]
        attempts = await self.db.call(lambda s: self._attempts(s, ids), short=False)
        gate = asyncio.Semaphore(self.config.delivery.concurrency)
        pending: list[tuple[int, str, dict[str, Any]]] = []
        flush_lock = asyncio.Lock()

        async def flush() -> None:
            async with flush_lock:
                batch, pending[:] = pending[:], []
                if batch:
                    await self.db.call(lambda s: self._record(s, batch), write=True, short=False)

        async def one(item: Claimed) -> None:
            nonlocal left
            result = await self._send_one(item, attempts.get(item.outbox_id, 0), gate)
            left -= 1
            if halfway is not None and left <= len(claimed) // 2:
                halfway.set()
            report.outcomes[result[1]] += 1
            DELIVERED.labels(item.nudge.kind, result[1]).inc(len(item.nudge.outbox_ids) or 1)
            pending.append(result)
            for other in item.nudge.outbox_ids[1:]:  # a to-do list: every row it stands for
                pending.append((other, result[1], result[2]))
            if len(pending) >= 50:
                await flush()

        # One task a conversation, sending its messages in the order claimed (they go one at
        # a time anyway): a task a message kept five times the objects alive for the
        # collector to walk while the batch was sent.
        by_conversation: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
        for item in claimed:
            by_conversation[(item.address.platform, item.address.user_id)].append(item)

        async def conversation(items: list[Claimed]) -> None:
            for item in items:
                await one(item)

        await asyncio.gather(*map(conversation, by_conversation.values()))
        await flush()
        return report

    @staticmethod
    def _attempts(session: Session, ids: list[int]) -> dict[int, int]:
        return dict(
            session.execute(
                sa.select(Outbox.id, Outbox.attempts).where(  # type: ignore[call-overload]
                    col(Outbox.id).in_(ids)
                )
            ).all()
        )

    async def run_until_idle(self, max_batches: int = 1000) -> DeliveryReport:
        """Send everything due now, batch after batch; stops when a claim finds nothing.

        The next batch is claimed once half of the one before has been answered, and starts
        as soon as it is ready: the pacer then always has messages waiting, instead of the
        workspace standing idle while a batch is composed (a tenth of the time, measured).
        Each conversation's messages still go one at a time, in the order claimed."""
        total = DeliveryReport()
        sends: list[asyncio.Task[DeliveryReport]] = []
        try:
            for _ in range(max_batches):
                claimed, skipped = await self._claim()
                if not claimed:
                    total.outcomes.update(skipped)
                    break
                halfway = asyncio.Event()
                sends.append(asyncio.create_task(self._send(claimed, skipped, halfway)))
                waiter = asyncio.create_task(halfway.wait())
                await asyncio.wait((sends[-1], waiter), return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
            reports = await asyncio.gather(*sends)
        except asyncio.CancelledError:
            for send in sends:  # stopping: the batches in flight stop with it
                send.cancel()
            raise
        except Exception:
            # A claim failed: the batches in flight finish and record what they sent first -
            # cancelled, a message sent but not recorded would go again when its lease ends.
            await asyncio.gather(*sends, return_exceptions=True)
            raise
        for report in reports:
            total.claimed += report.claimed
            total.outcomes.update(report.outcomes)
        return total
