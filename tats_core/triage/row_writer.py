"""Storing checked rows as ``pending`` candidates, fast: one ``COPY`` on PostgreSQL, batched
INSERTs elsewhere; always inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.store.models import Candidate, utcnow
from tats_core.triage.replacement import ROW_COLUMNS, NewCandidate

INSERT_BATCH = 5_000

Write = Callable[[list[NewCandidate]], None]


@contextmanager
def candidate_writer(session: Session) -> Iterator[Write]:
    """A function that stores rows as ``pending`` candidates, all with one creation time.

    On PostgreSQL (psycopg) it streams them into one ``COPY ... FROM STDIN`` on the session's
    own connection, inside the caller's transaction: multi-row INSERTs of a large upload were
    ~5x slower (``bench/ingest.py``). Elsewhere it inserts in batches.
    """
    now = utcnow()
    common = {"status": statuses.PENDING, "attempt": 1, "created_at": now, "updated_at": now}
    connection = session.connection()
    try:
        if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
            with _copy_writer(connection, {**common, "enqueue_count": 0}) as write:
                yield write
        else:
            yield lambda rows: _insert(session, rows, common)
            session.flush()
    except (IntegrityError, psycopg.IntegrityError):
        # Another upload into the same job committed the same repository meanwhile.
        raise InputError(
            "another upload into this job added some of these candidates at the same time; "
            "nothing was imported, please upload the file again"
        ) from None


def _insert(session: Session, rows: list[NewCandidate], common: dict[str, Any]) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        batch = [{**row._asdict(), **common} for row in rows[start : start + INSERT_BATCH]]
        session.execute(insert(Candidate), batch)


@contextmanager
def _copy_writer(connection: Connection, fixed: dict[str, Any]) -> Iterator[Write]:
    dialect = connection.dialect
    # The same conversions the ORM applies (UTCDateTime stores naive UTC).
    values: list[Any] = []
    for name, value in fixed.items():
        process = Candidate.__table__.c[name].type.bind_processor(dialect)
        values.append(process(value) if process else value)
    fixed_values = tuple(values)
    columns = ", ".join([*ROW_COLUMNS, *fixed])
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {Candidate.__tablename__} ({columns}) FROM STDIN") as copy,
    ):

        def write(rows: list[NewCandidate]) -> None:
            for row in rows:
                copy.write_row(row + fixed_values)

        yield write
