"""SQLite persistence for the local QStash server: nothing accepted is lost on a crash.

A message is written (and committed) before its publish is answered. It is marked delivered
(and deleted a little later) only once a delivery succeeded, and deleted at once when cancelled,
so a server killed with ``kill -9`` delivers everything again after a restart: the messages that
were in flight are simply due again (at least once). Each change logs its event (``events``) in
the same transaction. Queues, URL groups, schedules and flow-control settings keep their own
tables in the same database (``db``, ``transaction``).

One connection, used only from the event loop's thread; every call is short.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tats_dev.qstash import events
from tats_dev.qstash.filters import Filter
from tats_dev.qstash.message import (
    DEDUPLICATION_WINDOW,
    Message,
    Response,
    new_message_id,
    split_labels,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'pending',  -- 'pending', 'dead' (in the DLQ) or 'delivered'
    in_flight INTEGER NOT NULL DEFAULT 0,
    destination TEXT NOT NULL, method TEXT NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
    max_retries INTEGER NOT NULL, retry_delay TEXT,
    callback TEXT, failure_callback TEXT,
    callback_headers TEXT NOT NULL, failure_callback_headers TEXT NOT NULL,
    timeout REAL NOT NULL,
    flow_key TEXT, parallelism INTEGER, rate INTEGER, period REAL,
    label TEXT, created_at REAL NOT NULL, due_at REAL NOT NULL, retried INTEGER NOT NULL,
    queue TEXT, url_group TEXT, endpoint_name TEXT, schedule_id TEXT, caller_ip TEXT
);
CREATE INDEX IF NOT EXISTS message_due ON message (due_at, seq)
    WHERE state = 'pending' AND in_flight = 0;
CREATE TABLE IF NOT EXISTS dead_letter (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dlq_id TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL REFERENCES message (id),
    response_status INTEGER NOT NULL, response_headers TEXT NOT NULL,
    response_body BLOB NOT NULL, error TEXT, created_at REAL NOT NULL
);
-- Queues (see ``queues``): here because the due query keeps each queue in order.
CREATE TABLE IF NOT EXISTS queue (
    name TEXT PRIMARY KEY, parallelism INTEGER NOT NULL, paused INTEGER NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deduplication (
    dedup_key TEXT PRIMARY KEY, message_id TEXT NOT NULL, expires_at REAL NOT NULL
);
"""
_COLUMNS = tuple(f.name for f in dataclasses.fields(Message) if f.name != "dedup_key")
_INSERT = f"INSERT INTO message ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_JSON_COLUMNS = frozenset({"headers", "callback_headers", "failure_callback_headers"})
_PENDING = "state = 'pending'"
# A delivered message stays readable (GET /v2/messages/{id}) this long, as on QStash.
DELIVERED_RETENTION = 2.0
# Filters of bulk cancels and of the DLQ, and their columns (``m``: message, ``d``: dead letter).
MESSAGE_COLUMNS = {
    "messageId": "m.id",
    "url": "m.destination",
    "topicName": "m.url_group",
    "queueName": "m.queue",
    "scheduleId": "m.schedule_id",
    "label": "m.label",
    "callerIp": "m.caller_ip",
    "flowControlKey": "m.flow_key",
    "endpointName": "m.endpoint_name",
}
# A queue delivers first in, first out: only its first ``parallelism`` pending messages (in
# flight or retrying included) may start. A queue without a row (being deleted) has no order.
_QUEUE_HEAD = (
    "(SELECT COUNT(*) FROM message q WHERE q.queue = message.queue AND q.state = 'pending'"
    " AND q.seq < message.seq)"
    " < COALESCE((SELECT parallelism FROM queue WHERE name = message.queue), 1 << 30)"
)
DEAD_LETTER_COLUMNS = {**MESSAGE_COLUMNS, "responseStatus": "d.response_status"}
_DEAD_LETTER_SELECT = (
    "SELECT m.*, d.seq AS dlq_seq, d.dlq_id, d.response_status, d.response_headers,"
    " d.response_body, d.error, d.created_at AS dlq_created_at"
    " FROM dead_letter d JOIN message m ON m.id = d.message_id"
)


@dataclass(frozen=True)
class DeadLetter:
    dlq_id: str
    message: Message
    response: Response
    created_at: float


class Store:
    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        # WAL + NORMAL survives a killed process (not a power cut), which is what matters here.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.create_function("has_label", 2, _has_label, deterministic=True)
        self._db.executescript(SCHEMA)
        self._migrate()
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS message_queue ON message (queue, seq)"
            " WHERE state = 'pending'"
        )
        self._db.executescript(events.SCHEMA)
        # Deliveries cut off by a crash or a stop are due again: at least once.
        self._db.execute("UPDATE message SET in_flight = 0 WHERE in_flight = 1")

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for the other tables of the server (queues, topics, schedules)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        """Add the columns a database made by an older version lacks."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(message)")}
        for column in ("queue", "url_group", "endpoint_name", "schedule_id", "caller_ip"):
            if column not in have:
                self._db.execute(f"ALTER TABLE message ADD COLUMN {column} TEXT")

    def add(self, messages: Sequence[Message], *, now: float) -> list[tuple[str, bool]]:
        """Store all messages or none; returns ``(message id, deduplicated)`` for each."""
        with self._transaction():
            return self.add_in_transaction(messages, now=now)

    def add_in_transaction(
        self, messages: Sequence[Message], *, now: float
    ) -> list[tuple[str, bool]]:
        """``add`` inside a transaction the caller holds (see ``transaction``)."""
        return [self._insert(m, now) for m in messages]

    def get(self, message_id: str, *, now: float) -> Message | None:
        """A pending message, or one delivered less than ``DELIVERED_RETENTION`` seconds ago."""
        row = self._db.execute(
            f"SELECT * FROM message WHERE id = ? AND ({_PENDING}"
            " OR (state = 'delivered' AND due_at > ?))",
            (message_id, now - DELIVERED_RETENTION),
        ).fetchone()
        return _from_row(row) if row else None

    def cancel(self, selection: Filter, *, now: float) -> int:
        """Forget the pending messages ``selection`` names or matches; how many there were."""
        where, params = selection.sql(MESSAGE_COLUMNS, id_column="m.id", time_column="m.created_at")
        limit = f" LIMIT {int(selection.count)}" if selection.count else ""
        with self._transaction():
            rows = self._db.execute(
                f"SELECT m.* FROM message m WHERE m.{_PENDING} AND {where} ORDER BY m.seq{limit}",
                params,
            ).fetchall()
            cancelled = [_from_row(row) for row in rows]
            self._db.executemany("DELETE FROM message WHERE id = ?", [(m.id,) for m in cancelled])
            events.record_all(self._db, cancelled, "CANCELED", now)
        return len(cancelled)

    def pending(self, where: str, params: Sequence[Any] = ()) -> int:
        """How many pending messages match ``where`` (over the message table)."""
        row = self._db.execute(f"SELECT COUNT(*) FROM message WHERE {_PENDING} AND {where}", params)
        return int(row.fetchone()[0])

    def due(
        self,
        now: float,
        *,
        limit: int,
        exclude_keys: Sequence[str] = (),
        exclude_queues: Sequence[str] = (),
    ) -> list[Message]:
        """Pending messages due by ``now`` that are not in flight, oldest first."""
        where, params = self._due_filter(exclude_keys, exclude_queues)
        rows = self._db.execute(
            f"SELECT * FROM message WHERE {where} AND due_at <= ? ORDER BY due_at, seq LIMIT ?",
            (*params, now, limit),
        ).fetchall()
        return [_from_row(row) for row in rows]

    def next_due_at(
        self, *, exclude_keys: Sequence[str] = (), exclude_queues: Sequence[str] = ()
    ) -> float | None:
        where, params = self._due_filter(exclude_keys, exclude_queues)
        row = self._db.execute(f"SELECT MIN(due_at) FROM message WHERE {where}", params)
        return row.fetchone()[0]

    def claim(self, messages: Sequence[Message], *, now: float) -> None:
        with self._transaction():
            self._db.executemany(
                "UPDATE message SET in_flight = 1 WHERE id = ?", [(m.id,) for m in messages]
            )
            events.record_all(self._db, messages, "ACTIVE", now)

    def complete(
        self, m: Message, response: Response, *, now: float, callback: Message | None = None
    ) -> None:
        """Mark a message delivered (``purge`` forgets it), storing its success callback too."""
        with self._transaction():
            delivered = self._db.execute(
                "UPDATE message SET state = 'delivered', in_flight = 0, due_at = ?"
                f" WHERE id = ? AND {_PENDING}",
                (now, m.id),
            ).rowcount
            if delivered:
                events.record(self._db, m, "DELIVERED", now, response=response)
            if callback is not None:
                self._insert(callback, callback.created_at)

    def reschedule(
        self, m: Message, response: Response, *, retried: int, due_at: float, now: float
    ) -> None:
        with self._transaction():
            moved = self._db.execute(
                "UPDATE message SET in_flight = 0, retried = ?, due_at = ?"
                f" WHERE id = ? AND {_PENDING}",
                (retried, due_at, m.id),
            ).rowcount
            if moved:
                events.record(self._db, m, "ERROR", now, response=response)
                events.record(self._db, m, "RETRY", now, next_delivery=due_at)

    def dead_letter(
        self,
        m: Message,
        response: Response,
        *,
        dlq_id: str,
        now: float,
        callback: Message | None = None,
    ) -> bool:
        """Move a message to the DLQ with its failure callback; False if it was cancelled."""
        with self._transaction():
            moved = self._db.execute(
                f"UPDATE message SET state = 'dead', in_flight = 0 WHERE id = ? AND {_PENDING}",
                (m.id,),
            ).rowcount
            if not moved:
                return False
            events.record(self._db, m, "ERROR", now, response=response)
            events.record(self._db, m, "FAILED", now, response=response)
            if callback is not None:
                self._insert(callback, now)
            self._db.execute(
                "INSERT INTO dead_letter (dlq_id, message_id, response_status, response_headers,"
                " response_body, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    dlq_id,
                    m.id,
                    response.status,
                    json.dumps(response.headers),
                    response.body,
                    response.error,
                    now,
                ),
            )
        return True

    def dead_letters(
        self, selection: Filter, *, after: int = 0, count: int = 100
    ) -> tuple[list[DeadLetter], int | None]:
        """One page of the DLQ, oldest first, and the cursor of the next page (None at the end)."""
        where, params = self._dead_letter_where(selection)
        rows = self._db.execute(
            f"{_DEAD_LETTER_SELECT} WHERE d.seq > ? AND {where} ORDER BY d.seq LIMIT ?",
            (after, *params, count + 1),
        ).fetchall()
        more = len(rows) > count
        rows = rows[:count]
        return [_dead_letter(row) for row in rows], (rows[-1]["dlq_seq"] if more else None)

    def get_dead_letter(self, dlq_id: str) -> DeadLetter | None:
        row = self._db.execute(f"{_DEAD_LETTER_SELECT} WHERE d.dlq_id = ?", (dlq_id,)).fetchone()
        return _dead_letter(row) if row else None

    def delete_dead_letters(self, selection: Filter) -> int:
        """Drop the dead letters ``selection`` names or matches; how many there were."""
        with self._transaction():
            rows = self._selected_dead_letters(selection)
            for dlq_id, message_id in rows:
                self._db.execute("DELETE FROM dead_letter WHERE dlq_id = ?", (dlq_id,))
                self._db.execute("DELETE FROM message WHERE id = ?", (message_id,))
        return len(rows)

    def retry_dead_letters(self, selection: Filter, *, now: float) -> list[str]:
        """Re-publish the selected dead letters as new pending messages; their new ids."""
        copied = ", ".join(
            c for c in _COLUMNS if c not in ("id", "created_at", "due_at", "retried")
        )
        new_ids = []
        with self._transaction():
            for dlq_id, message_id in self._selected_dead_letters(selection):
                new_id = new_message_id()
                self._db.execute(
                    f"INSERT INTO message (id, created_at, due_at, retried, {copied})"
                    f" SELECT ?, ?, ?, 0, {copied} FROM message WHERE id = ?",
                    (new_id, now, now, message_id),
                )
                self._db.execute("DELETE FROM dead_letter WHERE dlq_id = ?", (dlq_id,))
                self._db.execute("DELETE FROM message WHERE id = ?", (message_id,))
                row = self._db.execute("SELECT * FROM message WHERE id = ?", (new_id,)).fetchone()
                events.record(self._db, _from_row(row), "CREATED", now)
                new_ids.append(new_id)
        return new_ids

    def _dead_letter_where(self, selection: Filter) -> tuple[str, list[Any]]:
        return selection.sql(DEAD_LETTER_COLUMNS, id_column="d.dlq_id", time_column="d.created_at")

    def _selected_dead_letters(self, selection: Filter) -> list[tuple[str, str]]:
        where, params = self._dead_letter_where(selection)
        limit = f" LIMIT {int(selection.count)}" if selection.count else ""
        rows = self._db.execute(
            "SELECT d.dlq_id, d.message_id FROM dead_letter d JOIN message m ON m.id = d.message_id"
            f" WHERE {where} ORDER BY d.seq{limit}",
            params,
        ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def purge(self, now: float) -> None:
        """Forget delivered messages, expired deduplication ids and the oldest events."""
        self._db.execute("DELETE FROM deduplication WHERE expires_at <= ?", (now,))
        self._db.execute(
            "DELETE FROM message WHERE state = 'delivered' AND due_at <= ?",
            (now - DELIVERED_RETENTION,),
        )
        with self._transaction():
            events.prune(self._db)

    def _insert(self, m: Message, now: float) -> tuple[str, bool]:
        if m.dedup_key is not None:
            seen = self._db.execute(
                "SELECT message_id FROM deduplication WHERE dedup_key = ? AND expires_at > ?",
                (m.dedup_key, now),
            ).fetchone()
            if seen:
                return seen[0], True
            self._db.execute(
                "INSERT OR REPLACE INTO deduplication VALUES (?, ?, ?)",
                (m.dedup_key, m.id, now + DEDUPLICATION_WINDOW),
            )
        self._db.execute(_INSERT, _to_row(m))
        events.record(self._db, m, "CREATED", now)
        return m.id, False

    def _due_filter(
        self, exclude_keys: Sequence[str], exclude_queues: Sequence[str]
    ) -> tuple[str, tuple[str, ...]]:
        where = f"{_PENDING} AND in_flight = 0 AND (queue IS NULL OR {_QUEUE_HEAD})"
        if exclude_keys:
            marks = ", ".join("?" for _ in exclude_keys)
            where += f" AND (flow_key IS NULL OR flow_key NOT IN ({marks}))"
        if exclude_queues:
            marks = ", ".join("?" for _ in exclude_queues)
            where += f" AND (queue IS NULL OR queue NOT IN ({marks}))"
        return where, (*exclude_keys, *exclude_queues)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an exception)."""
        with self._transaction():
            yield

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _has_label(label: str | None, wanted: str) -> bool:
    return wanted in split_labels(label)


def _to_row(m: Message) -> tuple[Any, ...]:
    return tuple(
        json.dumps(getattr(m, c)) if c in _JSON_COLUMNS else getattr(m, c) for c in _COLUMNS
    )


def _from_row(row: sqlite3.Row) -> Message:
    values = {c: json.loads(row[c]) if c in _JSON_COLUMNS else row[c] for c in _COLUMNS}
    return Message(**values)


def _dead_letter(row: sqlite3.Row) -> DeadLetter:
    response = Response(
        status=row["response_status"],
        headers=[tuple(pair) for pair in json.loads(row["response_headers"])],
        body=row["response_body"],
        error=row["error"],
    )
    return DeadLetter(row["dlq_id"], _from_row(row), response, row["dlq_created_at"])
