"""Candidates: status changes, recruiters' overrides and re-runs, listing and detail.

Every status change goes through ``transition`` (or, on the worker's Core hot path, comes with a
``record_event``) so the audit trail (``status_event``) is complete and each change is checked
against the status machine (``statuses.TRANSITIONS``). Functions take a session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError, NotFound
from tats_core.store.models import Candidate, Evaluation, StatusEvent, utcnow

STATUS_EVENT = cast(Table, StatusEvent.__table__)
# Best score first, unevaluated last, then in upload order (served by an index).
TABLE_ORDER = (Candidate.rank_score.desc(), Candidate.id)


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
        insert(STATUS_EVENT).values(
            candidate_id=candidate_id,
            attempt=attempt,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=reason,
            override=False,
            created_at=at,
        )
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
    evaluation = current_evaluation(session, candidate)
    keeps = evaluation is not None and evaluation.status == decision
    if not keeps and not reason.strip():
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
        candidate.attempt += 1
        candidate.rank_score = -1
        candidate.enqueued_at = candidate.message_id = candidate.enqueue_error = None
        candidate.claimed_at = candidate.last_error = candidate.last_error_status = None
        candidate.finished_at = None
        transition(session, candidate, statuses.PENDING, actor=actor, reason=reason)
        count += 1
    return count


def failed_candidate_ids(session: Session, job_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Candidate.id).where(
                Candidate.job_id == job_id, Candidate.status.in_(statuses.FAILURES)
            )
        )
    )


@dataclass
class CandidateFilter:
    statuses: Sequence[str] = field(default_factory=list)
    min_score: int | None = None
    max_score: int | None = None
    search: str = ""
    analyzers: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)  # tests_status values (passed, failed, ...)


def candidates_query(
    job_id: int, filters: CandidateFilter | None = None
) -> Select[*tuple[Any, ...]]:
    """Candidates of a job joined with the evaluation of their current attempt."""
    filters = filters or CandidateFilter()
    query = (
        select(
            Candidate.id.label("candidate_id"),
            Candidate.name,
            Candidate.email,
            Candidate.github_url,
            Candidate.repo_full_name,
            Candidate.status,
            Evaluation.score,
            Evaluation.summary,
            Evaluation.strengths,
            Evaluation.concerns,
            Evaluation.analyzer,
            Evaluation.evaluated_at,
            Evaluation.flags,
            Evaluation.tests,
            Evaluation.tests_status,
            Evaluation.acceptance_status,
            Candidate.attempt,
            Candidate.updated_at,
        )
        .outerjoin(
            Evaluation,
            and_(Evaluation.candidate_id == Candidate.id, Evaluation.attempt == Candidate.attempt),
        )
        .where(Candidate.job_id == job_id)
    )
    if filters.statuses:
        query = query.where(Candidate.status.in_(filters.statuses))
    if filters.min_score is not None and filters.min_score > 0:
        query = query.where(Evaluation.score >= filters.min_score)
    if filters.max_score is not None and filters.max_score < 100:
        query = query.where(Evaluation.score <= filters.max_score)
    if filters.analyzers:
        query = query.where(Evaluation.analyzer.in_(filters.analyzers))
    if filters.tests:
        query = query.where(Evaluation.tests_status.in_(filters.tests))
    if filters.search.strip():
        needle = f"%{filters.search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Candidate.name).like(needle),
                func.lower(Candidate.email).like(needle),
                func.lower(Candidate.repo_full_name).like(needle),
                func.lower(Evaluation.summary).like(needle),
            )
        )
    return query


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


@dataclass
class CandidatePage:
    rows: list[dict[str, Any]]
    total: int  # candidates matching the filters
    page: int  # 1-based; a page past the end gives the first one
    pages: int


def _has_row_filters(filters: CandidateFilter) -> bool:
    return bool(
        filters.search.strip()
        or filters.analyzers
        or (filters.min_score or 0) > 0
        or (filters.max_score is not None and filters.max_score < 100)
    )


def candidate_page(
    session: Session,
    job_id: int,
    filters: CandidateFilter | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
    counts: dict[str, int] | None = None,
) -> CandidatePage:
    """One page of the triage table, best score first (``TABLE_ORDER``).

    Big jobs stay fast: ``counts`` (from ``jobs.status_counts``) replaces the COUNT over the join
    when only statuses are filtered, and the ordering runs over ids and scores alone; only the
    page's rows are read in full.
    """
    filters = filters or CandidateFilter()
    if counts is not None and not _has_row_filters(filters):
        total = sum(counts.get(s, 0) for s in filters.statuses or counts)
    else:
        matching = candidates_query(job_id, filters).subquery()
        total = session.scalar(select(func.count()).select_from(matching)) or 0
    pages = max(1, -(-total // page_size))
    page = page if 1 <= page <= pages else 1
    ordered = candidates_query(job_id, filters).with_only_columns(Candidate.id)
    ids = list(
        session.scalars(
            ordered.order_by(*TABLE_ORDER).limit(page_size).offset((page - 1) * page_size)
        )
    )
    rows = {
        row.candidate_id: dict(row._mapping)
        for row in session.execute(candidates_query(job_id).where(Candidate.id.in_(ids)))
    }
    return CandidatePage([rows[i] for i in ids if i in rows], total, page, pages)


def analyzer_names(session: Session, job_id: int) -> list[str]:
    """The analyzers that judged this job's current attempts (for the table's filter)."""
    return sorted(
        name
        for name in session.scalars(
            select(Evaluation.analyzer)
            .join(
                Candidate,
                and_(
                    Evaluation.candidate_id == Candidate.id,
                    Evaluation.attempt == Candidate.attempt,
                ),
            )
            .where(Candidate.job_id == job_id)
            .distinct()
        )
        if name
    )
