"""Publishing candidates to QStash, with the database as the outbox.

A candidate is waiting to be published while it is ``pending`` with ``enqueued_at IS NULL``.
``enqueue_pending`` publishes such candidates in batches of 100 (one HTTP request each) and marks
each one enqueued only after QStash accepted it. If QStash is down the candidates simply stay
unpublished and ``tats reconcile`` (run periodically) tries again; nothing is lost. A publish
repeated after a crash carries the same deduplication id, so QStash drops it; the worker is
idempotent for whatever still slips through.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.errors import QueueError
from tats_core.processing import lease as leases
from tats_core.processing import problems
from tats_core.processing.qstash_http import QStashHttp
from tats_core.settings import Settings
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, utcnow
from tats_core.triage.candidates import transition

log = logging.getLogger("tats.queue")

BATCH_SIZE = 100  # QStash's batch limit


@dataclass(frozen=True)
class OutboxItem:
    candidate_id: int
    attempt: int
    enqueue_count: int

    @property
    def deduplication_id(self) -> str:
        return f"tats-candidate-{self.candidate_id}-{self.attempt}-{self.enqueue_count}"


class CandidateQueue:
    """Publishes "process this candidate" messages; built once per process from settings."""

    def __init__(
        self,
        http: QStashHttp,
        *,
        process_url: str,
        failure_callback_url: str,
        retries: int = 3,
        flow_control_key: str = "tats-candidates",
        parallelism: int = 8,
        retry_delay: str | None = None,
        timeout_s: int | None = None,
    ):
        self.http = http
        self.process_url = process_url
        self.failure_callback_url = failure_callback_url
        self.retries = retries
        self.flow_control_key = flow_control_key
        self.parallelism = parallelism
        # Seconds to a few minutes between the queue's retries of one candidate, not QStash's
        # default (12 s, 2.5 min, then 30 min): the work is short and a person is waiting.
        self.retry_delay = retry_delay or None
        # A candidate's delivery may run its tests for minutes (``Settings.delivery_timeout_s``).
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings, http: QStashHttp | None = None) -> CandidateQueue:
        return cls(
            http or QStashHttp.from_settings(settings),
            process_url=settings.process_url,
            failure_callback_url=settings.failure_callback_url,
            retries=settings.queue_retries,
            flow_control_key=settings.flow_control_key,
            parallelism=settings.flow_control_parallelism,
            retry_delay=settings.queue_retry_delay,
            timeout_s=settings.delivery_timeout_s,
        )

    def message_headers(self, item: OutboxItem) -> dict[str, str]:
        """The ``Upstash-*`` headers of one candidate's message (``QSTASH.md``)."""
        headers = {
            "Content-Type": "application/json",
            "Upstash-Retries": str(self.retries),
            "Upstash-Deduplication-Id": item.deduplication_id,
            "Upstash-Failure-Callback": self.failure_callback_url,
            "Upstash-Flow-Control-Key": self.flow_control_key,
            "Upstash-Flow-Control-Value": f"parallelism={self.parallelism}",
            "Upstash-Label": "tats-candidate",
        }
        if self.retry_delay:
            headers["Upstash-Retry-Delay"] = self.retry_delay
        if self.timeout_s:
            headers["Upstash-Timeout"] = f"{self.timeout_s}s"
        return headers

    def publish(self, items: list[OutboxItem]) -> list[str]:
        """Publish one batch (at most 100); return message ids in order, or raise QueueError."""
        messages = [
            {
                "destination": self.process_url,
                "headers": self.message_headers(item),
                "body": json.dumps({"candidateId": item.candidate_id}),
            }
            for item in items
        ]
        answer = self.http.request("POST", "/v2/batch", what="accept the messages", body=messages)
        try:
            return [str(entry["messageId"]) for entry in answer]
        except (TypeError, KeyError) as exc:
            raise QueueError("the queue (QStash) answered a publish without message ids") from exc


@dataclass
class EnqueueReport:
    enqueued: int = 0
    remaining: int = 0  # still waiting for a later reconcile
    error: str | None = None


def enqueue_pending(
    session_factory: sessionmaker[Session],
    queue: CandidateQueue,
    *,
    job_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> EnqueueReport:
    """Publish every pending, unpublished candidate (of one job, or all); stop at the first
    queue failure, leaving the rest for reconcile."""
    report = EnqueueReport()
    last_id = 0
    while True:
        with transaction(session_factory) as session:
            batch = _next_batch(session, job_id, after_id=last_id)
        if not batch:
            return report
        last_id = batch[-1].candidate_id
        try:
            message_ids = queue.publish(batch)
        except QueueError as exc:
            report.error = exc.message
            with transaction(session_factory) as session:
                report.remaining = _count_unpublished(session, job_id)
                _record_enqueue_error(session, batch, exc.message)
            log.warning(
                "publish failed, %d candidates left for reconcile: %s", report.remaining, exc
            )
            return report
        with transaction(session_factory) as session:
            _mark_enqueued(session, batch, message_ids)
        report.enqueued += len(batch)
        if progress:
            progress(report.enqueued)


def _unpublished(job_id: int | None):  # type: ignore[no-untyped-def]
    condition = and_(Candidate.status == statuses.PENDING, Candidate.enqueued_at.is_(None))
    return and_(condition, Candidate.job_id == job_id) if job_id is not None else condition


def _next_batch(session: Session, job_id: int | None, *, after_id: int) -> list[OutboxItem]:
    rows = session.execute(
        select(Candidate.id, Candidate.attempt, Candidate.enqueue_count)
        .where(_unpublished(job_id), Candidate.id > after_id)
        .order_by(Candidate.id)
        .limit(BATCH_SIZE)
    )
    return [OutboxItem(*row) for row in rows]


def _count_unpublished(session: Session, job_id: int | None) -> int:
    return session.scalar(select(func.count()).where(_unpublished(job_id))) or 0


def _mark_enqueued(session: Session, batch: list[OutboxItem], message_ids: list[str]) -> None:
    now = utcnow()
    for item, message_id in zip(batch, message_ids, strict=True):
        # Guarded by attempt: a re-run that started meanwhile must be published on its own.
        session.execute(
            update(Candidate)
            .where(Candidate.id == item.candidate_id, Candidate.attempt == item.attempt)
            .values(
                enqueued_at=now,
                message_id=message_id,
                enqueue_error=None,
                enqueue_count=Candidate.enqueue_count + 1,
            )
        )


def _record_enqueue_error(session: Session, batch: list[OutboxItem], message: str) -> None:
    session.execute(
        update(Candidate)
        .where(Candidate.id.in_([item.candidate_id for item in batch]))
        .values(enqueue_error=message)
    )


def requeue_stale_claims(session: Session, *, now: datetime | None = None) -> int:
    """Candidates left ``processing`` without a live lease (a worker died mid-job, or a claim
    was released after a transient error and its retries were lost) go back to ``pending`` to
    be published again. A live lease is never touched: its worker is still at it."""
    stale = session.scalars(
        select(Candidate).where(leases.lapsed(now or utcnow())).with_for_update(skip_locked=True)
    ).all()
    for candidate in stale:
        transition(
            session,
            candidate,
            statuses.PENDING,
            actor="reconcile",
            reason="processing without a live lease (its worker is gone); queued again",
        )
        candidate.enqueued_at = candidate.message_id = candidate.claimed_at = None
        candidate.lease_expires_at = None
    return len(stale)


@dataclass
class ReconcileReport:
    requeued_stale: int
    enqueued: int
    remaining: int
    error: str | None
    waiting_for: list[str] = field(default_factory=list)  # problems holding the outbox back

    def to_dict(self) -> dict[str, object]:
        return {
            "requeued_stale": self.requeued_stale,
            "enqueued": self.enqueued,
            "remaining": self.remaining,
            "error": self.error,
            "waiting_for": self.waiting_for,
        }


def reconcile(
    session_factory: sessionmaker[Session], queue: CandidateQueue, *, now: datetime | None = None
) -> ReconcileReport:
    """Stale claims back to the outbox, then publish the outbox, unless a dependency problem is
    recorded: its candidates would only come back (``problems``), so they wait for it."""
    with transaction(session_factory) as session:
        stale = requeue_stale_claims(session, now=now)
        recorded = problems.active(session)
        held = problems.waiting_candidates(session) if recorded else 0
    if recorded:
        headlines = [p.headline for p in recorded]
        return ReconcileReport(stale, 0, held, None, waiting_for=headlines)
    report = enqueue_pending(session_factory, queue)
    return ReconcileReport(stale, report.enqueued, report.remaining, report.error)
