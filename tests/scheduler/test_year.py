"""A whole performance year on a virtual clock (SQLite): the exact nudges selected people get
and when, for England and Scotland, across both clock changes; and, for every nudge sent, no
weekend, no bank holiday in the recipient's nation, nothing outside 09:00-17:00 London,
nothing twice and nothing after its task was done."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from sqlmodel import select

from scheduler.delivery import Address, Deliverer
from scheduler.nudges import Nudge
from scheduler.planner import plan
from store import services as svc
from store.db import Database
from store.models import Outbox, Person
from tests.conftest import make_org
from tests.fakes import FakeClock, give_everyone_slack_ids
from tests.scheduler.test_delivery import fast

LONDON = ZoneInfo("Europe/London")
SUBDIVISION = {"England": "ENG", "Wales": "WLS", "Scotland": "SCT", "Northern Ireland": "NIR"}


@dataclass
class TimedChannel:
    """Records each nudge with the virtual time it went out."""

    clock: FakeClock
    platform: str = "slack"
    sent: list[tuple[datetime, Nudge]] = field(default_factory=list)

    async def send(self, address: Address, nudge: Nudge) -> str:
        self.sent.append((self.clock.now(), nudge))
        return str(len(self.sent))


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path):
    """Run April 2026 to mid-April 2027 once; the tests below read the result."""
    import shutil

    from store.config import DepartmentConfig

    tmp = tmp_path_factory.mktemp("year")
    shutil.copy(sqlite_template, tmp / "year.db")
    db = Database(f"sqlite:///{tmp / 'year.db'}")
    org = make_org(db, tmp)
    config = fast(DepartmentConfig())
    clock = FakeClock(london(date(2026, 4, 1), 3))
    give_everyone_slack_ids(db, clock.now())
    channel = TimedChannel(clock)
    deliverer = Deliverer(db, config, {"slack": channel}, clock=clock)
    done_at: dict[tuple[int, str], datetime] = {}
    actions: list[tuple[datetime, str]] = []

    def act(when: datetime, what: str) -> None:
        actions.append((when, what))

    # js writes the mid-year self-assessment on Tuesday 27 October, between two reminders.
    act(london(date(2026, 10, 27), 11), "self_mid")
    rows_seen = 0
    day = date(2026, 4, 1)
    while day <= date(2027, 4, 20):
        for hour, minute in ((3, 0), (9, 0), (17, 30)):
            clock.set(london(day, hour, minute))
            for when, what in [a for a in actions if a[0] <= clock.now()]:
                actions.remove((when, what))
                with db.write() as session:
                    if what == "self_mid":
                        svc.record_self_assessment(
                            session,
                            config=config,
                            actor=org.actor("js"),
                            subject_id=org.js,
                            stage="mid_year",
                            text="My half year",
                            now=clock.now(),
                            year=2026,
                        )
                        done_at[(org.js, "self_mid")] = clock.now()
                    else:  # "rate:<quarter>"
                        quarter = int(what.split(":")[1])
                        svc.record_indicative_rating(
                            session,
                            config=config,
                            actor=org.actor("lm"),
                            subject_id=org.js,
                            quarter=quarter,
                            rating="Achieving",
                            what_note="w",
                            how_note="h",
                            now=clock.now(),
                            year=2026,
                        )
                        done_at[(org.js, f"q{quarter}")] = clock.now()
            with db.write() as session:
                plan(session, config=config, now=clock.now())
            asyncio.run(deliverer.run_until_idle())
            # lm rates js (not Q3) the working day after the first reminder arrives.
            for _sent, nudge in channel.sent[rows_seen:]:
                for outbox_id, text in parts(nudge):
                    row = _row(db, outbox_id)
                    if (
                        row.kind == "rating_due"
                        and "Js's" in text
                        and ("Q3" not in text)
                        and "before_10" in row.step
                    ):
                        quarter = int(row.milestone[1])
                        act(clock.now() + timedelta(days=1), f"rate:{quarter}")
            rows_seen = len(channel.sent)
        day += timedelta(days=1)
    with db.read() as session:
        rows = {r.id: r for r in session.exec(select(Outbox)).all()}
        people = {p.id: p for p in session.exec(select(Person)).all()}
    yield org, channel.sent, rows, people, done_at
    db.dispose()


def _row(db: Database, outbox_id: int) -> Outbox:
    with db.read() as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        return row


def parts(nudge: Nudge) -> list[tuple[int, str]]:
    """Each outbox row a sent message stands for, with its words (a day's list: a line each)."""
    if nudge.outbox_ids:
        return list(zip(nudge.outbox_ids, (line for line, _ in nudge.items), strict=False))
    return [(nudge.outbox_id, nudge.text)]


def expand(sent: list[tuple[datetime, Nudge]]) -> list[tuple[datetime, int]]:
    return [(when, outbox_id) for when, nudge in sent for outbox_id, _ in parts(nudge)]


def series(year, recipient_keys, subject: str, kind: str, milestone: str, perf_year=2026):
    org, sent, rows, _people, _done = year
    recipients = {org.ids[k]: k for k in recipient_keys}
    out = []
    for when, outbox_id in expand(sent):
        row = rows[outbox_id]
        if (row.kind, row.milestone, row.subject_id, row.year) == (
            kind,
            milestone,
            org.ids[subject],
            perf_year,
        ) and row.recipient_id in recipients:
            out.append((recipients[row.recipient_id], row.step, when))
    return out


def utc(y: int, m: int, d: int, h: int) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def test_england_q3_never_rated_reminds_then_escalates_over_christmas(year) -> None:
    assert series(year, ["lm", "ps", "dg_a"], "js", "rating_due", "q3_conversation") == [
        ("lm", "before_10", utc(2026, 12, 15, 9)),
        ("lm", "before_5", utc(2026, 12, 22, 9)),
        ("lm", "before_1", utc(2026, 12, 30, 9)),
        ("ps", "overdue_3", utc(2027, 1, 6, 9)),  # countersigning officer
        ("dg_a", "overdue_10", utc(2027, 1, 15, 9)),
    ]


def test_scotland_counts_its_own_bank_holidays(year) -> None:
    # 2 January is a Scottish bank holiday (substitute Monday 4 January 2027).
    assert series(year, ["lm_b", "dg_b"], "other", "rating_due", "q3_conversation") == [
        ("lm_b", "before_10", utc(2026, 12, 15, 9)),
        ("lm_b", "before_5", utc(2026, 12, 22, 9)),
        ("lm_b", "before_1", utc(2026, 12, 30, 9)),
        ("dg_b", "overdue_3", utc(2027, 1, 7, 9)),  # dg_b countersigns and leads the group
        ("dg_b", "overdue_10", utc(2027, 1, 18, 9)),
    ]


def test_reminders_stop_once_the_rating_is_logged(year) -> None:
    # Rated the day after the first reminder: the later steps never go out.
    for quarter, first in ((1, utc(2026, 6, 16, 8)), (2, utc(2026, 9, 16, 8))):
        assert series(
            year, ["lm", "ps", "dg_a"], "js", "rating_due", f"q{quarter}_conversation"
        ) == [("lm", "before_10", first)]


def test_october_a_saturday_deadline_is_the_friday_before(year) -> None:
    # Mid-year write-up due Saturday 31 October 2026: people are held to Friday 30th, and the
    # ladder counts back from the Friday (both steps before the clocks go back on the 25th).
    # js wrote it on the 27th, so the before_1 reminder (Thursday 29th) is not sent.
    assert series(year, ["js"], "js", "self_assessment_due", "mid_year_write_up") == [
        ("js", "before_10", utc(2026, 10, 16, 8)),  # 09:00 BST
        ("js", "before_5", utc(2026, 10, 23, 8)),  # 09:00 BST
    ]


def test_march_clock_change_and_easter(year) -> None:
    # End-year write-up due Wednesday 31 March 2027; Good Friday 26th, clocks forward 28th,
    # Easter Monday 29th. lm never writes it.
    assert series(year, ["lm", "ps", "dg_a"], "js", "write_up_due", "end_year_write_up") == [
        # 10 working days before is Monday 15th; it rides in the list Lm gets on Friday 12th
        # anyway (Peer's and Ppm's Q4 ratings), rather than make Monday another day of lists.
        ("lm", "before_10", utc(2027, 3, 12, 9)),
        ("lm", "before_5", utc(2027, 3, 22, 9)),
        ("lm", "before_1", utc(2027, 3, 30, 8)),  # 09:00 BST
        ("ps", "overdue_3", utc(2027, 4, 5, 8)),
        ("dg_a", "overdue_10", utc(2027, 4, 14, 8)),
    ]
    org, sent, rows, _people, _done = year
    [ridden] = [nudge for when, nudge in sent if when == utc(2027, 3, 12, 9)
                and rows[nudge.outbox_id].recipient_id == org.lm]  # fmt: skip
    others = [rows[i] for i in ridden.outbox_ids if rows[i].kind != "write_up_due"]
    assert ridden.kind == "digest"
    assert {(r.kind, r.step, r.subject_id) for r in others if r.kind == "rating_due"} == {
        ("rating_due", "before_1", org.peer),
        ("rating_due", "before_1", org.ppm),
    }  # what the list went for: the Q4 rating's last reminders


def test_last_years_deadline_still_open_at_start_is_chased_once(year) -> None:
    # The roster was loaded on 20 March 2026, before the 2025-26 end-year deadline (31 March):
    # the step due on the 30th went out at the first working moment perfbot ran.
    assert series(year, ["lm"], "js", "write_up_due", "end_year_write_up", perf_year=2025) == [
        ("lm", "before_1", utc(2026, 4, 1, 8))
    ]


def test_every_nudge_on_a_working_day_in_hours_once_and_not_after_done(year) -> None:
    org, sent, rows, people, done_at = year
    assert len(expand(sent)) > 300
    assert len(sent) < len(expand(sent))  # a person's reminders due together went as one list
    keys = Counter()
    for when, outbox_id in expand(sent):
        row = rows[outbox_id]
        recipient = people[row.recipient_id]
        local = when.astimezone(LONDON)
        bank = holidays.country_holidays(
            "GB", subdiv=SUBDIVISION[recipient.location.value], years=local.year
        )
        assert local.weekday() < 5, (row.kind, local)
        assert local.date() not in bank, (row.kind, recipient.location, local)
        assert time(9) <= local.time() < time(17), (row.kind, local)
        keys[(row.recipient_id, row.kind, row.subject_key, row.milestone, row.year, row.step)] += 1
        if row.kind == "rating_due" and row.subject_id == org.js:
            finished = done_at.get((org.js, row.milestone[:2]))
            assert finished is None or when < finished
    assert max(keys.values()) == 1
