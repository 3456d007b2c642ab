"""Processing one candidate: claim -> GitHub snapshot and code sample -> signals -> analyzer ->
final status.

Delivery is at least once, so every step is written to be repeated safely:

- **claim** is one conditional UPDATE (``pending``, or ``processing`` without a live lease,
  becomes ``processing`` with a fresh ``claimed_at`` and a lease); whoever's UPDATE matched owns
  the candidate, on SQLite and PostgreSQL alike. The lease is renewed while judging runs
  (``tats_core.processing.lease`` holds the one rule for when it has lapsed);
- **finish** writes the evaluation, the final status and the status event in one transaction,
  fenced by the claim (``claimed_at`` must still be ours) and by the unique
  (candidate_id, attempt) of ``evaluation``: a duplicate or superseded delivery writes nothing.

Errors are classified once, here, into a ``DeliveryOutcome`` whose ``Outcome`` carries its HTTP
status; the worker maps nothing by value.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast, runtime_checkable

import anyio
from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.errors import ConfigurationError, ServiceError, TatsError
from tats_core.judging.analysis import (
    Analysis,
    AnalysisResult,
    Analyzer,
    JobBrief,
    apply_bounds,
)
from tats_core.judging.overlap import FileRef, cap_for_shared_code, own_files
from tats_core.judging.signals import Signals, compute_signals
from tats_core.processing import lease as leases
from tats_core.repo.sample import CodeSample
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, Job, utcnow
from tats_core.triage import overlap as shared_code
from tats_core.triage.candidates import record_event, transition

log = logging.getLogger("tats.pipeline")

# The hot path speaks Core to the tables: the ORM's unit of work and its bulk-statement
# machinery cost more CPU than the statements themselves (profiled with py-spy).
CANDIDATE, JOB, EVALUATION = (cast(Table, m.__table__) for m in (Candidate, Job, Evaluation))
DATABASE_RETRY_AFTER_S = 30.0
# Publishes of one attempt after which a candidate whose retries keep running out without an
# error of its own (a worker that dies on it, every time) is failed instead of re-queued.
MAX_PUBLISHES = 5


class SnapshotSource(Protocol):
    async def snapshot(
        self, full_name: str, ref: str | None = None, path: str | None = None
    ) -> RepoSnapshot: ...


@runtime_checkable
class SampleSource(Protocol):
    """A snapshot source that can also read the code (``GitHubClient``); others judge by the
    envelope alone."""

    async def read_sample(self, snapshot: RepoSnapshot) -> CodeSample: ...


@dataclass
class Judges:
    """What judging needs, built once per worker process."""

    github: SnapshotSource
    analyzer: Analyzer


@dataclass(frozen=True)
class Work:
    candidate_id: int
    attempt: int
    claimed_at: datetime
    repo_full_name: str
    repo_ref: str | None
    repo_path: str | None
    job: JobBrief
    job_id: int | None = None


class Outcome(StrEnum):
    """What one delivery came to, and the HTTP status that tells the queue (datasette-style:
    the status lives on the type, and the worker maps it in one place)."""

    PROCESSED = "processed"  # decided and recorded
    FAILED = "failed"  # failed permanently, recorded
    ALREADY_FINAL = "already_final"  # a duplicate delivery
    SUPERSEDED = "superseded"  # someone else's write won (re-run, takeover)
    UNKNOWN_CANDIDATE = "unknown_candidate"
    BUSY = "busy"  # another delivery holds a live lease: come back after it lapses
    RETRY = "retry"  # a transient failure: the queue should try again

    @property
    def http_status(self) -> int:
        return 503 if self in (Outcome.BUSY, Outcome.RETRY) else 200

    @property
    def done(self) -> bool:
        """Acknowledged (2xx): the queue must not deliver this message again."""
        return self.http_status < 300


@dataclass(frozen=True)
class DeliveryOutcome:
    outcome: Outcome
    status: str | None = None
    attempt: int | None = None
    retry_after: float | None = None
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.outcome.done

    @property
    def http_status(self) -> int:
        return self.outcome.http_status


# --- claim -------------------------------------------------------------------------------


def claim(
    session: Session,
    candidate_id: int,
    *,
    message_id: str | None,
    now: datetime,
    lease: timedelta = leases.DEFAULT_LEASE,
) -> Work | DeliveryOutcome:
    claimed = {
        "claimed_at": now,
        "lease_expires_at": leases.expiry(now, lease),
        "updated_at": now,
        "status": statuses.PROCESSING,
    }
    if message_id:
        claimed["message_id"] = message_id
    # Two conditional UPDATEs rather than one, so the status event knows where it came from.
    from_status = None
    if _update_candidate(session, candidate_id, CANDIDATE.c.status == statuses.PENDING, claimed):
        from_status = statuses.PENDING
    else:
        if not _update_candidate(session, candidate_id, leases.lapsed(now), claimed):
            return _not_claimed(session, candidate_id, now)
    row = session.execute(
        select(
            CANDIDATE.c.attempt,
            CANDIDATE.c.repo_full_name,
            CANDIDATE.c.repo_ref,
            CANDIDATE.c.repo_path,
            CANDIDATE.c.job_id,
            JOB.c.title,
            JOB.c.description,
            JOB.c.rubric,
        )
        .join(JOB, JOB.c.id == CANDIDATE.c.job_id)
        .where(CANDIDATE.c.id == candidate_id)
    ).one()
    if from_status is not None:
        record_event(
            session,
            candidate_id,
            row.attempt,
            from_status,
            statuses.PROCESSING,
            actor="worker",
            reason="claimed",
            at=now,
        )
    return Work(
        candidate_id=candidate_id,
        attempt=row.attempt,
        claimed_at=now,
        repo_full_name=row.repo_full_name,
        repo_ref=row.repo_ref,
        repo_path=row.repo_path,
        job=JobBrief(title=row.title, description=row.description, rubric=row.rubric),
        job_id=row.job_id,
    )


def _update_candidate(
    session: Session, candidate_id: int, condition: Any, values: dict[str, Any]
) -> bool:
    """One conditional UPDATE; True when it matched (the row is then ours until commit)."""
    result = session.execute(
        update(CANDIDATE).where(CANDIDATE.c.id == candidate_id, condition).values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _not_claimed(session: Session, candidate_id: int, now: datetime) -> DeliveryOutcome:
    row = session.execute(
        select(CANDIDATE.c.status, CANDIDATE.c.attempt, CANDIDATE.c.lease_expires_at).where(
            CANDIDATE.c.id == candidate_id
        )
    ).first()
    if row is None:
        return DeliveryOutcome(Outcome.UNKNOWN_CANDIDATE, detail="no such candidate")
    if row.status in statuses.FINAL:
        return DeliveryOutcome(Outcome.ALREADY_FINAL, row.status, row.attempt)
    # The Retry-After lands just after the holder's lease lapses: if its worker died, that
    # retry takes the candidate over; if it is alive, it will have renewed the lease.
    return DeliveryOutcome(
        Outcome.BUSY,
        row.status,
        row.attempt,
        retry_after=leases.seconds_until_lapse(row.lease_expires_at, now),
        detail="another delivery is processing this candidate",
    )


# --- judge -------------------------------------------------------------------------------


@dataclass
class Judgement:
    result: AnalysisResult
    signals: Signals
    commit_sha: str | None
    latency_ms: int
    own_files: list[FileRef] = field(default_factory=list)  # for shared-code checks


async def judge(judges: Judges, work: Work) -> Judgement:
    started = time.perf_counter()
    snapshot = await judges.github.snapshot(work.repo_full_name, work.repo_ref, work.repo_path)
    if not snapshot.empty and isinstance(judges.github, SampleSource):
        snapshot.sample = await _read_sample(judges.github, snapshot)
    signals = compute_signals(snapshot, work.job.description)
    if snapshot.empty:
        # Decided in code: nothing to show a model, and no model may say otherwise.
        result = AnalysisResult(
            analysis=Analysis(
                decision="low_effort",
                score=0,
                summary="The repository is empty: it has no commits.",
                concerns=["No code was pushed to the repository."],
            ),
            analyzer="rules",
        )
    else:
        result = await judges.analyzer.analyze(snapshot, signals, work.job)
    result = apply_bounds(result, signals)
    result.flags = sorted(result.flags)
    latency_ms = int((time.perf_counter() - started) * 1000)
    blobs = [(e.path, e.sha, e.size) for e in snapshot.tree if e.type == "blob"]
    return Judgement(result, signals, snapshot.head_sha, latency_ms, own_files(blobs))


async def _read_sample(source: SampleSource, snapshot: RepoSnapshot) -> CodeSample:
    """The code sample, or an empty one: unreadable code never fails a candidate."""
    try:
        sample = await source.read_sample(snapshot)
    except TatsError as exc:
        log.warning("code sample of %s not read: %s", snapshot.full_name, exc)
        return CodeSample()
    log.info(
        "code sample of %s: %s (%d downloads, %d API requests)",
        snapshot.full_name,
        sample.summary(),
        sample.files_downloaded,
        sample.api_requests,
    )
    return sample


# --- finish ------------------------------------------------------------------------------


def _ours(work: Work) -> Any:
    """Our claim still holds: nobody took the candidate over (stale claim, re-run) meanwhile."""
    return and_(
        CANDIDATE.c.status == statuses.PROCESSING,
        CANDIDATE.c.attempt == work.attempt,
        CANDIDATE.c.claimed_at == work.claimed_at,
    )


def _finish(
    session: Session, work: Work, evaluation: dict[str, Any], status: str, reason: str
) -> bool:
    """Evaluation, final status and status event in one transaction, fenced by the claim.
    Core statements, not the ORM: this is the worker's hot path."""
    now = utcnow()
    final = {
        "status": status,
        "claimed_at": None,
        "lease_expires_at": None,
        "last_error": None,
        "last_error_status": None,
        "updated_at": now,
        "finished_at": now,
        "rank_score": -1 if evaluation.get("score") is None else evaluation["score"],
    }
    if not _update_candidate(session, work.candidate_id, _ours(work), final):
        return False
    session.execute(
        insert(EVALUATION).values(
            candidate_id=work.candidate_id, attempt=work.attempt, evaluated_at=now, **evaluation
        )
    )
    record_event(
        session,
        work.candidate_id,
        work.attempt,
        statuses.PROCESSING,
        status,
        actor="worker",
        reason=reason,
        at=now,
    )
    return True


def record_decision(
    session: Session, work: Work, judgement: Judgement, message_id: str | None
) -> bool:
    overlaps = _check_shared_code(session, work, judgement)
    analysis = judgement.result.analysis
    evaluation = dict(
        status=analysis.decision,
        score=analysis.score,
        summary=analysis.summary,
        strengths=analysis.strengths,
        concerns=analysis.concerns,
        criteria=[c.model_dump() for c in analysis.criteria],
        signals=judgement.signals.to_dict(),
        flags=judgement.result.flags,
        analyzer=judgement.result.analyzer,
        model=judgement.result.model,
        prompt_hash=judgement.result.prompt_hash,
        commit_sha=judgement.commit_sha,
        raw_answer=judgement.result.raw_answer,
        latency_ms=judgement.latency_ms,
        message_id=message_id,
    )
    written = _finish(
        session, work, evaluation, analysis.decision, f"{judgement.result.analyzer} analysis"
    )
    if written:
        for overlap in overlaps:  # shown both ways: the earlier candidate learns of it too
            evidence = f"Shares {len(overlap.pairs)} files with candidate {work.candidate_id}: "
            evidence += ", ".join(theirs for _, theirs in overlap.pairs[:5])
            shared_code.flag_earlier_candidate(session, overlap.other, evidence)
    return written


def _check_shared_code(session: Session, work: Work, judgement: Judgement) -> list[Any]:
    """Store this attempt's own files and cap the decision at ``needs_review`` when they share
    substantial code with another candidate of the job (issue #10). Never decides alone."""
    if work.job_id is None or not _ours_now(session, work):
        return []
    shared_code.save_fingerprint(session, work.job_id, work.candidate_id, judgement.own_files)
    overlaps = shared_code.overlaps_of(session, work.job_id, work.candidate_id)
    if overlaps:
        capped, flags = cap_for_shared_code(judgement.result.analysis, overlaps)
        judgement.result.analysis = capped
        judgement.result.flags = sorted(set(judgement.result.flags) | set(flags))
    return overlaps


def _ours_now(session: Session, work: Work) -> bool:
    """The claim still holds (checked before writing files; ``_finish`` fences the rest)."""
    return (
        session.scalar(
            select(CANDIDATE.c.id).where(CANDIDATE.c.id == work.candidate_id, _ours(work))
        )
        is not None
    )


def record_failure(
    session: Session, work: Work, status: str, message: str, message_id: str | None
) -> bool:
    evaluation = dict(status=status, summary=message, error=message, message_id=message_id)
    return _finish(session, work, evaluation, status, message)


def release_claim(session: Session, work: Work, error: str, failure_status: str) -> None:
    """Give the candidate back for the retry QStash will make, remembering why it failed."""
    released = {
        "claimed_at": None,
        "lease_expires_at": None,
        "last_error": error,
        "last_error_status": failure_status,
        "updated_at": utcnow(),
    }
    if _update_candidate(session, work.candidate_id, _ours(work), released):
        # Each attempt's error shows in the candidate's history, not only the last one.
        _note_released(session, work, f"will retry: {error}"[:500])


def _note_released(session: Session, work: Work, reason: str) -> None:
    """A history line for a claim given back while the candidate stays ``processing``."""
    record_event(
        session,
        work.candidate_id,
        work.attempt,
        statuses.PROCESSING,
        statuses.PROCESSING,
        actor="worker",
        reason=reason,
        at=utcnow(),
    )


def renew_lease(session: Session, work: Work, now: datetime, lease: timedelta) -> bool:
    """Extend our lease; False when the claim is no longer ours (then stop renewing)."""
    values = {"lease_expires_at": leases.expiry(now, lease)}
    return _update_candidate(session, work.candidate_id, _ours(work), values)


async def _keep_lease(
    session_factory: sessionmaker[Session], work: Work, lease: timedelta, now: Any
) -> None:
    """Renew the lease every third of its length until cancelled (judging is over) or lost."""
    while True:
        await asyncio.sleep(leases.renew_every(lease))

        def _renew() -> bool:
            with transaction(session_factory) as session:
                return renew_lease(session, work, now(), lease)

        try:
            if not await anyio.to_thread.run_sync(_renew):
                return
        except SQLAlchemyError:
            log.warning("could not renew the lease on candidate %s", work.candidate_id)


def release_leases(session_factory: sessionmaker[Session], works: list[Work], why: str) -> int:
    """A stopping worker hands back what it holds, so the next delivery takes it at once."""
    released = 0
    for work in works:
        with transaction(session_factory) as session:
            free = {"claimed_at": None, "lease_expires_at": None, "updated_at": utcnow()}
            if not _update_candidate(session, work.candidate_id, _ours(work), free):
                continue  # finished or taken over meanwhile
            _note_released(session, work, why)
            released += 1
    return released


# --- one delivery, start to end ----------------------------------------------------------


async def process_candidate(
    session_factory: sessionmaker[Session],
    judges: Judges,
    candidate_id: int,
    *,
    message_id: str | None = None,
    now: Any = utcnow,
    lease: timedelta = leases.DEFAULT_LEASE,
    holding: dict[int, Work] | None = None,
) -> DeliveryOutcome:
    """One delivery. ``holding`` (the worker's registry of in-flight work) lets a stopping
    worker release the leases it holds."""

    def _claim() -> Work | DeliveryOutcome:
        with transaction(session_factory) as session:
            return claim(session, candidate_id, message_id=message_id, now=now(), lease=lease)

    try:
        claimed = await anyio.to_thread.run_sync(_claim)
    except SQLAlchemyError:
        log.exception("database error while claiming candidate %s", candidate_id)
        return DeliveryOutcome(
            Outcome.RETRY,
            retry_after=DATABASE_RETRY_AFTER_S,
            detail="the database is unavailable",
        )
    if isinstance(claimed, DeliveryOutcome):
        return claimed
    work = claimed
    if holding is not None:
        holding[id(work)] = work
    renewal = asyncio.create_task(_keep_lease(session_factory, work, lease, now))
    try:
        outcome = await _judge_and_record(session_factory, judges, work, message_id)
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
    # Cancelled (a stopping worker) leaves the work in ``holding``, for its lease to be released.
    if holding is not None:
        holding.pop(id(work), None)
    return outcome


async def _judge_and_record(
    session_factory: sessionmaker[Session],
    judges: Judges,
    work: Work,
    message_id: str | None,
) -> DeliveryOutcome:
    candidate_id = work.candidate_id

    def _in_tx(fn: Any, *args: Any) -> Any:
        def run() -> Any:
            try:
                with transaction(session_factory) as session:
                    return fn(session, work, *args)
            except IntegrityError:
                return False  # this attempt already has its evaluation (rolled back)

        return anyio.to_thread.run_sync(run)

    try:
        judgement = await judge(judges, work)
    except ServiceError as exc:
        if exc.transient:
            await _in_tx(release_claim, exc.message, exc.failure_status)
            return DeliveryOutcome(
                Outcome.RETRY, statuses.PROCESSING, work.attempt, exc.retry_after, exc.message
            )
        written = await _in_tx(record_failure, exc.failure_status, exc.message, message_id)
        return DeliveryOutcome(
            Outcome.FAILED if written else Outcome.SUPERSEDED,
            exc.failure_status,
            work.attempt,
            detail=exc.message,
        )
    except ConfigurationError as exc:
        log.error("configuration error while processing candidate %s: %s", candidate_id, exc)
        await _in_tx(release_claim, str(exc), statuses.UNKNOWN_FAILED)
        return DeliveryOutcome(Outcome.RETRY, statuses.PROCESSING, work.attempt, detail=str(exc))
    except Exception as exc:
        log.exception("unexpected error while processing candidate %s", candidate_id)
        detail = f"unexpected error: {type(exc).__name__}"
        await _in_tx(release_claim, detail, statuses.UNKNOWN_FAILED)
        return DeliveryOutcome(Outcome.RETRY, statuses.PROCESSING, work.attempt, detail=detail)

    written = await _in_tx(record_decision, judgement, message_id)
    decision = judgement.result.analysis.decision
    outcome = Outcome.PROCESSED if written else Outcome.SUPERSEDED
    return DeliveryOutcome(outcome, decision, work.attempt)


# --- retries ran out ---------------------------------------------------------------------


def fail_after_retries(
    session: Session,
    candidate_id: int,
    *,
    source_message_id: str | None,
    detail: str = "",
    now: datetime | None = None,
) -> str | None:
    """QStash gave up on a message: give the candidate a final failure status unless it has
    one, or a newer publish / a live claim has taken over. Returns the status set, if any."""
    now = now or utcnow()
    candidate = session.scalar(
        select(Candidate).where(Candidate.id == candidate_id).with_for_update()
    )
    if candidate is None or candidate.status in statuses.FINAL:
        return None
    if source_message_id and candidate.message_id and candidate.message_id != source_message_id:
        return None  # superseded by a re-run or a reconcile publish
    if leases.is_live(candidate.lease_expires_at, now):
        return None  # a delivery is working on it right now
    if candidate.last_error is None and candidate.enqueue_count < MAX_PUBLISHES:
        # No delivery ever reported an error of this candidate's own: the retries ran out on
        # an unreachable or dying worker. Back to the outbox for reconcile, not a failure.
        transition(
            session,
            candidate,
            statuses.PENDING,
            actor="queue",
            reason="the queue's retries ran out without reaching a worker; queued again",
        )
        candidate.enqueued_at = candidate.message_id = None
        candidate.claimed_at = candidate.lease_expires_at = None
        return None
    status = candidate.last_error_status or statuses.UNKNOWN_FAILED
    reason = candidate.last_error or detail or "the queue gave up after its retries"
    try:
        with session.begin_nested():
            session.add(
                Evaluation(
                    candidate_id=candidate.id,
                    attempt=candidate.attempt,
                    status=status,
                    summary=f"Gave up after retries: {reason}",
                    error=reason,
                    message_id=source_message_id,
                )
            )
    except IntegrityError:
        return None
    transition(session, candidate, status, actor="queue", reason=f"retries exhausted: {reason}")
    candidate.claimed_at = candidate.lease_expires_at = None
    return status
