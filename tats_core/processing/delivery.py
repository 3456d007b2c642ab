"""One delivery from the queue, start to end: claim -> judge (lease renewed meanwhile) ->
record, with every failure classified once, here, into a ``DeliveryOutcome``.

- a transient ``ServiceError`` gives the claim back (``RETRY``; the queue tries again);
- a permanent one records its failure status (``FAILED``);
- a ``ConfigurationError`` (a rejected or missing key) records the problem and sends the
  candidate back to the outbox, spending none of its retries (``WAITING``); while a problem is
  recorded, deliveries hold their candidates back the same way without calling anything;
- no test slot freeing in time (``TestRunError``) sends the candidate back to the outbox too,
  without recording a problem: the host is busy, not misconfigured (``WAITING``);
- an unexpected error gives the claim back for the retry (``RETRY``);
- a database error at any step is ``RETRY`` with ``Retry-After`` (logged with the candidate);
- a write that finds the claim gone (re-run, takeover) is ``SUPERSEDED``.

Nothing but cancellation (a stopping worker) leaves this module as an exception; then the work
stays in the caller's ``holding`` registry so that its lease is released at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.errors import ConfigurationError, ServiceError, TestRunError
from tats_core.processing import lease as leases
from tats_core.processing import problems
from tats_core.processing.claims import Work, claim, give_back, release_claim, renew_lease
from tats_core.processing.judgement import Judgement, Judges, judge
from tats_core.processing.outcome import DeliveryOutcome, Outcome
from tats_core.processing.recording import record_decision, record_failure
from tats_core.processing.reuse import StoredJudging
from tats_core.store.db import in_thread, transaction
from tats_core.store.models import utcnow
from tats_core.triage import acceptance as acceptance_tests
from tats_core.triage.acceptance import AcceptanceTests

log = logging.getLogger("tats.pipeline")

DATABASE_RETRY_AFTER_S = 30.0
DATABASE_DOWN = "the database is unavailable"


async def process_candidate(
    session_factory: sessionmaker[Session],
    judges: Judges,
    candidate_id: int,
    *,
    message_id: str | None = None,
    now: Callable[[], datetime] = utcnow,
    lease: timedelta = leases.DEFAULT_LEASE,
    holding: dict[int, Work] | None = None,
) -> DeliveryOutcome:
    """One delivery. ``holding`` (the worker's registry of in-flight work) lets a stopping
    worker release the leases it holds."""

    def _claim() -> tuple[Work, AcceptanceTests | None] | DeliveryOutcome:
        with transaction(session_factory) as session:
            claimed = claim(session, candidate_id, message_id=message_id, now=now(), lease=lease)
            if isinstance(claimed, DeliveryOutcome):
                return claimed
            # Read with the claim: one transaction (and thread hop) fewer per delivery.
            return claimed, _acceptance_of(session, claimed)

    try:
        claimed = await in_thread(_claim)
    except SQLAlchemyError:
        log.exception("database error while claiming candidate %s", candidate_id)
        return DeliveryOutcome(
            Outcome.RETRY, retry_after=DATABASE_RETRY_AFTER_S, detail=DATABASE_DOWN
        )
    if isinstance(claimed, DeliveryOutcome):
        return claimed
    work, acceptance = claimed
    if holding is not None:
        holding[id(work)] = work
    renewal = asyncio.create_task(_keep_lease(session_factory, work, lease, now))
    try:
        outcome = await _judge_and_record(session_factory, judges, work, acceptance, message_id)
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
    # Not reached when cancelled: the work stays in ``holding`` for its lease to be released.
    if holding is not None:
        holding.pop(id(work), None)
    return outcome


def _acceptance_of(session: Session, work: Work) -> AcceptanceTests | None:
    """The job's newest acceptance tests, read when its candidate's tests may run."""
    if work.job_id is None or not work.run_tests:
        return None
    return acceptance_tests.latest(session, work.job_id)


async def _keep_lease(
    session_factory: sessionmaker[Session],
    work: Work,
    lease: timedelta,
    now: Callable[[], datetime],
) -> None:
    """Renew the lease every third of its length until cancelled (judging is over) or lost."""
    while True:
        await asyncio.sleep(leases.renew_every(lease))

        def _renew() -> bool:
            with transaction(session_factory) as session:
                return renew_lease(session, work, now(), lease)

        try:
            if not await in_thread(_renew):
                return
        except SQLAlchemyError:
            log.warning("could not renew the lease on candidate %s", work.candidate_id)


async def _write(
    session_factory: sessionmaker[Session], work: Work, step: Callable[..., Any], *args: Any
) -> Any:
    """Run one recording step in its own transaction, in a thread. An IntegrityError means this
    attempt already has its evaluation (a duplicate): False. Other database errors propagate."""

    def run() -> Any:
        try:
            with transaction(session_factory) as session:
                return step(session, work, *args)
        except IntegrityError:
            return False

    return await in_thread(run)


async def _judge_and_record(
    session_factory: sessionmaker[Session],
    judges: Judges,
    work: Work,
    acceptance: AcceptanceTests | None,
    message_id: str | None,
) -> DeliveryOutcome:
    try:
        try:
            stored = StoredJudging(session_factory, work.job_id, work.candidate_id)
            files = acceptance.files if acceptance else None
            judgement = await judge(judges, work, files, stored)
        except Exception as exc:  # classified below, once
            return await _after_failure(session_factory, work, exc, message_id)
        if acceptance is not None:
            judgement.acceptance_version = acceptance.version
        return await _record(session_factory, work, judgement, message_id)
    except SQLAlchemyError:
        log.exception("database error while recording candidate %s", work.candidate_id)
        return DeliveryOutcome(
            Outcome.RETRY,
            statuses.PROCESSING,
            work.attempt,
            retry_after=DATABASE_RETRY_AFTER_S,
            detail=DATABASE_DOWN,
        )


async def _record(
    session_factory: sessionmaker[Session],
    work: Work,
    judgement: Judgement,
    message_id: str | None,
) -> DeliveryOutcome:
    written = await _write(session_factory, work, record_decision, judgement, message_id)
    decision = judgement.result.analysis.decision
    outcome = Outcome.PROCESSED if written else Outcome.SUPERSEDED
    return DeliveryOutcome(
        outcome,
        decision,
        work.attempt,
        costs=judgement.costs,
        job_id=work.job_id,
        job_notifies=work.job_notifies,
    )


async def _after_failure(
    session_factory: sessionmaker[Session], work: Work, exc: Exception, message_id: str | None
) -> DeliveryOutcome:
    """Judging raised: retry (claim given back) or record a permanent failure."""
    if isinstance(exc, ServiceError) and not exc.transient:
        written = await _write(
            session_factory, work, record_failure, exc.failure_status, exc.message, message_id
        )
        return DeliveryOutcome(
            Outcome.FAILED if written else Outcome.SUPERSEDED,
            exc.failure_status,
            work.attempt,
            detail=exc.message,
            job_id=work.job_id,
            job_notifies=work.job_notifies,
        )
    if isinstance(exc, ConfigurationError):
        return await _wait_for_dependency(session_factory, work, exc)
    if isinstance(exc, TestRunError):  # every test slot stayed busy: wait in the outbox
        reason = f"waiting for a test slot ({exc.message})"
        given_back = await _write(session_factory, work, give_back, reason)
        outcome = Outcome.WAITING if given_back else Outcome.SUPERSEDED
        return DeliveryOutcome(outcome, statuses.PENDING, work.attempt, detail=reason)
    retry_after = None
    if isinstance(exc, ServiceError):
        detail, failure_status, retry_after = exc.message, exc.failure_status, exc.retry_after
    else:
        log.exception("unexpected error while processing candidate %s", work.candidate_id)
        detail, failure_status = f"unexpected error: {type(exc).__name__}", statuses.UNKNOWN_FAILED
    await _write(session_factory, work, release_claim, detail, failure_status)
    return DeliveryOutcome(
        Outcome.RETRY, statuses.PROCESSING, work.attempt, retry_after, detail=detail
    )


async def _wait_for_dependency(
    session_factory: sessionmaker[Session], work: Work, exc: ConfigurationError
) -> DeliveryOutcome:
    """A rejected or missing key or token: record the problem for everyone (``/healthz``, the
    banner, the other deliveries) and send the candidate back to the outbox, no retry spent."""
    problem = problems.Problem(exc.dependency, exc.message, utcnow())
    reason = f"waiting for {problem.headline}"
    log.error("candidate %s waits: %s", work.candidate_id, problem.headline)

    def _record(session: Session, work: Work) -> bool:
        problems.report(session, exc.dependency, exc.message)
        return give_back(session, work, reason)

    given_back = await _write(session_factory, work, _record)
    outcome = Outcome.WAITING if given_back else Outcome.SUPERSEDED
    return DeliveryOutcome(outcome, statuses.PENDING, work.attempt, detail=reason)
