"""Outbox delivery: working hours, identities, done tasks, retries, 429s, dead letters, snooze."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.slack.messenger import SlackMessenger, outbox_client
from scheduler.delivery import (
    Address,
    Deliverer,
    PermanentError,
    RateLimited,
    TransientError,
)
from scheduler.nudges import Nudge
from scheduler.nudges.digest import LISTED
from scheduler.planner import plan
from scheduler.recording import RecordingMessenger
from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import PermissionDenied
from store.models import Outbox, OutboxStatus
from store.services import snooze
from tests.conftest import Org
from tests.fakes import FakeClock, FakeSlack, Scripted, give_everyone_slack_ids

MONDAY_10 = datetime(2026, 6, 29, 9, 0, tzinfo=UTC)  # 10:00 BST, Q1 before_1 day


def fast(config: DepartmentConfig, **delivery: object) -> DepartmentConfig:
    """The default config with quick retries, so tests don't wait."""
    settings = {
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "per_conversation_per_second": 1000.0,
        "per_workspace_per_second": 1000.0,
        "workspace_burst": 100,
    } | delivery
    return config.model_copy(update={"delivery": config.delivery.model_copy(update=settings)})


def statuses(db: Database) -> dict[str, int]:
    with db.read() as session:
        return dict(
            session.execute(
                sa.select(Outbox.status, sa.func.count()).group_by(  # type: ignore[call-overload]
                    Outbox.status
                )
            ).all()
        )


def plan_now(db: Database, config: DepartmentConfig, now: datetime) -> None:
    with db.write() as session:
        plan(session, config=config, now=now)


def test_sends_once_to_people_with_an_identity_and_records_the_rest(db, org, config) -> None:
    give_everyone_slack_ids(db, MONDAY_10, except_ids=(org.lm_b,))
    plan_now(db, config, MONDAY_10)
    channel = RecordingMessenger()
    deliverer = Deliverer(db, fast(config), {"slack": channel}, clock=FakeClock(MONDAY_10))
    report = asyncio.run(deliverer.run_until_idle())
    assert report.outcomes["sent"] == len(channel.sent) > 0
    # lm_b has no chat identity: their nudges are undeliverable (visible to HR), not retried.
    with db.read() as session:
        undeliverable = session.exec(
            select(Outbox).where(Outbox.status == OutboxStatus.UNDELIVERABLE)
        ).all()
    assert {r.recipient_id for r in undeliverable} == {org.lm_b}
    assert report.outcomes["undeliverable"] == len(undeliverable) == 3  # 2 reports + evidence
    assert undeliverable[0].last_error == "no Slack or Teams identity for this person"
    assert asyncio.run(deliverer.run_until_idle()).claimed == 0  # nothing sent twice
    # The line manager's reminders due together arrive as one list, a line each.
    texts = [line for _a, n in channel.sent for line, _button in n.items]
    assert any(
        "Js's indicative rating after the Q1 conversation is due by Tuesday 30 June" in t
        for t in texts
    )


def test_waits_for_working_hours_in_the_recipients_nation(db, org, config) -> None:
    give_everyone_slack_ids(db, MONDAY_10)
    saturday = datetime(2026, 6, 27, 10, 0, tzinfo=UTC)
    with db.write() as session:
        plan(session, config=config, now=MONDAY_10)
        session.execute(sa.update(Outbox).values(due_at=saturday))
    channel = RecordingMessenger()
    report = asyncio.run(
        Deliverer(db, config, {"slack": channel}, clock=FakeClock(saturday)).run_until_idle()
    )
    assert channel.sent == [] and report.outcomes["deferred"] > 0
    with db.read() as session:
        due = set(session.exec(select(Outbox.due_at)).all())
    assert due == {datetime(2026, 6, 29, 8, 0, tzinfo=UTC)}  # Monday 09:00 BST


def test_never_sent_once_the_task_is_done(db, org, config) -> None:
    give_everyone_slack_ids(db, MONDAY_10)
    plan_now(db, config, MONDAY_10)
    with db.write() as session:
        svc.record_indicative_rating(
            session,
            config=config,
            actor=org.actor("lm"),
            subject_id=org.js,
            quarter=1,
            rating="Achieving",
            what_note="w",
            how_note="h",
            now=MONDAY_10,
        )
    channel = RecordingMessenger()
    asyncio.run(
        Deliverer(db, fast(config), {"slack": channel}, clock=FakeClock(MONDAY_10)).run_until_idle()
    )
    assert not [n for _a, n in channel.sent if n.kind == "rating_due" and "Js's" in n.text]
    with db.read() as session:
        cancelled = session.exec(
            select(Outbox).where(Outbox.status == OutboxStatus.CANCELLED)
        ).all()
    assert [(r.subject_id, r.last_error) for r in cancelled] == [(org.js, "task already done")]


class FlakyChannel:
    """Fails each nudge a scripted number of times, then succeeds."""

    platform = "slack"

    def __init__(self, errors: list[Exception]) -> None:
        self.errors, self.sent = errors, []

    async def send(self, address: Address, nudge: Nudge) -> str:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(nudge.outbox_id)
        return "ok"


def _one_nudge(db: Database, org: Org, config: DepartmentConfig) -> None:
    give_everyone_slack_ids(db, MONDAY_10)
    plan_now(db, config, MONDAY_10)
    with db.write() as session:  # keep a single row: the one for js
        session.execute(
            sa.delete(Outbox).where(
                sa.or_(Outbox.subject_id != org.js, Outbox.kind != "rating_due")
            )
        )


def test_transient_errors_back_off_then_succeed(db, org, config) -> None:
    _one_nudge(db, org, config)
    cfg = fast(config)
    channel = FlakyChannel([TransientError("HTTP 500"), TransientError("timeout")])
    clock = FakeClock(MONDAY_10)
    deliverer = Deliverer(db, cfg, {"slack": channel}, clock=clock)
    assert asyncio.run(deliverer.run_once()).outcomes["retry"] == 1
    with db.read() as session:
        row = session.exec(select(Outbox)).one()
    assert row.attempts == 1 and row.next_attempt_at > MONDAY_10 and row.last_error == "HTTP 500"
    assert asyncio.run(deliverer.run_once()).claimed == 0  # not before its backoff
    clock.advance(seconds=1)
    asyncio.run(deliverer.run_once())
    clock.advance(seconds=1)
    asyncio.run(deliverer.run_once())
    assert len(channel.sent) == 1 and statuses(db) == {"sent": 1}


def test_dead_lettered_after_max_attempts_with_the_reason(db, org, config) -> None:
    _one_nudge(db, org, config)
    cfg = fast(config, max_attempts=3)
    clock = FakeClock(MONDAY_10)
    deliverer = Deliverer(
        db, cfg, {"slack": FlakyChannel([TransientError("HTTP 503")] * 5)}, clock=clock
    )
    for _ in range(5):
        asyncio.run(deliverer.run_once())
        clock.advance(seconds=1)
    with db.read() as session:
        row = session.exec(select(Outbox)).one()
    assert row.status is OutboxStatus.DEAD and row.attempts == 3
    assert row.last_error == "gave up after 3 tries: HTTP 503"


def test_permanent_error_is_dead_at_once_and_429_is_honoured(db, org, config) -> None:
    _one_nudge(db, org, config)
    channel = FlakyChannel([RateLimited(0.2), PermanentError("user_not_found")])
    deliverer = Deliverer(db, fast(config), {"slack": channel}, clock=FakeClock(MONDAY_10))
    report = asyncio.run(deliverer.run_once())
    assert report.outcomes == {"dead": 1}  # the 429 was waited out in place, then refused
    with db.read() as session:
        assert session.exec(select(Outbox.last_error)).one() == "user_not_found"


def test_snooze_moves_my_nudge_only(db, org, config) -> None:
    _one_nudge(db, org, config)
    with db.read() as session:
        row_id = session.exec(select(Outbox.id)).one()
    with db.write() as session, pytest.raises(PermissionDenied):
        snooze(
            session,
            config=config,
            actor=org.actor("js"),
            outbox_id=row_id,
            working_days=2,
            now=MONDAY_10,
        )
    with db.write() as session:
        snooze(
            session,
            config=config,
            actor=org.actor("lm"),
            outbox_id=row_id,
            working_days=2,
            now=MONDAY_10,
        )
    with db.read() as session:
        # Monday 29 June + 2 working days = Wednesday 1 July, 09:00 BST.
        assert session.exec(select(Outbox.due_at)).one() == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    channel = RecordingMessenger()
    asyncio.run(
        Deliverer(db, config, {"slack": channel}, clock=FakeClock(MONDAY_10)).run_until_idle()
    )
    assert channel.sent == []


@pytest.fixture
def fake_slack():
    server = FakeSlack().start()
    yield server
    server.stop()


def test_fake_slack_429_500_and_slow_answers_every_nudge_delivered_once(
    db, org, config, fake_slack
) -> None:
    give_everyone_slack_ids(db, MONDAY_10)
    plan_now(db, config, MONDAY_10)
    expected = statuses(db)["pending"]
    with db.read() as session:  # one message per person for the reminders listed together
        due = session.exec(select(Outbox.recipient_id, Outbox.kind)).all()
    messages = len({r for r, k in due if k in LISTED}) + sum(1 for _r, k in due if k not in LISTED)
    assert messages < expected  # it groups
    fake_slack.fail_next(
        "chat.postMessage",
        Scripted(429, headers={"Retry-After": "1"}),
        Scripted(500),
        Scripted(200, delay=3.0),  # slower than the client's timeout: counts as a failure
        Scripted(503),
    )
    channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake_slack.url, timeout=1))
    clock = FakeClock(MONDAY_10)
    deliverer = Deliverer(db, fast(config), {"slack": channel}, clock=clock)

    async def drain() -> None:
        for _ in range(20):
            await deliverer.run_until_idle()
            clock.advance(seconds=2)

    asyncio.run(drain())
    assert statuses(db) == {"sent": expected}
    posted = [p["channel"] for p in fake_slack.posted()]
    # Every recipient's nudges arrived; the slow one may have arrived twice (it was in flight
    # when the client gave up) - but nothing else is duplicated.
    assert len(posted) in (messages, messages + 1)
    # Each DM is opened once and then reused (conversations.open is a costly call).
    opened = [c["args"]["users"] for c in fake_slack.calls if c["method"] == "conversations.open"]
    assert len(opened) == len(set(opened))
