"""F15 under concurrency, on SQLite and PostgreSQL: 20 threads approving at once can never
take a person over the yearly cap, and a double-clicked Approve decides once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlmodel import func, select

from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import Conflict, RuleViolation
from store.models import Award, AwardStatus
from tests.conftest import Org

THREADS = 20


def _nominate(
    db: Database, org: Org, config: DepartmentConfig, now: datetime, count: int
) -> list[int]:
    # Pending nominations hold their place under the cap (F15), so twenty can only have been
    # made under a higher cap than the one the decisions meet (a department lowered it since).
    roomy = config.model_copy(
        update={"awards": config.awards.model_copy(update={"per_year_pounds": 5_000 * count})}
    )
    ids = []
    with db.write() as session:
        for _ in range(count):
            award = svc.nominate_award(
                session,
                config=roomy,
                actor=org.actor("lm"),
                nominee_id=org.js,
                amount_pence=500_000,
                reason="Great work",
                now=now,
            )
            ids.append(award.id)
    return ids


def _race(
    db: Database, org: Org, config: DepartmentConfig, now: datetime, award_ids: list[int]
) -> list[str]:
    barrier = threading.Barrier(len(award_ids))

    def approve(award_id: int) -> str:
        barrier.wait()
        try:
            with db.write() as session:
                svc.decide_award(
                    session,
                    config=config,
                    actor=org.actor("dg_a"),
                    award_id=award_id,
                    approve=True,
                    now=now,
                )
            return "approved"
        except RuleViolation:
            return "over cap"
        except Conflict:
            return "already decided"

    with ThreadPoolExecutor(max_workers=len(award_ids)) as pool:
        return list(pool.map(approve, award_ids))


def test_f15_twenty_concurrent_approvals_never_pass_the_yearly_cap(db, org, config, now):
    # 20 pending £5,000 awards; the £17,500 cap has room for three.
    results = _race(db, org, config, now, _nominate(db, org, config, now, THREADS))
    assert results.count("approved") == 3 and results.count("over cap") == THREADS - 3
    with db.read() as session:
        total = session.exec(
            select(func.sum(Award.amount_pence)).where(
                Award.nominee_id == org.js, Award.status == AwardStatus.APPROVED
            )
        ).one()
    assert total == 1_500_000 <= config.award_limits.per_year_pence


def test_f15_twenty_clicks_on_one_approve_decide_once(db, org, config, now):
    [award_id] = _nominate(db, org, config, now, 1)
    results = _race(db, org, config, now, [award_id] * THREADS)
    assert results.count("approved") == 1
    assert results.count("already decided") == THREADS - 1
    with db.read() as session:
        audits = session.exec(
            select(func.count()).select_from(Award).where(Award.status == AwardStatus.APPROVED)
        ).one()
    assert audits == 1
