"""The worker: FastAPI routes that QStash calls. A thin shell over ``tats_core.processing.pipeline``.

Each delivery's signature is verified against the raw body and the *configured* public URL
(``TATS_WORKER_URL`` + path), never the URL this request arrived on: behind a proxy or a tunnel
the two differ, and the signature's ``sub`` claim names the public one.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from qstash import Receiver
from qstash.errors import SignatureError
from sqlalchemy import text

from tats_core.deps import Deps, build_deps, build_judges
from tats_core.processing.pipeline import (
    DeliveryOutcome,
    Judges,
    Work,
    fail_after_retries,
    process_candidate,
    release_leases,
)
from tats_core.processing.queue import reconcile
from tats_core.processing.queue_admin import RECONCILE_PATH
from tats_core.settings import Settings, load_settings
from tats_core.store.db import transaction
from worker_service.logs import configure_logging

log = logging.getLogger("tats.worker")

PROCESS_PATH = "/api/process-candidate"
FAILED_PATH = "/api/process-candidate/failed"

_CANDIDATE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["candidateId"],
                "properties": {"candidateId": {"type": "integer"}},
            }
        }
    },
}
_SIGNATURE_HEADER = [
    {"name": "Upstash-Signature", "in": "header", "required": True, "schema": {"type": "string"}}
]


def create_app(
    settings: Settings, *, deps: Deps | None = None, judges: Judges | None = None
) -> FastAPI:
    """Build the worker app; ``deps``/``judges`` default to what ``settings`` describe."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.deps = deps or build_deps(settings)
        app.state.judges = judges or build_judges(settings, app.state.deps.session_factory)
        app.state.receiver = Receiver(
            current_signing_key=settings.qstash_current_signing_key,
            next_signing_key=settings.qstash_next_signing_key,
        )
        holding: dict[int, Work] = {}
        app.state.holding = holding
        yield
        # Graceful stop (SIGTERM): uvicorn has let requests finish for its grace period; hand
        # back the leases of whatever is still in flight so the next delivery takes it at once.
        if holding:
            works: list[Work] = list(holding.values())
            released = await anyio.to_thread.run_sync(
                lambda: release_leases(
                    app.state.deps.session_factory, works, "worker stopped; lease released"
                )
            )
            log.info(json.dumps({"event": "shutdown", "released_leases": released}))
        for client in (app.state.judges.github, app.state.judges.analyzer):
            if hasattr(client, "aclose"):
                await client.aclose()

    app = FastAPI(title="TATS worker", version="1", lifespan=lifespan)
    lease = timedelta(seconds=settings.claim_lease_s)

    async def verified_body(request: Request, path: str) -> bytes | None:
        body = await request.body()
        signature = request.headers.get("upstash-signature")
        if not signature:
            return None
        url = settings.worker_url.rstrip("/") + path
        if request.url.query:
            url += "?" + request.url.query
        try:
            request.app.state.receiver.verify(
                signature=signature, body=body.decode("utf-8", "replace"), url=url
            )
        except (SignatureError, ValueError, KeyError, TypeError):
            return None
        return body

    @app.post(
        PROCESS_PATH,
        openapi_extra={"requestBody": _CANDIDATE_BODY, "parameters": _SIGNATURE_HEADER},
    )
    async def process(request: Request) -> JSONResponse:
        started = time.perf_counter()
        body = await verified_body(request, PROCESS_PATH)
        if body is None:
            return _unauthorized()
        candidate_id = _candidate_id(body)
        if candidate_id is None:
            # Signed but malformed: retrying cannot fix it, so acknowledge and log.
            log.warning("signed delivery without a candidateId: %r", body[:200])
            return JSONResponse({"error": 'body must be {"candidateId": <int>}'}, status_code=200)
        message_id = request.headers.get("upstash-message-id")
        outcome = await process_candidate(
            request.app.state.deps.session_factory,
            request.app.state.judges,
            candidate_id,
            message_id=message_id,
            lease=lease,
            holding=request.app.state.holding,
        )
        _log_delivery(
            candidate_id, message_id, request.headers.get("upstash-retried"), outcome, started
        )
        return _respond(candidate_id, outcome)

    @app.post(
        FAILED_PATH,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "parameters": _SIGNATURE_HEADER,
        },
    )
    async def failed(request: Request) -> JSONResponse:
        body = await verified_body(request, FAILED_PATH)
        if body is None:
            return _unauthorized()
        callback = _parse_failure_callback(body)
        if callback is None:
            log.warning("unreadable failure callback: %r", body[:200])
            return JSONResponse({"status": "ignored"})
        candidate_id, source_message_id, detail = callback

        def _fail() -> str | None:
            with transaction(request.app.state.deps.session_factory) as session:
                return fail_after_retries(
                    session, candidate_id, source_message_id=source_message_id, detail=detail
                )

        status = await anyio.to_thread.run_sync(_fail)
        log.info(
            json.dumps(
                {
                    "event": "failure_callback",
                    "candidate": candidate_id,
                    "message": source_message_id,
                    "status": status,
                }
            )
        )
        return JSONResponse({"candidateId": candidate_id, "status": status or "unchanged"})

    @app.post(RECONCILE_PATH, openapi_extra={"parameters": _SIGNATURE_HEADER})
    async def run_reconcile(request: Request) -> JSONResponse:
        """Called by the QStash schedule every minute (``tats reconcile --schedule``)."""
        if await verified_body(request, RECONCILE_PATH) is None:
            return _unauthorized()
        deps = request.app.state.deps
        report = await anyio.to_thread.run_sync(reconcile, deps.session_factory, deps.queue)
        log.info(json.dumps({"event": "reconcile", **report.to_dict()}))
        return JSONResponse(report.to_dict())

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        def _ping() -> None:
            with request.app.state.deps.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await anyio.to_thread.run_sync(_ping)
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok"})

    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn worker_service.app:app_from_env --factory`` (and ``tats worker``):
    settings from the environment, read when the server starts, in each worker process."""
    configure_logging()
    return create_app(load_settings())


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "missing or invalid Upstash-Signature"}, status_code=401)


def _candidate_id(body: bytes) -> int | None:
    try:
        value = json.loads(body).get("candidateId")
    except (ValueError, AttributeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        return None  # ids are 32-bit integers on both databases
    return value


def _parse_failure_callback(body: bytes) -> tuple[int, str | None, str] | None:
    """QStash's callback body varies between versions; read what we need leniently."""
    try:
        payload: dict[str, Any] = json.loads(body)
        source = payload.get("sourceBody") or ""
        decoded = base64.b64decode(source + "=" * (-len(source) % 4)) if source else b""
    except (ValueError, binascii.Error, AttributeError):
        return None
    candidate_id = _candidate_id(decoded) if decoded else None
    if candidate_id is None:
        return None
    detail = f"last response HTTP {payload.get('status')}" if payload.get("status") else ""
    return candidate_id, payload.get("sourceMessageId"), detail


def _respond(candidate_id: int, outcome: DeliveryOutcome) -> JSONResponse:
    """The one place an outcome becomes HTTP: its status comes from its type."""
    content = {
        "candidateId": candidate_id,
        "outcome": outcome.outcome,
        "status": outcome.status,
        "detail": outcome.detail,
    }
    headers = {}
    if not outcome.done and outcome.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(outcome.retry_after)))
    return JSONResponse(content, status_code=outcome.http_status, headers=headers)


def _log_delivery(
    candidate_id: int,
    message_id: str | None,
    retried: str | None,
    outcome: DeliveryOutcome,
    started: float,
) -> None:
    log.info(
        json.dumps(
            {
                "event": "delivery",
                "candidate": candidate_id,
                "attempt": outcome.attempt,
                "message": message_id,
                "retried": retried,
                "outcome": outcome.outcome,
                "status": outcome.status,
                "ms": round((time.perf_counter() - started) * 1000),
            }
        )
    )
