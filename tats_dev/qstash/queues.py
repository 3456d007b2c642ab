"""Queues: named lanes of messages (``/v2/enqueue/{queue}/...``) delivered ``parallelism`` at once.

A queue is a row of the store's ``queue`` table (name, parallelism, paused); enqueueing to an unknown queue creates it
with parallelism 1, as QStash does. ``Queues`` is also the delivery loop's gate: a paused queue
starts nothing, and a queue starts no more than its parallelism at once, in order: only its
first ``parallelism`` messages may start, so a message waiting for a retry holds back the ones
behind it (the store's due query enforces that). Deleting a queue
cancels the messages waiting in it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tats_dev.qstash.clock import Clock
from tats_dev.qstash.filters import Filter
from tats_dev.qstash.message import BadRequest, Message
from tats_dev.qstash.store import Store

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class Queue:
    name: str
    parallelism: int
    paused: bool
    created_at: float
    updated_at: float


class Queues:
    """The queues (kept in memory, written through to SQLite) and their delivery gate."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store, self._clock = store, clock
        self._queues = {
            row[0]: Queue(row[0], row[1], bool(row[2]), row[3], row[4])
            for row in store.db.execute("SELECT * FROM queue")
        }
        self._in_flight: Counter[str] = Counter()

    def get(self, name: str) -> Queue | None:
        return self._queues.get(name)

    def all(self) -> list[Queue]:
        return sorted(self._queues.values(), key=lambda q: q.name)

    def upsert(
        self, name: str, *, parallelism: int | None = None, paused: bool | None = None
    ) -> Queue:
        _check_name(name)
        now = self._clock.now()
        old = self._queues.get(name)
        queue = Queue(
            name,
            parallelism if parallelism is not None else (old.parallelism if old else 1),
            paused if paused is not None else (old.paused if old else False),
            old.created_at if old else now,
            now,
        )
        self._store.db.execute(
            "INSERT OR REPLACE INTO queue VALUES (?, ?, ?, ?, ?)",
            (queue.name, queue.parallelism, int(queue.paused), queue.created_at, now),
        )
        self._queues[name] = queue
        return queue

    def ensure(self, name: str) -> None:
        if name not in self._queues:
            self.upsert(name)

    def delete(self, name: str) -> bool:
        if self._queues.pop(name, None) is None:
            return False
        self._store.db.execute("DELETE FROM queue WHERE name = ?", (name,))
        self._store.cancel(Filter(values={"queueName": (name,)}), now=self._clock.now())
        return True

    def lag(self, name: str) -> int:
        return self._store.pending("queue = ?", (name,))

    # The delivery gate.

    def admit(self, m: Message) -> bool:
        if m.queue is None:
            return True
        queue = self._queues.get(m.queue)
        if queue is not None and (queue.paused or self._in_flight[m.queue] >= queue.parallelism):
            return False
        self._in_flight[m.queue] += 1
        return True

    def release(self, m: Message) -> None:
        if m.queue is not None:
            self._in_flight[m.queue] -= 1
            if self._in_flight[m.queue] <= 0:
                del self._in_flight[m.queue]

    def blocked(self) -> list[str]:
        """Queues that may not start a delivery now."""
        return [
            q.name
            for q in self._queues.values()
            if q.paused or self._in_flight[q.name] >= q.parallelism
        ]


def _queues(request: Request) -> Queues:
    queues: Queues = request.app.state.queues
    return queues


def _queue_json(queues: Queues, q: Queue) -> dict[str, Any]:
    return {
        "name": q.name,
        "parallelism": q.parallelism,
        "paused": q.paused,
        "lag": queues.lag(q.name),
        "createdAt": int(q.created_at * 1000),
        "updatedAt": int(q.updated_at * 1000),
    }


async def upsert_queue(request: Request) -> Response:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(data, dict) or not isinstance(data.get("queueName"), str):
        raise BadRequest('the body must be a JSON object with a "queueName"')
    parallelism = data.get("parallelism")
    if parallelism is not None and (not isinstance(parallelism, int) or parallelism < 1):
        raise BadRequest("parallelism must be a positive integer")
    paused = data.get("paused")
    _queues(request).upsert(
        data["queueName"], parallelism=parallelism or 1, paused=bool(paused) if paused else False
    )
    request.app.state.dispatcher.notify()
    return Response(status_code=200)


async def list_queues(request: Request) -> Response:
    queues = _queues(request)
    return JSONResponse([_queue_json(queues, q) for q in queues.all()])


async def get_queue(request: Request) -> Response:
    queues = _queues(request)
    queue = queues.get(request.path_params["name"])
    if queue is None:
        raise HTTPException(404, "queue not found")
    return JSONResponse(_queue_json(queues, queue))


async def delete_queue(request: Request) -> Response:
    _queues(request).delete(request.path_params["name"])  # deleting twice is no error
    return Response(status_code=200)


async def pause_queue(request: Request) -> Response:
    return _set_paused(request, True)


async def resume_queue(request: Request) -> Response:
    return _set_paused(request, False)


def _set_paused(request: Request, paused: bool) -> Response:
    queues, name = _queues(request), request.path_params["name"]
    if queues.get(name) is None:
        raise HTTPException(404, "queue not found")
    queues.upsert(name, paused=paused)
    request.app.state.dispatcher.notify()
    return Response(status_code=200)


def _check_name(name: str) -> None:
    if not name or len(name) > MAX_NAME_LENGTH or "/" in name:
        raise BadRequest(f"bad queue name {name[:MAX_NAME_LENGTH]!r}")


ROUTES = [
    Route("/v2/queues", upsert_queue, methods=["POST"]),
    Route("/v2/queues", list_queues, methods=["GET"]),
    Route("/v2/queues/{name}", get_queue, methods=["GET"]),
    Route("/v2/queues/{name}", delete_queue, methods=["DELETE"]),
    Route("/v2/queues/{name}/pause", pause_queue, methods=["POST"]),
    Route("/v2/queues/{name}/resume", resume_queue, methods=["POST"]),
]
