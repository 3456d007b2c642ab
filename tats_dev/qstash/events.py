"""The log of what happened to each message, as ``GET /v2/events`` lists it (the SDK's logs).

States, as QStash records them: ``CREATED`` (accepted), ``ACTIVE`` (a delivery attempt
started), ``DELIVERED``, ``ERROR`` (an attempt failed), ``RETRY`` (waiting for the next attempt,
with ``nextDeliveryTime``), ``FAILED`` (retries ran out: in the DLQ) and ``CANCELED``.

Events are rows of the store's SQLite database, written in the same transaction as the change
they describe, so the log never disagrees with the messages after a crash. Listing is newest
first; the cursor is the sequence number to continue below. Old events are pruned to
``MAX_EVENTS``, and a body shows in the ``CREATED`` event only up to ``MAX_EVENT_BODY`` bytes.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from tats_dev.qstash.filters import Filter
from tats_dev.qstash.message import Message, Response

SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL, message_id TEXT NOT NULL, state TEXT NOT NULL, url TEXT NOT NULL,
    url_group TEXT, queue TEXT, schedule_id TEXT, label TEXT, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_message ON event (message_id);
-- What an event shows of its message besides the body; outlives the delivered message.
CREATE TABLE IF NOT EXISTS message_meta (
    id TEXT PRIMARY KEY, method TEXT, headers TEXT, max_retries INTEGER, retry_delay TEXT,
    callback TEXT, failure_callback TEXT, timeout REAL, flow_key TEXT, parallelism INTEGER,
    rate INTEGER, period REAL, endpoint_name TEXT, caller_ip TEXT
);
"""
MAX_EVENTS = 50_000
MAX_EVENT_BODY = 8 * 1024  # a CREATED event shows the body up to this size (the log stays small)
MAX_PAGE = 1000
# Filters of GET /v2/events and their columns.
COLUMNS = {
    "messageId": "message_id",
    "state": "state",
    "url": "url",
    "topicName": "url_group",
    "queueName": "queue",
    "scheduleId": "schedule_id",
    "label": "label",
}
_INSERT = (
    "INSERT INTO event (time, message_id, state, url, url_group, queue, schedule_id, label, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def record(
    db: sqlite3.Connection,
    m: Message,
    state: str,
    now: float,
    *,
    response: Response | None = None,
    next_delivery: float | None = None,
) -> None:
    """Log that ``m`` entered ``state`` (inside the caller's transaction)."""
    details: dict[str, Any] = {}
    if state == "CREATED":
        if len(m.body) <= MAX_EVENT_BODY:
            details["body"] = base64.b64encode(m.body).decode()
        db.execute(
            "INSERT OR REPLACE INTO message_meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                m.id,
                m.method,
                json.dumps(m.headers),
                m.max_retries,
                m.retry_delay,
                m.callback,
                m.failure_callback,
                m.timeout,
                m.flow_key,
                m.parallelism,
                m.rate,
                m.period,
                m.endpoint_name,
                m.caller_ip,
            ),
        )
    if response is not None:
        if response.status:
            details["responseStatus"] = response.status
            details["responseBody"] = response.body.decode("utf-8", "replace")
            headers: dict[str, list[str]] = {}
            for name, value in response.headers:
                headers.setdefault(name, []).append(value)
            details["responseHeader"] = headers
        if state == "ERROR":
            details["error"] = response.error or f"{response.status} {response.body[:200]!r}"
    if next_delivery is not None:
        details["nextDeliveryTime"] = int(next_delivery * 1000)
    db.execute(
        _INSERT,
        (
            now,
            m.id,
            state,
            m.destination,
            m.url_group,
            m.queue,
            m.schedule_id,
            m.label,
            json.dumps(details),
        ),
    )


def record_all(db: sqlite3.Connection, messages: Sequence[Message], state: str, now: float) -> None:
    for m in messages:
        record(db, m, state, now)


def list_events(
    db: sqlite3.Connection, event_filter: Filter, *, cursor: int | None, count: int | None
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of events matching ``event_filter``, newest first, and the next cursor."""
    where, params = event_filter.sql(COLUMNS, id_column="e.message_id", time_column="e.time")
    if cursor is not None:
        where += " AND e.seq < ?"
        params.append(cursor)
    count = min(MAX_PAGE, count or MAX_PAGE)
    rows = db.execute(
        "SELECT e.*, m.method, m.headers, m.max_retries, m.retry_delay, m.callback,"
        " m.failure_callback, m.timeout, m.flow_key, m.parallelism, m.rate, m.period,"
        " m.endpoint_name, m.caller_ip"
        f" FROM event e LEFT JOIN message_meta m ON m.id = e.message_id WHERE {where}"
        " ORDER BY e.seq DESC LIMIT ?",
        (*params, count + 1),
    ).fetchall()
    more = len(rows) > count
    rows = rows[:count]
    return [_event_json(row) for row in rows], (rows[-1]["seq"] if more else None)


def prune(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM event WHERE seq <= (SELECT MAX(seq) FROM event) - ?", (MAX_EVENTS,))
    db.execute("DELETE FROM message_meta WHERE id NOT IN (SELECT message_id FROM event)")


def _event_json(row: sqlite3.Row) -> dict[str, Any]:
    data: dict[str, Any] = {
        "time": int(row["time"] * 1000),
        "messageId": row["message_id"],
        "state": row["state"],
        "url": row["url"],
        "topicName": row["url_group"],
        "queueName": row["queue"],
        "scheduleId": row["schedule_id"],
        "label": row["label"],
        "endpointName": row["endpoint_name"],
        "method": row["method"],
        "maxRetries": row["max_retries"],
        "retryDelayExpr": row["retry_delay"],
        "callback": row["callback"],
        "failureCallback": row["failure_callback"],
        "callerIp": row["caller_ip"],
        **json.loads(row["data"]),
    }
    if row["headers"] is not None:
        data["header"] = {k: [v] for k, v in json.loads(row["headers"]).items()}
    if row["timeout"] is not None:
        data["timeout"] = int(row["timeout"])
    if row["flow_key"] is not None:
        data.update(flowControlKey=row["flow_key"], parallelism=row["parallelism"])
        data.update(rate=row["rate"], period=int(row["period"] or 1))
    return {key: value for key, value in data.items() if value is not None}
