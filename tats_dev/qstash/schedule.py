"""Schedules: a publish request kept with a cron expression, published again at each firing.

``POST /v2/schedules/{destination}`` takes the headers and body of a publish plus
``Upstash-Cron`` (``CRON_TZ=<zone>`` prefix allowed) and optionally ``Upstash-Schedule-Id``
(create or replace that id) and ``Upstash-Queue-Name``. The request is stored as it came, so each
firing builds its message with the same parser as a publish: signed and delivered like any
other, with ``scheduleId`` set. A schedule is a SQLite row with its next firing time; a firing
inserts its messages and advances that time in one transaction, so a schedule survives
``kill -9`` and fires once (not once per missed time) when the server comes back late.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tats_dev.qstash.clock import Clock
from tats_dev.qstash.cron import CronError, parse_cron
from tats_dev.qstash.message import BadRequest, Message, is_url, parse_message
from tats_dev.qstash.queues import Queues
from tats_dev.qstash.store import Store
from tats_dev.qstash.topics import Topics

logger = logging.getLogger("tats_dev.qstash")

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedule (
    id TEXT PRIMARY KEY, cron TEXT NOT NULL, destination TEXT NOT NULL, headers TEXT NOT NULL,
    body BLOB NOT NULL, queue TEXT, caller_ip TEXT, paused INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, next_at REAL NOT NULL, last_at REAL, last_message_id TEXT,
    error TEXT
);
"""
MAX_WAIT = 1.0  # the firing loop looks at the table at least this often
PREFIX = "/v2/schedules/"


@dataclass(frozen=True)
class Schedule:
    id: str
    cron: str
    destination: str
    headers: dict[str, str]  # the create request's Content-Type and Upstash-* headers
    body: bytes
    queue: str | None
    caller_ip: str | None
    paused: bool
    created_at: float
    next_at: float
    last_at: float | None = None
    last_message_id: str | None = None
    error: str | None = None

    def message(self, now: float) -> Message:
        """The message this schedule publishes at ``now`` (one per endpoint of a URL group)."""
        m = parse_message(
            self.destination,
            self.body,
            self.headers,
            now=now,
            url_group=not is_url(self.destination),
        )
        return dataclasses.replace(
            m, schedule_id=self.id, queue=self.queue, caller_ip=self.caller_ip
        )


class Schedules:
    """The schedules' rows, and the loop that fires them."""

    def __init__(self, store: Store, topics: Topics, queues: Queues, clock: Clock) -> None:
        self._store, self._topics, self._queues = store, topics, queues
        self.clock = clock
        self._db = store.db
        self._db.executescript(SCHEMA)
        self._wake = asyncio.Event()
        self.on_fired: list[Any] = []  # callables run after a firing (the dispatcher's notify)

    def notify(self) -> None:
        """The schedules or the time changed: look for due schedules now."""
        self._wake.set()

    def upsert(self, schedule: Schedule) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO schedule VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row(schedule),
        )
        self._wake.set()

    def get(self, schedule_id: str) -> Schedule | None:
        row = self._db.execute("SELECT * FROM schedule WHERE id = ?", (schedule_id,)).fetchone()
        return _from_row(row) if row else None

    def all(self) -> list[Schedule]:
        rows = self._db.execute("SELECT * FROM schedule ORDER BY created_at, id").fetchall()
        return [_from_row(row) for row in rows]

    def delete(self, schedule_id: str) -> bool:
        return bool(self._db.execute("DELETE FROM schedule WHERE id = ?", (schedule_id,)).rowcount)

    def set_paused(self, schedule_id: str, paused: bool) -> bool:
        schedule = self.get(schedule_id)
        if schedule is None:
            return False
        next_at = schedule.next_at
        if not paused and schedule.paused:  # resuming: the next time from now on
            next_at = parse_cron(schedule.cron).next_after(self.clock.now())
        self._db.execute(
            "UPDATE schedule SET paused = ?, next_at = ? WHERE id = ?",
            (int(paused), next_at, schedule_id),
        )
        self._wake.set()
        return True

    async def run(self) -> None:
        while True:
            self._wake.clear()
            now = self.clock.now()
            try:
                fired = self.fire_due(now)
                if fired:
                    for callback in self.on_fired:
                        callback()
                row = self._db.execute("SELECT MIN(next_at) FROM schedule WHERE paused = 0")
                next_at = row.fetchone()[0]
                timeout = MAX_WAIT if next_at is None else min(MAX_WAIT, max(0.01, next_at - now))
            except Exception:
                logger.exception("the schedule loop failed; retrying")
                timeout = MAX_WAIT
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def fire_due(self, now: float) -> int:
        """Publish every schedule due by ``now`` once and advance it; how many fired."""
        rows = self._db.execute(
            "SELECT * FROM schedule WHERE paused = 0 AND next_at <= ?", (now,)
        ).fetchall()
        for row in rows:
            self._fire(_from_row(row), now)
        return len(rows)

    def _fire(self, schedule: Schedule, now: float) -> None:
        next_at = parse_cron(schedule.cron).next_after(now)
        error, first_id = None, None
        try:
            messages = self._topics.fan_out(schedule.message(now))
        except BadRequest as exc:
            messages, error = [], str(exc)
        if schedule.queue:
            self._queues.ensure(schedule.queue)
        with self._store.transaction():
            results = self._store.add_in_transaction(messages, now=now)
            first_id = results[0][0] if results else None
            self._db.execute(
                "UPDATE schedule SET next_at = ?, last_at = ?, last_message_id = ?, error = ?"
                " WHERE id = ? AND next_at = ?",
                (next_at, now, first_id, error, schedule.id, schedule.next_at),
            )
        logger.info("schedule %s fired: %s", schedule.id, first_id or error)


def _row(s: Schedule) -> tuple[Any, ...]:
    return (
        s.id,
        s.cron,
        s.destination,
        json.dumps(s.headers),
        s.body,
        s.queue,
        s.caller_ip,
        int(s.paused),
        s.created_at,
        s.next_at,
        s.last_at,
        s.last_message_id,
        s.error,
    )


def _from_row(row: sqlite3.Row) -> Schedule:
    return Schedule(
        id=row["id"],
        cron=row["cron"],
        destination=row["destination"],
        headers=json.loads(row["headers"]),
        body=row["body"],
        queue=row["queue"],
        caller_ip=row["caller_ip"],
        paused=bool(row["paused"]),
        created_at=row["created_at"],
        next_at=row["next_at"],
        last_at=row["last_at"],
        last_message_id=row["last_message_id"],
        error=row["error"],
    )


def schedule_json(s: Schedule) -> dict[str, Any]:
    m = s.message(s.created_at)
    data: dict[str, Any] = {
        "scheduleId": s.id,
        "cron": s.cron,
        "destination": s.destination,
        "method": m.method,
        "header": {name: [value] for name, value in m.headers.items()},
        "retries": m.max_retries,
        "retryDelayExpression": m.retry_delay,
        "callback": m.callback,
        "failureCallback": m.failure_callback,
        "callbackHeader": {k: [v] for k, v in m.callback_headers.items()} or None,
        "failureCallbackHeader": {k: [v] for k, v in m.failure_callback_headers.items()} or None,
        "delay": int(m.due_at - s.created_at) or None,
        "timeout": int(m.timeout),
        "callerIP": s.caller_ip,
        "isPaused": s.paused,
        "queueName": s.queue,
        "label": m.label,
        "createdAt": int(s.created_at * 1000),
        "nextScheduleTime": None if s.paused else int(s.next_at * 1000),
        "lastScheduleTime": int(s.last_at * 1000) if s.last_at else None,
        "error": s.error,
    }
    try:
        data["body"] = s.body.decode()
    except UnicodeDecodeError:
        data["bodyBase64"] = base64.b64encode(s.body).decode()
    if m.flow_key is not None:
        data.update(flowControlKey=m.flow_key, parallelism=m.parallelism, rate=m.rate)
        data["period"] = int(m.period or 1)
    return {key: value for key, value in data.items() if value is not None}


def _schedules(request: Request) -> Schedules:
    schedules: Schedules = request.app.state.schedules
    return schedules


async def create_schedule(request: Request) -> Response:
    destination = request.scope["raw_path"].decode("latin-1").removeprefix(PREFIX)
    query = request.scope["query_string"].decode("latin-1")
    kept = "&".join(p for p in query.split("&") if p and not p.startswith("qstash_token="))
    if kept:
        destination += "?" + kept
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.startswith("upstash-") or name == "content-type"
    }
    cron_text = headers.pop("upstash-cron", "")
    if not cron_text:
        raise BadRequest("Upstash-Cron is required")
    try:
        cron = parse_cron(cron_text)
    except CronError as exc:
        raise BadRequest(f"Upstash-Cron: {exc}") from None
    schedule_id = headers.pop("upstash-schedule-id", None) or f"scd_{uuid.uuid4().hex}"
    queue = headers.pop("upstash-queue-name", None)
    now = _schedules(request).clock.now()
    client = request.client
    schedule = Schedule(
        id=schedule_id,
        cron=cron_text,
        destination=destination,
        headers=headers,
        body=await request.body(),
        queue=queue,
        caller_ip=client.host if client else None,
        paused=False,
        created_at=now,
        next_at=cron.next_after(now),
    )
    schedule.message(now)  # the same checks as a publish: a bad header is refused now
    if not is_url(destination) and request.app.state.topics.get(destination) is None:
        raise BadRequest(f"destination {destination[:200]!r} is neither a URL nor a URL group")
    _schedules(request).upsert(schedule)
    return JSONResponse({"scheduleId": schedule_id}, status_code=201)


async def list_schedules(request: Request) -> Response:
    return JSONResponse([schedule_json(s) for s in _schedules(request).all()])


async def get_schedule(request: Request) -> Response:
    schedule = _schedules(request).get(request.path_params["schedule_id"])
    if schedule is None:
        raise HTTPException(404, "schedule not found")
    return JSONResponse(schedule_json(schedule))


async def delete_schedule(request: Request) -> Response:
    _schedules(request).delete(request.path_params["schedule_id"])
    return Response(status_code=200)


async def pause_schedule(request: Request) -> Response:
    return _set_paused(request, True)


async def resume_schedule(request: Request) -> Response:
    return _set_paused(request, False)


def _set_paused(request: Request, paused: bool) -> Response:
    if not _schedules(request).set_paused(request.path_params["schedule_id"], paused):
        raise HTTPException(404, "schedule not found")
    return Response(status_code=200)


ROUTES = [
    Route("/v2/schedules", list_schedules, methods=["GET"]),
    Route("/v2/schedules/{schedule_id}/pause", pause_schedule, methods=["PATCH"]),
    Route("/v2/schedules/{schedule_id}/resume", resume_schedule, methods=["PATCH"]),
    Route("/v2/schedules/{schedule_id}", get_schedule, methods=["GET"]),
    Route("/v2/schedules/{schedule_id}", delete_schedule, methods=["DELETE"]),
    Route("/v2/schedules/{destination:path}", create_schedule, methods=["POST"]),
]
