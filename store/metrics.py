"""What an operator can watch, in Prometheus's text format (``GET /metrics``).

The counters live for the process: requests and their latency by surface (Slack, Teams,
health), nudges planned and their delivery outcomes by kind, and how long HR exports take.
The outbox's depth and the age of its oldest due row are read from the database when
scraped, so every replica reports the same backlog. No label carries personal data: a
surface, a kind of nudge, an outcome, a status code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from time import perf_counter

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlmodel import Session, col

from store.models import Outbox, OutboxStatus

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter(
    "perfbot_http_requests",
    "HTTP requests answered, by surface and status code.",
    ["surface", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "perfbot_http_request_seconds",
    "Time to answer an HTTP request, by surface.",
    ["surface"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
PLANNED = Counter(
    "perfbot_nudges_planned", "Nudges the planner wrote to the outbox, by kind.", ["kind"],
    registry=REGISTRY,
)  # fmt: skip
DELIVERED = Counter(
    "perfbot_nudges_delivered",
    "Delivery outcomes of outbox rows, by kind: sent, retry, rate_limited, dead, cancelled.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
EXPORT_SECONDS = Histogram(
    "perfbot_export_seconds",
    "Time to write an HR workbook.",
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "perfbot_outbox_due", "Outbox rows due now and not yet sent.", registry=REGISTRY
)
OUTBOX_AGE = Gauge(
    "perfbot_outbox_oldest_due_seconds",
    "How long the oldest due outbox row has waited (0 when none waits).",
    registry=REGISTRY,
)


@contextmanager
def timed_export() -> Iterator[None]:
    started = perf_counter()
    try:
        yield
    finally:
        EXPORT_SECONDS.observe(perf_counter() - started)


def read_outbox(session: Session, now: datetime) -> None:
    """Set the outbox gauges from the database (called when /metrics is scraped)."""
    due = sa.func.coalesce(col(Outbox.next_attempt_at), col(Outbox.due_at))
    count, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(due)).where(
            col(Outbox.status) == OutboxStatus.PENDING, due <= now
        )
    ).one()
    OUTBOX_DEPTH.set(count)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    OUTBOX_AGE.set(max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
