"""Candidates: status changes, recruiters' overrides and re-runs, history and detail (the
table's listing is ``listing``).

Every status change goes through ``transition`` (or, on the worker's Core hot path, comes with a
``record_event``) so the audit trail (``status_event``) is complete and each change is checked
against the status machine (``statuses.TRANSITIONS``). Functions take a session and never
commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, insert, select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError, NotFound
from tats_core.store.models import Candidate, Evaluation, Job, StatusEvent, utcnow
from tats_core.triage.listing import LIVE

STATUS_EVENT = cast(Table, StatusEvent.__table__)
# Built once: the worker records two events per delivery, and building the statement cost
# more than running it.
_INSERT_EVENT = insert(STATUS_EVENT)
# The actor the worker records its own verdicts under (``processing.claims``); a failure the
# queue recorded after its retries ran out is the queue's.
WORKER_ACTOR = "worker"


def transition(
    session: Session,
    candidate: Candidate,
    to_status: str,
    *,
    actor: str,
    reason: str = "",
    override: bool = False,
) -> None:
    statuses.check_transition(candidate.status, to_status)
    session.add(
        StatusEvent(
            candidate_id=candidate.id,
            attempt=candidate.attempt,
            from_status=candidate.status,
            to_status=to_status,
            actor=actor,
            reason=reason,
            override=override,
        )
    )
    candidate.status = to_status
    candidate.updated_at = utcnow()
    if to_status in statuses.FINAL:
        candidate.finished_at = candidate.updated_at


def record_event(
    session: Session,
    candidate_id: int,
    attempt: int,
    from_status: str | None,
    to_status: str,
    *,
    actor: str,
    reason: str,
    at: datetime,
) -> None:
    """The audit row for a status change made by a Core UPDATE (the worker's hot path); the
    change must be one the status machine allows."""
    statuses.check_transition(from_status, to_status)
    session.execute(
        _INSERT_EVENT,
        {
            "candidate_id": candidate_id,
            "attempt": attempt,
            "from_status": from_status,
            "to_status": to_status,
            "actor": actor,
            "reason": reason,
            "override": False,
            "created_at": at,
        },
    )


def get_candidate(session: Session, candidate_id: int, *, for_update: bool = False) -> Candidate:
    query = select(Candidate).where(Candidate.id == candidate_id)
    if for_update:
        query = query.with_for_update()
    candidate = session.scalar(query)
    if candidate is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    return candidate


def override_decision(
    session: Session, candidate_id: int, decision: str, *, actor: str, reason: str
) -> Candidate:
    """A recruiter's decision replaces the analyzer's; who, why and when are recorded.

    Keeping the analyzer's decision is a review too (it counts towards the agreement with the
    analyzer) and needs no reason; changing it does.
    """
    if decision not in statuses.DECISIONS:
        labels = ", ".join(statuses.LABELS[d] for d in statuses.DECISIONS)
        raise InputError(f"'{decision}' is not a decision ({labels})")
    candidate = get_candidate(session, candidate_id, for_update=True)
    if candidate.status in statuses.ACTIVE:
        raise InputError("this candidate is still being processed; decide once it is done")
    if candidate.removed_at is not None:
        raise InputError("this candidate was removed from the job")
    evaluation = current_evaluation(session, candidate)
    analyzer_decided = evaluation is not None and evaluation.status in statuses.DECISIONS
    keeps = analyzer_decided and evaluation is not None and evaluation.status == decision
    if not keeps and not reason.strip():
        if not analyzer_decided:
            raise InputError(
                "the analyzer made no decision here, so there is none to keep: say why you "
                f"decide {statuses.LABELS[decision]}; the reason is kept with it"
            )
        raise InputError("say why you change the decision; the reason is kept with it")
    reason = reason.strip() or "kept the analyzer's decision"
    transition(
        session,
        candidate,
        decision,
        actor=actor or "recruiter",
        reason=reason,
        override=True,
    )
    return candidate


def rerun(
    session: Session,
    candidate_ids: list[int],
    *,
    actor: str,
    reason: str = "re-run",
    replace_reviews: bool = False,
) -> int:
    """Start a new attempt for each final candidate: back to ``pending``, not yet enqueued.

    A candidate a recruiter has decided on keeps that decision unless ``replace_reviews`` says
    the recruiter was asked and agreed: a re-run never silently replaces a human decision.
    """
    reviewed = {
        event.candidate_id
        for event in session.scalars(
            select(StatusEvent)
            .join(
                Candidate,
                and_(
                    Candidate.id == StatusEvent.candidate_id,
                    Candidate.attempt == StatusEvent.attempt,
                ),
            )
            .where(StatusEvent.candidate_id.in_(candidate_ids), StatusEvent.override.is_(True))
        )
    }
    count = 0
    for candidate in session.scalars(
        select(Candidate).where(Candidate.id.in_(candidate_ids)).with_for_update()
    ):
        if candidate.status in statuses.ACTIVE:
            continue  # already queued or running: a second attempt would race the first
        if candidate.id in reviewed and not replace_reviews:
            continue
        if candidate.removed_at is not None:
            continue
        new_attempt(session, candidate, actor=actor, reason=reason)
        count += 1
    return count


def new_attempt(session: Session, candidate: Candidate, *, actor: str, reason: str) -> None:
    """Back to ``pending`` as a new attempt, waiting for the outbox to publish it."""
    candidate.attempt += 1
    candidate.rank_score = -1
    candidate.enqueued_at = candidate.message_id = candidate.enqueue_error = None
    candidate.claimed_at = candidate.last_error = candidate.last_error_status = None
    candidate.lease_expires_at = candidate.finished_at = None
    transition(session, candidate, statuses.PENDING, actor=actor, reason=reason)


@dataclass(frozen=True)
class Failures:
    """A job's failed candidates, split by whether a re-run can change the outcome."""

    retryable: list[int]
    # GitHub said the repository cannot be read (missing, private, blocked, a path or branch
    # that is not there): a re-run asks the same question and spends quota for the same answer.
    permanent: list[int]

    @property
    def total(self) -> int:
        return len(self.retryable) + len(self.permanent)


def job_failures(session: Session, job_id: int) -> Failures:
    """The failed candidates of a job. A GitHub failure the worker recorded itself is permanent
    (``errors.GitHubError`` without ``transient``); one the queue recorded after its retries ran
    out (rate limit, server errors) and every other failure are worth a re-run."""
    recorded_by_worker = (
        select(StatusEvent.id)
        .where(
            StatusEvent.candidate_id == Candidate.id,
            StatusEvent.attempt == Candidate.attempt,
            StatusEvent.to_status == Candidate.status,
            StatusEvent.actor == WORKER_ACTOR,
        )
        .exists()
    )
    rows = session.execute(
        select(Candidate.id, Candidate.status == statuses.GITHUB_FAILED, recorded_by_worker)
        .where(Candidate.job_id == job_id, LIVE, Candidate.status.in_(statuses.FAILURES))
        .order_by(Candidate.id)
    )
    retryable: list[int] = []
    permanent: list[int] = []
    for candidate_id, github, by_worker in rows:
        (permanent if github and by_worker else retryable).append(candidate_id)
    return Failures(retryable, permanent)


@dataclass(frozen=True)
class MessageOwner:
    """The candidate a queue message was published for, and its job."""

    candidate_id: int
    name: str
    job_id: int
    job_title: str


def message_owners(session: Session, message_ids: Iterable[str]) -> dict[str, MessageOwner]:
    """Who each queue message was about: the candidate whose current publish it is, or whose
    evaluation it delivered."""
    ids = sorted(set(message_ids) - {""})
    if not ids:
        return {}
    columns = (Candidate.id, Candidate.name, Job.id, Job.title)
    current = select(Candidate.message_id, *columns).join(Job, Job.id == Candidate.job_id)
    delivered = (
        select(Evaluation.message_id, *columns)
        .join(Candidate, Candidate.id == Evaluation.candidate_id)
        .join(Job, Job.id == Candidate.job_id)
    )
    owners: dict[str, MessageOwner] = {}
    for query, column in ((delivered, Evaluation.message_id), (current, Candidate.message_id)):
        for message_id, cid, name, job_id, title in session.execute(query.where(column.in_(ids))):
            if message_id:
                owners[message_id] = MessageOwner(cid, name, job_id, title)
    return owners


IMPORTED_REASON = "imported from CSV"


def history(session: Session, candidate_id: int) -> list[StatusEvent]:
    """The candidate's status changes, oldest first, starting with its creation.

    An import stores no event per candidate (the row's ``created_at`` already says when it
    arrived, and 100,000 redundant audit rows cost more than the import itself), so the first
    entry is built from the candidate row, unsaved. Databases written before that hold a stored
    creation event (``from_status`` NULL) instead, which is then used as it is.
    """
    stored = list(
        session.scalars(
            select(StatusEvent)
            .where(StatusEvent.candidate_id == candidate_id)
            .order_by(StatusEvent.id)
        )
    )
    if stored and stored[0].from_status is None:
        return stored
    created_at = session.scalar(select(Candidate.created_at).where(Candidate.id == candidate_id))
    if created_at is None:
        return stored
    creation = StatusEvent(
        candidate_id=candidate_id,
        attempt=1,
        from_status=None,
        to_status=statuses.PENDING,
        actor="system",
        reason=IMPORTED_REASON,
        override=False,
        created_at=created_at,
    )
    return [creation, *stored]


def current_evaluation(session: Session, candidate: Candidate) -> Evaluation | None:
    return session.scalar(
        select(Evaluation).where(
            Evaluation.candidate_id == candidate.id, Evaluation.attempt == candidate.attempt
        )
    )
