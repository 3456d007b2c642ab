"""The delivery loop: due messages out, signed; retries, dead letters and callbacks back in.

One asyncio task picks due messages from the store and starts one task per delivery, up to
``max_in_flight`` at once and within each flow-control key's parallelism and rate. It wakes
when a message is published (``notify``) or a delivery ends, and otherwise at the next due
time, polling at least every ``POLL_INTERVAL`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field

import httpx

from tats_dev.qstash.backoff import next_retry_delay
from tats_dev.qstash.message import Message, Response, callback_message
from tats_dev.qstash.signing import sign
from tats_dev.qstash.store import Store

logger = logging.getLogger("tats_dev.qstash")

POLL_INTERVAL = 0.2
DEDUP_PURGE_INTERVAL = 60.0
MAX_RESPONSE_BYTES = 1024 * 1024
CONNECTIONS_PER_CLIENT = 8


class Transport:
    """Sends deliveries over several small ``httpx.AsyncClient`` pools.

    httpcore scans every connection of a pool on each request, so one pool of 256 connections
    spends several times the CPU per delivery that pools of 8 do; each request goes to the
    least busy client, which always has a free connection while the dispatcher keeps within
    ``connections`` in flight.
    """

    def __init__(self, *, connections: int) -> None:
        ssl_context = httpx.create_ssl_context()  # loaded once, not once per client
        limits = httpx.Limits(max_connections=CONNECTIONS_PER_CLIENT)
        self._clients = [
            # trust_env=False: deliveries go straight to the destination, never via a proxy.
            httpx.AsyncClient(limits=limits, verify=ssl_context, trust_env=False)
            for _ in range(math.ceil(connections / CONNECTIONS_PER_CLIENT))
        ]
        self._busy = [0] * len(self._clients)

    async def request(
        self, method: str, url: str, *, content: bytes, headers: dict[str, str], timeout: float
    ) -> httpx.Response:
        index = self._busy.index(min(self._busy))
        self._busy[index] += 1
        try:
            return await self._clients[index].request(
                method, url, content=content, headers=headers, timeout=timeout
            )
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients))


@dataclass
class _KeyState:
    in_flight: int = 0
    started_at: deque[float] = field(default_factory=deque)


class FlowControl:
    """Per-key gate: at most ``parallelism`` in flight and ``rate`` starts per ``period``."""

    def __init__(self) -> None:
        self._keys: dict[str, _KeyState] = defaultdict(_KeyState)
        self._limits: dict[str, Message] = {}  # the latest limits seen for each key

    def admit(self, m: Message, now: float) -> bool:
        if m.flow_key is None:
            return True
        self._limits[m.flow_key] = m
        if self._wait(m.flow_key, now) is not None:
            return False
        state = self._keys[m.flow_key]
        state.in_flight += 1
        if m.rate is not None:
            state.started_at.append(now)
        return True

    def release(self, m: Message) -> None:
        if m.flow_key is not None:
            self._keys[m.flow_key].in_flight -= 1

    def blocked(self, now: float) -> tuple[list[str], float | None]:
        """Keys that may not start a delivery now, and the earliest time a rate limit lifts."""
        keys, reopens_at = [], None
        for key in list(self._limits):
            wait = self._wait(key, now)
            state = self._keys[key]
            if wait is None and state.in_flight == 0 and not state.started_at:
                del self._limits[key], self._keys[key]  # idle: forget it until it comes back
                continue
            if wait is not None:
                keys.append(key)
                if wait > 0:
                    reopens_at = min(reopens_at or now + wait, now + wait)
        return keys, reopens_at

    def _wait(self, key: str, now: float) -> float | None:
        """None when ``key`` may start now; else seconds until its rate lifts (0: parallelism)."""
        limits, state = self._limits[key], self._keys[key]
        while state.started_at and state.started_at[0] <= now - (limits.period or 1.0):
            state.started_at.popleft()
        if limits.rate is not None and len(state.started_at) >= limits.rate:
            return state.started_at[0] + (limits.period or 1.0) - now
        if limits.parallelism is not None and state.in_flight >= limits.parallelism:
            return 0.0
        return None


DUE_PAGE = 16  # messages read per query while looking for ones that may start


class Dispatcher:
    """Runs deliveries from ``store`` over ``transport`` and records their outcome there."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        signing_key: str,
        delay_scale: float = 1.0,
        max_in_flight: int = 256,
    ) -> None:
        self._store = store
        self._transport = transport
        self._signing_key = signing_key
        self._delay_scale = delay_scale
        self._max_in_flight = max_in_flight
        self._flow = FlowControl()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0  # counted apart from _tasks, which shrinks only a loop turn later

    def notify(self) -> None:
        """Something changed (a publish, a finished delivery): look for due messages now."""
        self._wake.set()

    async def run(self) -> None:
        purged_at = 0.0
        while True:
            self._wake.clear()
            now = time.time()
            try:
                if now - purged_at > DEDUP_PURGE_INTERVAL:
                    self._store.purge_deduplication(now)
                    purged_at = now
                self._start_due(now)
                timeout = self._idle_timeout(now)
            except Exception:  # e.g. a locked or full disk: keep the server up, try again
                logger.exception("the delivery loop failed; retrying")
                timeout = POLL_INTERVAL
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def aclose(self) -> None:
        """Abandon deliveries in flight; they stay pending in the store and run after a restart."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start_due(self, now: float) -> None:
        """Start every delivery that may start now."""
        while (free := self._max_in_flight - self._in_flight) > 0:
            # Small pages: with a flow-control key at its parallelism, most due messages cannot
            # start, and reading (and parsing) all of them on every completion would cost
            # O(backlog) per delivery. A key that fills up is excluded from the next page.
            blocked, _ = self._flow.blocked(now)
            page = self._store.due(now, limit=min(free, DUE_PAGE), exclude_keys=blocked)
            if not page:
                return
            admitted = [m for m in page if self._flow.admit(m, now)]
            self._store.claim([m.id for m in admitted])
            self._in_flight += len(admitted)
            for m in admitted:
                task = asyncio.create_task(self._deliver(m))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if len(page) < min(free, DUE_PAGE):
                return
        # Every slot is busy now: a finishing delivery wakes the loop.

    def _idle_timeout(self, now: float) -> float:
        if self._in_flight >= self._max_in_flight:
            return POLL_INTERVAL  # a finishing delivery wakes the loop
        blocked, reopens_at = self._flow.blocked(now)
        next_at = self._store.next_due_at(exclude_keys=blocked)
        if reopens_at is not None:
            next_at = min(next_at or reopens_at, reopens_at)
        if next_at is None:
            return POLL_INTERVAL
        return min(POLL_INTERVAL, max(0.001, next_at - now))

    async def _deliver(self, m: Message) -> None:
        try:
            response = await self._attempt(m)
            self._settle(m, response)
        except Exception:
            logger.exception("delivery of %s failed inside the server", m.id)
        finally:
            self._in_flight -= 1
            self._flow.release(m)
            self._wake.set()

    async def _attempt(self, m: Message) -> Response:
        headers = {
            **m.headers,
            "User-Agent": "Upstash-QStash",
            "Upstash-Signature": sign(key=self._signing_key, url=m.destination, body=m.body),
            "Upstash-Message-Id": m.id,
            "Upstash-Retried": str(m.retried),
        }
        started = time.perf_counter()
        try:
            reply = await self._transport.request(
                m.method, m.destination, content=m.body, headers=headers, timeout=m.timeout
            )
            response = Response(
                reply.status_code, reply.headers.multi_items(), reply.content[:MAX_RESPONSE_BYTES]
            )
        except httpx.TimeoutException:
            response = Response(0, [], b"", error=f"no response within {m.timeout:g}s")
        except httpx.HTTPError as exc:
            response = Response(0, [], b"", error=f"{type(exc).__name__}: {exc}")
        logger.info(
            "delivery %s attempt=%d %s %s -> %s in %dms",
            m.id,
            m.retried + 1,
            m.method,
            m.destination,
            response.status or response.error,
            (time.perf_counter() - started) * 1000,
        )
        return response

    def _settle(self, m: Message, response: Response) -> None:
        now = time.time()
        if 200 <= response.status < 300:
            callback = callback_message(m, response, now=now) if m.callback else None
            self._store.complete(m.id, callback=callback)
            return
        non_retryable = (
            response.status == 489
            and (response.header("Upstash-NonRetryable-Error") or "").lower() == "true"
        )
        if non_retryable or m.retried >= m.max_retries:
            dlq_id = f"dlq_{uuid.uuid4().hex}"
            callback = None
            if m.failure_callback:
                callback = callback_message(m, response, now=now, dlq_id=dlq_id)
            self._store.dead_letter(m.id, response, dlq_id=dlq_id, now=now, callback=callback)
            return
        delay = next_retry_delay(
            m.retried + 1,
            expression=m.retry_delay,
            retry_after=response.header("Retry-After"),
            scale=self._delay_scale,
            now=now,
        )
        self._store.reschedule(m.id, retried=m.retried + 1, due_at=now + delay)
