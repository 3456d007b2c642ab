"""Flow control: the per-key gate of deliveries, and its management API.

Messages sharing ``Upstash-Flow-Control-Key`` start at most ``parallelism`` deliveries at once
and ``rate`` per ``period``; they wait, never fail. ``/v2/flowControl/{key}`` shows a key and
pauses, resumes, pins (overrides the messages' limits), unpins and resets its rate;
``/v2/globalParallelism`` shows the server-wide limit. Pauses and pins are SQLite rows, so they
survive a restart; counters live in memory.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tats_dev.qstash.message import BadRequest, Message

SCHEMA = """
CREATE TABLE IF NOT EXISTS flow_control (
    key TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0,
    pin_parallelism INTEGER, pin_rate INTEGER, pin_period REAL
);
"""


@dataclass
class _KeyState:
    in_flight: int = 0
    started_at: deque[float] = field(default_factory=deque)


@dataclass
class Setting:
    """What the API set for a key: paused, and pinned limits (None: the messages' own)."""

    paused: bool = False
    parallelism: int | None = None
    rate: int | None = None
    period: float | None = None


@dataclass(frozen=True)
class Limits:
    parallelism: int | None
    rate: int | None
    period: float


class FlowControl:
    """Per-key gate: at most ``parallelism`` in flight and ``rate`` starts per ``period``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        db.executescript(SCHEMA)
        self._keys: dict[str, _KeyState] = defaultdict(_KeyState)
        self._seen: dict[str, Limits] = {}  # the latest limits a message of each key carried
        self._settings: dict[str, Setting] = {
            row[0]: Setting(bool(row[1]), row[2], row[3], row[4])
            for row in db.execute("SELECT * FROM flow_control")
        }

    def admit(self, m: Message, now: float) -> bool:
        if m.flow_key is None:
            return True
        self._seen[m.flow_key] = Limits(m.parallelism, m.rate, m.period or 1.0)
        if self._wait(m.flow_key, now) is not None:
            return False
        state = self._keys[m.flow_key]
        state.in_flight += 1
        state.started_at.append(now)
        return True

    def release(self, m: Message) -> None:
        if m.flow_key is not None:
            self._keys[m.flow_key].in_flight -= 1

    def blocked(self, now: float) -> tuple[list[str], float | None]:
        """Keys that may not start a delivery now, and the earliest time a rate limit lifts."""
        keys = [key for key, s in self._settings.items() if s.paused]
        reopens_at = None
        for key in list(self._seen):
            wait = self._wait(key, now)
            state = self._keys[key]
            if wait is None and state.in_flight == 0 and not state.started_at:
                del self._seen[key], self._keys[key]  # idle: forget it until it comes back
                continue
            if wait is not None and key not in keys:
                keys.append(key)
                if wait > 0:
                    reopens_at = min(reopens_at or now + wait, now + wait)
        return keys, reopens_at

    def limits(self, key: str) -> Limits:
        seen = self._seen.get(key, Limits(None, None, 1.0))
        pin = self._settings.get(key, Setting())
        return Limits(
            pin.parallelism if pin.parallelism is not None else seen.parallelism,
            pin.rate if pin.rate is not None else seen.rate,
            pin.period if pin.rate is not None and pin.period else seen.period,
        )

    def info(self, key: str, waiting: int, now: float) -> dict[str, Any]:
        limits, setting = self.limits(key), self._settings.get(key, Setting())
        state = self._keys.get(key, _KeyState())
        self._expire(state, limits, now)
        return {
            "flowControlKey": key,
            "waitListSize": waiting,
            "parallelismMax": limits.parallelism or 0,
            "parallelismCount": state.in_flight,
            "rateMax": limits.rate or 0,
            "rateCount": len(state.started_at) if limits.rate else 0,
            "ratePeriod": int(limits.period),
            "ratePeriodStart": int(state.started_at[0] * 1000) if state.started_at else 0,
            "isPaused": setting.paused,
            "isPinnedParallelism": setting.parallelism is not None,
            "isPinnedRate": setting.rate is not None,
        }

    def known_keys(self) -> set[str]:
        return set(self._seen) | set(self._settings)

    def change(self, key: str, **changes: Any) -> None:
        """Set ``paused`` or pins (``parallelism``, ``rate``, ``period``) and store them."""
        setting = self._settings.setdefault(key, Setting())
        for name, value in changes.items():
            setattr(setting, name, value)
        if setting == Setting():
            del self._settings[key]
            self._db.execute("DELETE FROM flow_control WHERE key = ?", (key,))
            return
        self._db.execute(
            "INSERT OR REPLACE INTO flow_control VALUES (?, ?, ?, ?, ?)",
            (key, int(setting.paused), setting.parallelism, setting.rate, setting.period),
        )

    def reset_rate(self, key: str) -> None:
        if key in self._keys:
            self._keys[key].started_at.clear()

    def _wait(self, key: str, now: float) -> float | None:
        """None when ``key`` may start now; else seconds until its rate lifts (0: no estimate)."""
        if self._settings.get(key, Setting()).paused:
            return 0.0
        limits, state = self.limits(key), self._keys[key]
        self._expire(state, limits, now)
        if limits.rate is not None and len(state.started_at) >= limits.rate:
            return state.started_at[0] + limits.period - now
        if limits.parallelism is not None and state.in_flight >= limits.parallelism:
            return 0.0
        return None

    @staticmethod
    def _expire(state: _KeyState, limits: Limits, now: float) -> None:
        while state.started_at and state.started_at[0] <= now - limits.period:
            state.started_at.popleft()


def _flow(request: Request) -> FlowControl:
    flow: FlowControl = request.app.state.dispatcher.flow
    return flow


def _info(request: Request, key: str) -> dict[str, Any]:
    waiting = request.app.state.store.pending("flow_key = ? AND in_flight = 0", (key,))
    return _flow(request).info(key, waiting, request.app.state.clock.now())


async def list_keys(request: Request) -> Response:
    keys = _flow(request).known_keys()
    keys.update(
        row[0]
        for row in request.app.state.store.db.execute(
            "SELECT DISTINCT flow_key FROM message WHERE flow_key IS NOT NULL"
        )
    )
    return JSONResponse([_info(request, key) for key in sorted(keys)])


async def get_key(request: Request) -> Response:
    return JSONResponse(_info(request, request.path_params["key"]))


async def act_on_key(request: Request) -> Response:
    key, action, params = (
        request.path_params["key"],
        request.path_params["action"],
        request.query_params,
    )
    flow = _flow(request)
    if action in ("pause", "resume"):
        flow.change(key, paused=action == "pause")
    elif action == "pin":
        pins: dict[str, Any] = {}
        for name in ("parallelism", "rate", "period"):
            if name in params:
                try:
                    value = int(params[name])
                except ValueError:
                    raise BadRequest(f"{name} must be an integer") from None
                if value < 1:
                    raise BadRequest(f"{name} must be at least 1")
                pins[name] = float(value) if name == "period" else value
        flow.change(key, **pins)
    elif action == "unpin":
        unpins: dict[str, Any] = {}
        if params.get("parallelism", "").lower() == "true":
            unpins["parallelism"] = None
        if params.get("rate", "").lower() == "true":
            unpins.update(rate=None, period=None)
        flow.change(key, **unpins)
    elif action == "resetRate":
        # A message published just before the reset counts as started before it, though the
        # delivery loop may not have had its turn yet (the SDK's own suite checks this).
        request.app.state.dispatcher.start_due()
        flow.reset_rate(key)
    else:
        raise BadRequest(f"unknown flow control action {action!r}")
    request.app.state.dispatcher.notify()
    return JSONResponse({})


async def global_parallelism(request: Request) -> Response:
    dispatcher = request.app.state.dispatcher
    return JSONResponse(
        {"parallelismMax": dispatcher.max_in_flight, "parallelismCount": dispatcher.in_flight}
    )


ROUTES = [
    Route("/v2/flowControl", list_keys, methods=["GET"]),
    Route("/v2/flowControl/{key}", get_key, methods=["GET"]),
    Route("/v2/flowControl/{key}/{action}", act_on_key, methods=["POST"]),
    Route("/v2/globalParallelism", global_parallelism, methods=["GET"]),
]
