"""The queue gave up on a candidate's message (its failure callback): give the candidate a
final failure status, or send it back to the outbox when no delivery ever reached a worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.processing import lease as leases
from tats_core.store.models import Candidate, Evaluation, utcnow
from tats_core.triage.candidates import transition

# Publishes of one attempt after which a candidate whose retries keep running out without an
# error of its own (a worker that dies on it, every time) is failed instead of re-queued.
MAX_PUBLISHES = 5


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
    if candidate.status == statuses.PENDING and candidate.enqueued_at is None:
        return None  # back in the outbox (waiting on a dependency, or requeued): not this message's
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
