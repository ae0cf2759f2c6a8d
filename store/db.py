"""Engines and sessions. Nothing is built at import time: callers make one ``Database``.

SQLite (the embedded default) runs with WAL and foreign keys on. Write transactions on SQLite
begin IMMEDIATE, so two writers queue instead of both reading a total and both writing
(how the award caps stay safe under concurrency, F15); PostgreSQL uses row locks instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from store.errors import PerfbotError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    # A database error's message would otherwise carry the statement's values (a rating
    # note, a name) into whatever logs it.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if memory:
            kwargs.setdefault("poolclass", StaticPool)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine, wal=not memory)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def inserts_ignoring_conflicts(
    table: sa.Table, index_elements: list[str] | None = None
) -> dict[str, Any]:
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table`` for each dialect perfbot runs on,
    keyed by dialect name. Build it once and pass the values when executing: building a
    statement per call costs more than SQLite takes to run it (a chat submission's largest
    cost after parsing, before this)."""
    return {
        name: insert(table).on_conflict_do_nothing(index_elements=index_elements)
        for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
    }


class Database:
    """One engine and the two kinds of session perfbot uses."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self._writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        # SQLite allows one writer; threads of this process queue on a lock instead of
        # SQLite's busy handler, which sleeps in coarse steps and collapses under load.
        # Other processes still wait through busy_timeout.
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; it never commits."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commits at the end, rolls back everything on any error."""
        with self._write_lock or nullcontext(), self._transaction() as session:
            yield session

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def run(self, fn: Callable[[Session], T], *, write: bool = False) -> T:
        """``fn(session)`` in a write transaction or a read session."""
        with self.write() if write else self.read() as session:
            return fn(session)

    async def call(
        self, fn: Callable[[Session], T], *, write: bool = False, short: bool = True
    ) -> T:
        """Run a store call from async code (the chat adapters, delivery) - the one policy.

        The event loop must never wait on the database. PostgreSQL calls wait on the network,
        so they run in a worker thread. SQLite lives in this process: a chat request's
        statements take well under a millisecond, and a thread hand-off costs more than that
        in GIL contention (0.3x on the latency benchmark's p99), so a ``short`` call runs
        inline - a read always (WAL: readers never wait for the writer), a write only when
        the write lock is free this instant. When another writer holds it (a planner tick for
        100,000 people takes seconds), the write waits in a worker thread instead, and the
        loop goes on serving. Batch work (``short=False``) always runs in a thread.
        """
        loop = asyncio.get_running_loop()
        if not (self.is_sqlite and short):
            return await loop.run_in_executor(None, partial(self.run, fn, write=write))
        if not write:
            with self.read() as session:
                return fn(session)
        assert self._write_lock is not None
        if self._write_lock.acquire(blocking=False):
            try:
                with self._transaction() as session:
                    return fn(session)
            finally:
                self._write_lock.release()
        return await loop.run_in_executor(None, partial(self.run, fn, write=True))

    def ping(self) -> bool:
        """True when the database answers (for /readyz)."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except sa.exc.SQLAlchemyError:
            logger.warning("database ping failed")
            return False

    def dispose(self) -> None:
        self.engine.dispose()

    def backup(self, target: Path) -> None:
        """SQLite: copy the whole database to ``target`` while perfbot may be running (SQLite's
        online backup: a consistent snapshot, writers only briefly held). The copy is written
        beside ``target`` and renamed at the end, so a failed backup leaves no half file.
        PostgreSQL has its own tool for this (pg_dump)."""
        if not self.is_sqlite:
            raise DatabaseUnavailable(
                f"perfbot backs up SQLite only. For {shown_url(self.url)} use PostgreSQL's own "
                "tool, for example: pg_dump --format=custom --file=perfbot.dump DATABASE_URL"
            )
        partial_copy = target.with_name(f".{target.name}.partial")
        try:
            with self.engine.connect() as conn:
                source = conn.connection.dbapi_connection
                copy = sqlite3.connect(partial_copy)
                try:
                    source.backup(copy)  # type: ignore[union-attr]
                    ok = copy.execute("PRAGMA integrity_check").fetchone()
                finally:
                    copy.close()
            if ok != ("ok",):
                raise DatabaseUnavailable("The backup copy failed its integrity check.")
            os.replace(partial_copy, target)
        finally:
            partial_copy.unlink(missing_ok=True)


class DatabaseUnavailable(PerfbotError):
    """The database named cannot be used: not a URL, a kind perfbot does not run on, or not
    reachable. The message says which, with the URL's password hidden."""


def shown_url(url: str) -> str:
    """The database as a user may be shown it: the SQLite file's full path, or the URL with
    its password hidden ("DATABASE_URL" when it is not a URL at all)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return "DATABASE_URL"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {Path(parsed.database or ':memory:').resolve()}"
    # As the user would write it: postgresql://, not the driver perfbot chose.
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Opening or migrating the database at ``url``: what can go wrong, in words."""
    try:
        yield
    except sa.exc.ArgumentError:
        raise DatabaseUnavailable(
            "DATABASE_URL is not a database URL perfbot can read. Give one like "
            "sqlite:///perfbot.db or postgresql://user@host/perfbot."
        ) from None
    except (sa.exc.NoSuchModuleError, ImportError):
        raise DatabaseUnavailable(
            f"perfbot cannot use the database {shown_url(url)}: it runs on SQLite "
            "(sqlite:///perfbot.db) or PostgreSQL (postgresql://user@host/perfbot)."
        ) from None
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise DatabaseUnavailable(
            f"Could not open the database {shown_url(url)}: {reason}. Check DATABASE_URL, and "
            "that the database server is running and the database exists."
        ) from None


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for memory or other databases)."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///:memory:",):
        return None
    return Path(url.removeprefix("sqlite:///"))
