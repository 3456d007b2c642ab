"""SQLite persistence for the local QStash server: nothing accepted is lost on a crash.

A message is written (and committed) before its publish is answered, and deleted only once it
has been delivered or cancelled, so a server killed with ``kill -9`` delivers everything again
after a restart: the messages that were in flight are simply due again (at least once).

One connection, used only from the event loop's thread; every call is short.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tats_dev.qstash.message import DEDUPLICATION_WINDOW, Message, Response

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'pending',  -- 'pending' or 'dead' (in the DLQ)
    in_flight INTEGER NOT NULL DEFAULT 0,
    destination TEXT NOT NULL, method TEXT NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
    max_retries INTEGER NOT NULL, retry_delay TEXT,
    callback TEXT, failure_callback TEXT,
    callback_headers TEXT NOT NULL, failure_callback_headers TEXT NOT NULL,
    timeout REAL NOT NULL,
    flow_key TEXT, parallelism INTEGER, rate INTEGER, period REAL,
    label TEXT, created_at REAL NOT NULL, due_at REAL NOT NULL, retried INTEGER NOT NULL
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
CREATE TABLE IF NOT EXISTS deduplication (
    dedup_key TEXT PRIMARY KEY, message_id TEXT NOT NULL, expires_at REAL NOT NULL
);
"""
_COLUMNS = tuple(f.name for f in dataclasses.fields(Message) if f.name != "dedup_key")
_INSERT = f"INSERT INTO message ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_JSON_COLUMNS = frozenset({"headers", "callback_headers", "failure_callback_headers"})
_PENDING = "state = 'pending'"
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
        self._db.executescript(SCHEMA)
        # Deliveries cut off by a crash or a stop are due again: at least once.
        self._db.execute("UPDATE message SET in_flight = 0 WHERE in_flight = 1")

    def close(self) -> None:
        self._db.close()

    def add(self, messages: Sequence[Message], *, now: float) -> list[tuple[str, bool]]:
        """Store all messages or none; returns ``(message id, deduplicated)`` for each."""
        with self._transaction():
            return [self._insert(m, now) for m in messages]

    def get(self, message_id: str) -> Message | None:
        row = self._db.execute(
            f"SELECT * FROM message WHERE id = ? AND {_PENDING}", (message_id,)
        ).fetchone()
        return _from_row(row) if row else None

    def cancel(self, message_ids: Iterable[str] | None) -> int:
        """Forget pending messages (all of them when ``message_ids`` is None)."""
        if message_ids is None:
            return self._db.execute(f"DELETE FROM message WHERE {_PENDING}").rowcount
        with self._transaction():
            return sum(
                self._db.execute(f"DELETE FROM message WHERE id = ? AND {_PENDING}", (i,)).rowcount
                for i in message_ids
            )

    def due(self, now: float, *, limit: int, exclude_keys: Sequence[str] = ()) -> list[Message]:
        """Pending messages due by ``now`` that are not in flight, oldest first."""
        where, params = self._due_filter(exclude_keys)
        rows = self._db.execute(
            f"SELECT * FROM message WHERE {where} AND due_at <= ? ORDER BY due_at, seq LIMIT ?",
            (*params, now, limit),
        ).fetchall()
        return [_from_row(row) for row in rows]

    def next_due_at(self, *, exclude_keys: Sequence[str] = ()) -> float | None:
        where, params = self._due_filter(exclude_keys)
        row = self._db.execute(f"SELECT MIN(due_at) FROM message WHERE {where}", params)
        return row.fetchone()[0]

    def claim(self, message_ids: Sequence[str]) -> None:
        with self._transaction():
            self._db.executemany(
                "UPDATE message SET in_flight = 1 WHERE id = ?", [(i,) for i in message_ids]
            )

    def complete(self, message_id: str, *, callback: Message | None = None) -> None:
        """Forget a delivered message, storing its success callback in the same transaction."""
        with self._transaction():
            self._db.execute("DELETE FROM message WHERE id = ?", (message_id,))
            if callback is not None:
                self._insert(callback, callback.created_at)

    def reschedule(self, message_id: str, *, retried: int, due_at: float) -> None:
        self._db.execute(
            f"UPDATE message SET in_flight = 0, retried = ?, due_at = ? WHERE id = ? AND {_PENDING}",
            (retried, due_at, message_id),
        )

    def dead_letter(
        self,
        message_id: str,
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
                (message_id,),
            ).rowcount
            if not moved:
                return False
            if callback is not None:
                self._insert(callback, now)
            self._db.execute(
                "INSERT INTO dead_letter (dlq_id, message_id, response_status, response_headers,"
                " response_body, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    dlq_id,
                    message_id,
                    response.status,
                    json.dumps(response.headers),
                    response.body,
                    response.error,
                    now,
                ),
            )
        return True

    def dead_letters(
        self, *, after: int = 0, count: int = 100, filters: dict[str, Any] | None = None
    ) -> tuple[list[DeadLetter], int | None]:
        """One page of the DLQ, oldest first, and the cursor of the next page (None at the end)."""
        columns = {
            "message_id": "m.id",
            "url": "m.destination",
            "label": "m.label",
            "response_status": "d.response_status",
        }
        clauses, params = ["d.seq > ?"], [after]
        for name, value in (filters or {}).items():
            clauses.append(f"{columns[name]} = ?")
            params.append(value)
        rows = self._db.execute(
            f"{_DEAD_LETTER_SELECT} WHERE {' AND '.join(clauses)} ORDER BY d.seq LIMIT ?",
            (*params, count + 1),
        ).fetchall()
        more = len(rows) > count
        rows = rows[:count]
        return [_dead_letter(row) for row in rows], (rows[-1]["dlq_seq"] if more else None)

    def get_dead_letter(self, dlq_id: str) -> DeadLetter | None:
        row = self._db.execute(f"{_DEAD_LETTER_SELECT} WHERE d.dlq_id = ?", (dlq_id,)).fetchone()
        return _dead_letter(row) if row else None

    def delete_dead_letters(self, dlq_ids: Iterable[str]) -> int:
        deleted = 0
        with self._transaction():
            for dlq_id in dlq_ids:
                row = self._db.execute(
                    "DELETE FROM dead_letter WHERE dlq_id = ? RETURNING message_id", (dlq_id,)
                ).fetchone()
                if row:
                    self._db.execute("DELETE FROM message WHERE id = ?", (row[0],))
                    deleted += 1
        return deleted

    def retry_dead_letter(self, dlq_id: str, *, new_id: str, now: float) -> bool:
        """Re-publish a dead letter as a new pending message ``new_id`` and drop it from the DLQ."""
        copied = ", ".join(
            c for c in _COLUMNS if c not in ("id", "created_at", "due_at", "retried")
        )
        with self._transaction():
            row = self._db.execute(
                "SELECT message_id FROM dead_letter WHERE dlq_id = ?", (dlq_id,)
            ).fetchone()
            if not row:
                return False
            self._db.execute(
                f"INSERT INTO message (id, created_at, due_at, retried, {copied})"
                f" SELECT ?, ?, ?, 0, {copied} FROM message WHERE id = ?",
                (new_id, now, now, row[0]),
            )
            self._db.execute("DELETE FROM dead_letter WHERE dlq_id = ?", (dlq_id,))
            self._db.execute("DELETE FROM message WHERE id = ?", (row[0],))
        return True

    def purge_deduplication(self, now: float) -> None:
        self._db.execute("DELETE FROM deduplication WHERE expires_at <= ?", (now,))

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
        return m.id, False

    def _due_filter(self, exclude_keys: Sequence[str]) -> tuple[str, tuple[str, ...]]:
        where = f"{_PENDING} AND in_flight = 0"
        if exclude_keys:
            marks = ", ".join("?" for _ in exclude_keys)
            where += f" AND (flow_key IS NULL OR flow_key NOT IN ({marks}))"
        return where, tuple(exclude_keys)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


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
