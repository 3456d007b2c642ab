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

import httpx

from tats_dev.qstash.backoff import next_retry_delay
from tats_dev.qstash.clock import Clock
from tats_dev.qstash.flow_control import FlowControl
from tats_dev.qstash.message import Message, Response, callback_message
from tats_dev.qstash.queues import Queues
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


DUE_PAGE = 16  # messages read per query while looking for ones that may start


class Dispatcher:
    """Runs deliveries from ``store`` over ``transport`` and records their outcome there."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        queues: Queues,
        clock: Clock,
        signing_key: str,
        delay_scale: float = 1.0,
        max_in_flight: int = 256,
    ) -> None:
        self._store = store
        self._clock = clock
        self._transport = transport
        self._signing_key = signing_key
        self._delay_scale = delay_scale
        self.max_in_flight = max_in_flight
        self.flow = FlowControl(store.db)
        self._queues = queues
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.in_flight = 0  # counted apart from _tasks, which shrinks only a loop turn later

    def notify(self) -> None:
        """Something changed (a publish, a finished delivery): look for due messages now."""
        self._wake.set()

    def start_due(self) -> None:
        """Start what may start now, without waiting for the loop's next turn (a request
        handler that must see every delivery published before it started)."""
        self._start_due(self._clock.now())

    async def run(self) -> None:
        purged_at = 0.0
        while True:
            self._wake.clear()
            now = self._clock.now()
            try:
                if now - purged_at > DEDUP_PURGE_INTERVAL:
                    self._store.purge(now)
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
        while (free := self.max_in_flight - self.in_flight) > 0:
            # Small pages: with a flow-control key at its parallelism, most due messages cannot
            # start, and reading (and parsing) all of them on every completion would cost
            # O(backlog) per delivery. A key that fills up is excluded from the next page.
            blocked, _ = self.flow.blocked(now)
            page = self._store.due(
                now,
                limit=min(free, DUE_PAGE),
                exclude_keys=blocked,
                exclude_queues=self._queues.blocked(),
            )
            if not page:
                return
            admitted = [m for m in page if self._admit(m, now)]
            self._store.claim(admitted, now=now)
            self.in_flight += len(admitted)
            for m in admitted:
                task = asyncio.create_task(self._deliver(m))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if len(page) < min(free, DUE_PAGE):
                return
        # Every slot is busy now: a finishing delivery wakes the loop.

    def _admit(self, m: Message, now: float) -> bool:
        if not self._queues.admit(m):
            return False
        if not self.flow.admit(m, now):
            self._queues.release(m)
            return False
        return True

    def _idle_timeout(self, now: float) -> float:
        if self.in_flight >= self.max_in_flight:
            return POLL_INTERVAL  # a finishing delivery wakes the loop
        blocked, reopens_at = self.flow.blocked(now)
        next_at = self._store.next_due_at(
            exclude_keys=blocked, exclude_queues=self._queues.blocked()
        )
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
            self.in_flight -= 1
            self.flow.release(m)
            self._queues.release(m)
            self._wake.set()

    async def _attempt(self, m: Message) -> Response:
        headers = {
            **m.headers,
            "User-Agent": "Upstash-QStash",
            "Upstash-Signature": sign(
                key=self._signing_key, url=m.destination, body=m.body, now=self._clock.now()
            ),
            "Upstash-Message-Id": m.id,
            "Upstash-Retried": str(m.retried),
        }
        if m.caller_ip:
            headers["Upstash-Caller-Ip"] = m.caller_ip
        if m.schedule_id:
            headers["Upstash-Schedule-Id"] = m.schedule_id
        if m.url_group:
            headers["Upstash-Topic-Name"] = m.url_group
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
        now = self._clock.now()
        if 200 <= response.status < 300:
            callback = callback_message(m, response, now=now) if m.callback else None
            self._store.complete(m, response, now=now, callback=callback)
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
            self._store.dead_letter(m, response, dlq_id=dlq_id, now=now, callback=callback)
            return
        delay = next_retry_delay(
            m.retried + 1,
            expression=m.retry_delay,
            retry_after=response.header("Retry-After"),
            scale=self._delay_scale,
            now=now,
        )
        self._store.reschedule(m, response, retried=m.retried + 1, due_at=now + delay, now=now)
