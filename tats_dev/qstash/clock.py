"""The server's one clock: every part reads the time from it, so tests can move time forward.

``Clock`` is the wall clock, what ``tats qstash-dev`` runs on. ``ShiftedClock`` keeps the wall
clock's pace, shifted by an offset that only grows: ``advance(seconds)`` makes what would happen
within that time (a schedule's next firing, a retry's due time) happen now, and wakes the loops
waiting on the time. It is for tests only: ``create_app(clock=ShiftedClock(...))`` in process,
and ``python -m tats_dev.qstash_server --test-clock OFFSET`` (which adds ``POST /dev/clock``)
for a server in another process.

A delivery is signed at the clock's time (the JWT's ``nbf``), and ``qstash.Receiver`` refuses a
signature from its future: start a ``ShiftedClock`` behind the wall clock (a negative offset,
less than the signature's lifetime) by at least as much as a test will advance it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tats_dev.qstash.message import BadRequest

Listener = Callable[[], None]


class Clock:
    """The wall clock; listeners hear of jumps in time, which the wall clock never makes."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        """Unix seconds."""
        return time.time()

    def on_jump(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after each jump (from any thread); returns its removal."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._remove(listener)

    def _remove(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _jumped(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


class ShiftedClock(Clock):
    """The wall clock plus ``offset`` seconds, moved forward by ``advance`` (tests only)."""

    def __init__(self, offset: float = 0.0) -> None:
        super().__init__()
        self._offset = offset

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Jump ``seconds`` (>= 0) forward; returns the new time."""
        if not seconds >= 0:
            raise ValueError(f"a clock only moves forward, not by {seconds!r} s")
        if seconds:
            with self._lock:
                self._offset += seconds
            self._jumped()
        return self.now()

    def advance_to(self, when: float) -> float:
        """Jump to unix time ``when`` (no jump if that has passed); returns the new time."""
        return self.advance(max(0.0, when - self.now()))


async def read_clock(request: Request) -> Response:
    return JSONResponse({"now": request.app.state.clock.now()})


async def move_clock(request: Request) -> Response:
    """``{"advance": seconds}`` or ``{"to": unix seconds}``; answers the clock's new time."""
    clock: ShiftedClock = request.app.state.clock
    try:
        data = json.loads(await request.body() or b"{}")
        (how, value), *rest = data.items()
        value = float(value)
    except (ValueError, AttributeError, TypeError):
        raise BadRequest('the body must be {"advance": seconds} or {"to": unix seconds}') from None
    if rest or how not in ("advance", "to") or not math.isfinite(value):
        raise BadRequest('the body must be {"advance": seconds} or {"to": unix seconds}')
    if how == "advance" and value < 0:
        raise BadRequest("the clock only moves forward")
    now = clock.advance(value) if how == "advance" else clock.advance_to(value)
    return JSONResponse({"now": now})


# Served only by a server built with a ``ShiftedClock`` (tests), behind the token like ``/v2/``.
ROUTES = [
    Route("/dev/clock", read_clock, methods=["GET"]),
    Route("/dev/clock", move_clock, methods=["POST"]),
]
