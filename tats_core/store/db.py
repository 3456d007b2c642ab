"""Database engine and session factory (SQLite by default, PostgreSQL via psycopg 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

# A delivery's database work (its transactions, GitHub's caches) runs in threads, this many at
# once per process (event loop). More only take turns at the GIL: bench/worker.py at parallelism
# 32 (2 processes, 2 cores) reached 76% of the bound with 2, 73-75% with 3, 71-73% with 4 and
# 66-69% with anyio's default of 40, and spent the more CPU per candidate the more threads. Each transaction is milliseconds, so
# even with a remote database two threads carry far more candidates than GitHub's quota allows.
# Not anyio's default limiter: that one also runs the sandbox's test runs, minutes long.
DATABASE_THREADS = 2
_database_threads: RunVar[CapacityLimiter] = RunVar("tats_database_threads")


def normalise_url(url: str) -> str:
    """Accept the URLs hosting providers hand out (``postgres://``) and pick psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # Several processes (app, worker, CLI) share the file: wait for locks instead of failing.
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 40)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` (a short transaction) in a worker thread, at most ``DATABASE_THREADS``
    at once in this event loop."""
    try:
        limiter = _database_threads.get()
    except LookupError:
        limiter = CapacityLimiter(DATABASE_THREADS)
        _database_threads.set(limiter)
    return await anyio.to_thread.run_sync(work, *args, limiter=limiter)
