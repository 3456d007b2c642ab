"""Claims on candidates, in Core SQL: take one, renew its lease, give it back, or finish it.

Delivery is at least once, so every step is written to be repeated safely:

- **claim** is one conditional UPDATE (``pending``, or ``processing`` without a live lease,
  becomes ``processing`` with a fresh ``claimed_at`` and a lease); whoever's UPDATE matched owns
  the candidate, on SQLite and PostgreSQL alike. ``tats_core.processing.lease`` holds the one
  rule for when a lease has lapsed;
- **finish** writes the evaluation, the final status and the status event in one transaction,
  fenced by the claim (``claimed_at`` must still be ours) and by the unique
  (candidate_id, attempt) of ``evaluation``: a duplicate or superseded delivery writes nothing.

The hot path speaks Core to the tables: the ORM's unit of work and its bulk-statement machinery
cost more CPU than the statements themselves (profiled with py-spy). Its statements are built
once, here, with their values bound at execution: building one (and its cache key) per
delivery cost more than running it (``bench/worker.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BindParameter, Table, and_, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.judging.analysis import JobBrief
from tats_core.judging.criteria import parse_criteria
from tats_core.processing import lease as leases
from tats_core.processing import problems
from tats_core.processing.outcome import DeliveryOutcome, Outcome
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, DependencyProblem, Evaluation, Job, utcnow
from tats_core.triage.candidates import record_event

CANDIDATE, JOB, EVALUATION, PROBLEM = (
    cast(Table, m.__table__) for m in (Candidate, Job, Evaluation, DependencyProblem)
)

# Bound at execution (names apart from the columns a statement sets): the candidate, the time.
_ID: BindParameter[int] = bindparam("b_id")
_NOW: BindParameter[datetime] = bindparam("b_now")
# While a dependency problem is recorded, judging would fail on it: nothing is claimed.
_NO_PROBLEM = ~exists().select_from(PROBLEM)
_CLAIM_PENDING = update(CANDIDATE).where(
    CANDIDATE.c.id == _ID, CANDIDATE.c.status == statuses.PENDING, _NO_PROBLEM
)
_CLAIM_LAPSED = update(CANDIDATE).where(CANDIDATE.c.id == _ID, leases.lapsed(_NOW), _NO_PROBLEM)
_WORK_OF = (
    select(
        CANDIDATE.c.attempt,
        CANDIDATE.c.repo_full_name,
        CANDIDATE.c.repo_ref,
        CANDIDATE.c.repo_path,
        CANDIDATE.c.job_id,
        JOB.c.title,
        JOB.c.description,
        JOB.c.rubric,
        JOB.c.criteria,
        JOB.c.run_tests,
        JOB.c.notify_url.is_not(None).label("notifies"),
    )
    .join(JOB, JOB.c.id == CANDIDATE.c.job_id)
    .where(CANDIDATE.c.id == _ID)
)
# Our claim still holds: nobody took the candidate over (stale claim, re-run).
_OURS = and_(
    CANDIDATE.c.id == _ID,
    CANDIDATE.c.status == statuses.PROCESSING,
    CANDIDATE.c.attempt == bindparam("b_attempt"),
    CANDIDATE.c.claimed_at == bindparam("b_claimed_at"),
)
_UPDATE_OURS = update(CANDIDATE).where(_OURS)
_STILL_OURS = select(CANDIDATE.c.id).where(_OURS)
_INSERT_EVALUATION = insert(EVALUATION)


@dataclass(frozen=True)
class Work:
    """A claimed candidate: what judging needs, and what fences our writes (attempt, claim)."""

    candidate_id: int
    attempt: int
    claimed_at: datetime
    repo_full_name: str
    repo_ref: str | None
    repo_path: str | None
    job: JobBrief
    job_id: int | None = None
    run_tests: bool = True  # the job's switch
    job_notifies: bool = False  # the job has a webhook (a notify URL) when claimed


def claim(
    session: Session,
    candidate_id: int,
    *,
    message_id: str | None,
    now: datetime,
    lease: timedelta = leases.DEFAULT_LEASE,
) -> Work | DeliveryOutcome:
    """Our claim on the candidate, or why not. While a dependency problem is recorded nothing is
    claimed: the candidate waits in the outbox instead (``hold_back``), spending nothing."""
    claimed = {
        "b_id": candidate_id,
        "b_now": now,
        "claimed_at": now,
        "lease_expires_at": leases.expiry(now, lease),
        "updated_at": now,
        "status": statuses.PROCESSING,
    }
    if message_id:
        claimed["message_id"] = message_id
    # Two conditional UPDATEs rather than one, so the status event knows where it came from.
    from_status = None
    if _changed(session, _CLAIM_PENDING, claimed):
        from_status = statuses.PENDING
    elif not _changed(session, _CLAIM_LAPSED, claimed):
        return _not_claimed_or_held_back(session, candidate_id, now)
    work = _work_of(session, candidate_id, now)
    if from_status is not None:
        record_event(
            session,
            candidate_id,
            work.attempt,
            from_status,
            statuses.PROCESSING,
            actor="worker",
            reason="claimed",
            at=now,
        )
    return work


def _not_claimed_or_held_back(
    session: Session, candidate_id: int, now: datetime
) -> DeliveryOutcome:
    recorded = problems.active(session)
    if not recorded:
        return _not_claimed(session, candidate_id, now)
    reason = f"waiting for {recorded[0].headline}"
    not_held = hold_back(session, candidate_id, reason, now=now)
    return not_held or DeliveryOutcome(Outcome.WAITING, statuses.PENDING, detail=reason)


def _changed(session: Session, statement: Any, values: dict[str, Any]) -> bool:
    """Run a prepared conditional UPDATE; True when it matched a row."""
    return bool(session.execute(statement, values).rowcount)  # type: ignore[attr-defined]


def _outbox_values(now: datetime) -> dict[str, Any]:
    """A candidate back in the outbox: pending, unpublished, unclaimed (no retry spent)."""
    return {
        "status": statuses.PENDING,
        "enqueued_at": None,
        "message_id": None,
        "claimed_at": None,
        "lease_expires_at": None,
        "updated_at": now,
    }


def hold_back(
    session: Session, candidate_id: int, reason: str, *, now: datetime
) -> DeliveryOutcome | None:
    """Send an unclaimed candidate back to the outbox instead of claiming it (a dependency is
    misconfigured); None when it was held back, else why not (final, busy, unknown)."""
    values = _outbox_values(now)
    for from_status, condition in (
        (statuses.PENDING, CANDIDATE.c.status == statuses.PENDING),
        (statuses.PROCESSING, leases.lapsed(now)),
    ):
        if update_candidate(session, candidate_id, condition, values):
            attempt = session.scalar(
                select(CANDIDATE.c.attempt).where(CANDIDATE.c.id == candidate_id)
            )
            record_event(
                session,
                candidate_id,
                int(attempt or 1),
                from_status,
                statuses.PENDING,
                actor="worker",
                reason=reason[:500],
                at=now,
            )
            return None
    return _not_claimed(session, candidate_id, now)


def give_back(session: Session, work: Work, reason: str) -> bool:
    """Our claimed candidate goes back to the outbox, spending none of its retries."""
    now = utcnow()
    if not _changed(session, _UPDATE_OURS, _outbox_values(now) | _ours(work)):
        return False
    record_event(
        session,
        work.candidate_id,
        work.attempt,
        statuses.PROCESSING,
        statuses.PENDING,
        actor="worker",
        reason=reason[:500],
        at=now,
    )
    return True


def _work_of(session: Session, candidate_id: int, claimed_at: datetime) -> Work:
    row = session.execute(_WORK_OF, {"b_id": candidate_id}).one()
    return Work(
        candidate_id=candidate_id,
        attempt=row.attempt,
        claimed_at=claimed_at,
        repo_full_name=row.repo_full_name,
        repo_ref=row.repo_ref,
        repo_path=row.repo_path,
        job=JobBrief(
            title=row.title,
            description=row.description,
            rubric=row.rubric,
            criteria=parse_criteria(row.criteria),
        ),
        job_id=row.job_id,
        run_tests=bool(row.run_tests),
        job_notifies=bool(row.notifies),
    )


def update_candidate(
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


def _ours(work: Work) -> dict[str, Any]:
    """The values ``_OURS`` is bound to for ``work``."""
    return {"b_id": work.candidate_id, "b_attempt": work.attempt, "b_claimed_at": work.claimed_at}


def still_ours(session: Session, work: Work) -> bool:
    return session.execute(_STILL_OURS, _ours(work)).first() is not None


def finish(
    session: Session, work: Work, evaluation: dict[str, Any], status: str, reason: str
) -> bool:
    """Evaluation, final status and status event in one transaction, fenced by the claim.
    False when the claim is no longer ours (nothing written)."""
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
    if not _changed(session, _UPDATE_OURS, final | _ours(work)):
        return False
    session.execute(
        _INSERT_EVALUATION,
        {"candidate_id": work.candidate_id, "attempt": work.attempt, "evaluated_at": now}
        | evaluation,
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


def release_claim(session: Session, work: Work, error: str, failure_status: str) -> None:
    """Give the candidate back for the retry QStash will make, remembering why it failed."""
    released = {
        "claimed_at": None,
        "lease_expires_at": None,
        "last_error": error,
        "last_error_status": failure_status,
        "updated_at": utcnow(),
    }
    if _changed(session, _UPDATE_OURS, released | _ours(work)):
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
    return _changed(session, _UPDATE_OURS, values | _ours(work))


def release_leases(session_factory: sessionmaker[Session], works: list[Work], why: str) -> int:
    """A stopping worker hands back what it holds, so the next delivery takes it at once."""
    released = 0
    for work in works:
        with transaction(session_factory) as session:
            free = {"claimed_at": None, "lease_expires_at": None, "updated_at": utcnow()}
            if not _changed(session, _UPDATE_OURS, free | _ours(work)):
                continue  # finished or taken over meanwhile
            _note_released(session, work, why)
            released += 1
    return released
