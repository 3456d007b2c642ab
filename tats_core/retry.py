"""Trying again: the one ``Retry-After`` parser and the ``Backoff`` policy of TATS.

GitHub and Cohere answer transient faults (5xx, 429, secondary rate limits, timeouts) that are
usually gone a second later, so their clients retry a few times themselves before raising a
transient error for the queue to retry the whole candidate (issue #11). ``Backoff`` says how
long to wait before each try: exponential with full jitter, the service's ``Retry-After`` when
it gave one, and bounded both per wait and in total, so one candidate never holds a worker for
long. Clock, sleep and randomness are injected so tests never wait for real.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")

ONE_DAY = 86_400.0

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": ONE_DAY}


def parse_duration(text: str) -> float:
    """Seconds in ``"10s"``, ``"6m5s"``, ``"500ms"``, ``"3d5h12m"`` or a bare ``"12"`` (seconds)."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 10s, 6m5s, 2h, 1d)")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds, an HTTP date (RFC 1123) or
    QStash's ``6m5s``; ``None`` when absent or unreadable. Never negative, at most a day."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return min(ONE_DAY, max(0.0, parse_duration(value)))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    now = time.time() if now is None else now
    return min(ONE_DAY, max(0.0, when.timestamp() - now))


def retry_after_header(headers: object, *, now: float | None = None) -> float | None:
    """``parse_retry_after`` of the ``retry-after`` entry of a headers mapping (any case)."""
    items = getattr(headers, "items", None)
    if items is None:
        return None
    for key, value in items():
        if str(key).lower() == "retry-after":
            return parse_retry_after(str(value), now=now)
    return None


class RetryableFault(Exception):
    """Raised inside a retried call: try again (after ``retry_after`` s if the service said so).
    ``error`` is what to raise when no try is left."""

    def __init__(self, error: Exception, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass(frozen=True)
class Backoff:
    """How a client retries a transient fault: at most ``tries`` calls in all; before try n+1 it
    waits a jittered ``base * 2**(n-1)`` (at most ``max_wait``) or the service's Retry-After,
    and gives up early rather than wait beyond ``max_wait`` once or ``total_wait`` in all
    (the queue retries the candidate later, without holding a worker)."""

    tries: int = 3
    base: float = 0.5
    max_wait: float = 10.0
    total_wait: float = 20.0
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds before retry ``retry_number`` (1, 2, ...): Retry-After plus a little jitter
        (so many clients told the same moment do not arrive together), else full jitter over
        the exponential step."""
        if retry_after is not None:
            return retry_after + self.rand() * min(1.0, self.base)
        step = min(self.max_wait, self.base * 2 ** (retry_number - 1))
        return step * (0.5 + 0.5 * self.rand())

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_retry: Callable[[RetryableFault, float], None] | None = None,
    ) -> T:
        """``await call()`` until it returns; it raises ``RetryableFault`` to ask for another
        try. When the tries or the wait budget are spent, raise the fault's ``error``."""
        waited = 0.0
        for retry_number in range(1, self.tries + 1):
            try:
                return await call()
            except RetryableFault as fault:
                wait = self.delay(retry_number, fault.retry_after)
                last_try = retry_number >= self.tries
                if last_try or wait > self.max_wait or waited + wait > self.total_wait:
                    raise fault.error from fault
                if on_retry is not None:
                    on_retry(fault, wait)
                waited += wait
                await sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover
