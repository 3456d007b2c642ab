"""The routes QStash calls, all signed: a candidate message, the failure callback and the
reconcile schedule. Each verifies, reads its body, calls one ``tats_core.processing`` function
and turns what it returns into HTTP in one place (``respond``).
"""

from __future__ import annotations

import logging
import math
import time

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from tats_core.errors import TatsError
from tats_core.logs import log_event
from tats_core.processing import job_events
from tats_core.processing.delivery import process_candidate
from tats_core.processing.failure_callback import fail_after_retries
from tats_core.processing.outcome import DeliveryOutcome, Outcome
from tats_core.processing.queue import reconcile
from tats_core.processing.recheck import recheck
from tats_core.routes import FAILED_PATH, PROCESS_PATH, RECONCILE_PATH
from tats_core.store.db import in_thread, transaction
from tats_core.store.models import Candidate
from worker_service import bodies
from worker_service.signature import SIGNATURE_HEADER, unauthorized, verified_body

log = logging.getLogger("tats.worker")
router = APIRouter()


@router.post(
    PROCESS_PATH,
    openapi_extra={"requestBody": bodies.CANDIDATE_BODY, "parameters": SIGNATURE_HEADER},
)
async def process(request: Request) -> JSONResponse:
    started = time.perf_counter()
    body = await verified_body(request, PROCESS_PATH)
    if body is None:
        return unauthorized()
    candidate_id = bodies.candidate_id(body)
    if candidate_id is None:
        # Signed but malformed: retrying cannot fix it, so acknowledge and log.
        log.warning("signed delivery without a candidateId: %r", body[:200])
        return JSONResponse({"error": 'body must be {"candidateId": <int>}'}, status_code=200)
    state = request.app.state
    message_id = request.headers.get("upstash-message-id")
    outcome = await process_candidate(
        state.deps.session_factory,
        state.judges,
        candidate_id,
        message_id=message_id,
        lease=state.lease,
        holding=state.holding,
    )
    seconds = time.perf_counter() - started
    state.telemetry.delivery(outcome.outcome, seconds)
    _log_delivery(
        candidate_id, message_id, request.headers.get("upstash-retried"), outcome, seconds
    )
    if outcome.may_complete_job:  # most jobs have no webhook: no transaction asked for it
        await _job_may_be_complete(request, outcome.job_id)
    return respond(candidate_id, outcome)


@router.post(
    FAILED_PATH,
    openapi_extra={"requestBody": bodies.ANY_JSON_BODY, "parameters": SIGNATURE_HEADER},
)
async def failed(request: Request) -> JSONResponse:
    body = await verified_body(request, FAILED_PATH)
    if body is None:
        return unauthorized()
    callback = bodies.failure_callback(body)
    if callback is None:
        log.warning("unreadable failure callback: %r", body[:200])
        return JSONResponse({"status": "ignored"})

    def _fail() -> tuple[str | None, int | None]:
        with transaction(request.app.state.deps.session_factory) as session:
            status = fail_after_retries(
                session,
                callback.candidate_id,
                source_message_id=callback.source_message_id,
                detail=callback.detail,
            )
            candidate = session.get(Candidate, callback.candidate_id)
            return status, candidate.job_id if candidate else None

    status, job_id = await in_thread(_fail)
    if status is not None:
        await _job_may_be_complete(request, job_id)
    log_event(
        log,
        "failure_callback",
        candidate=callback.candidate_id,
        message_id=callback.source_message_id,
        status=status,
    )
    return JSONResponse({"candidateId": callback.candidate_id, "status": status or "unchanged"})


@router.post(RECONCILE_PATH, openapi_extra={"parameters": SIGNATURE_HEADER})
async def run_reconcile(request: Request) -> JSONResponse:
    """Called by the QStash schedule every minute (``tats reconcile --schedule``)."""
    if await verified_body(request, RECONCILE_PATH) is None:
        return unauthorized()
    deps = request.app.state.deps
    await recheck(deps.session_factory, request.app.state.judges)
    # Reconcile and the sweep publish to QStash: not on the database limiter's two threads.
    report = await anyio.to_thread.run_sync(reconcile, deps.session_factory, deps.queue)
    await anyio.to_thread.run_sync(
        job_events.sweep, deps.session_factory, request.app.state.webhooks
    )
    log_event(log, "reconcile", report.to_dict())
    return JSONResponse(report.to_dict())


async def _job_may_be_complete(request: Request, job_id: int | None) -> None:
    """A final status was written: the job's webhook goes out if that completed the job. Its
    failure never fails the delivery (it is recorded, and reconcile sends it later)."""
    deps = request.app.state.deps
    try:
        await in_thread(
            job_events.after_final, deps.session_factory, request.app.state.webhooks, job_id
        )
    except (SQLAlchemyError, TatsError):
        log.exception("job %s: the completion webhook is left for reconcile", job_id)


def respond(candidate_id: int, outcome: DeliveryOutcome) -> JSONResponse:
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
    seconds: float,
) -> None:
    """The one line per delivery: who, which attempt, what came of it, how long, and what
    judging spent (GitHub requests, files read, the analyzer's and the tests' time)."""
    costs = outcome.costs.to_dict() if outcome.costs else {}
    fields = {
        "candidate": candidate_id,
        "attempt": outcome.attempt,
        "message_id": message_id,
        "retried": retried,
        "outcome": str(outcome.outcome),
        "status": outcome.status,
        "ms": round(seconds * 1000),
        "detail": outcome.detail or None,
        **costs,
    }
    level = logging.WARNING if outcome.outcome == Outcome.RETRY else logging.INFO
    log_event(log, "delivery", fields, level=level)
