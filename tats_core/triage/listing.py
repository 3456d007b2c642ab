"""The job's candidates as the triage table and the export list them: filters, the order (the
best score first, or a column the recruiter sorted by, over the whole job), and one page.

Removed candidates (``candidate.removed_at``) are never listed or counted: ``LIVE`` is the one
condition every job-wide query adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from tats_core.store.models import Candidate, Evaluation

LIVE = Candidate.removed_at.is_(None)
# A candidate's current evaluation: the one of its latest attempt (earlier ones are history).
CURRENT_EVALUATION = and_(
    Evaluation.candidate_id == Candidate.id, Evaluation.attempt == Candidate.attempt
)
# Best score first, unevaluated last, then in upload order (served by an index).
TABLE_ORDER = (Candidate.rank_score.desc(), Candidate.id)
# The columns the table can be sorted by, over the whole job (not only the page shown).
SORT_COLUMNS: dict[str, Any] = {
    "score": Candidate.rank_score,
    "name": func.lower(Candidate.name),
    "email": func.lower(Candidate.email),
    "status": Candidate.status,
    "updated": Candidate.updated_at,
}


@dataclass(frozen=True)
class CandidateSort:
    """An order over the whole job: a ``SORT_COLUMNS`` key, then upload order."""

    column: str = "score"
    descending: bool = True

    def order_by(self) -> tuple[Any, ...]:
        if self == DEFAULT_SORT:
            return TABLE_ORDER
        key = SORT_COLUMNS[self.column]
        return (key.desc() if self.descending else key.asc(), Candidate.id)


DEFAULT_SORT = CandidateSort()


@dataclass
class CandidateFilter:
    statuses: Sequence[str] = field(default_factory=list)
    min_score: int | None = None
    max_score: int | None = None
    search: str = ""
    analyzers: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)  # tests_status values (passed, failed, ...)

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.statuses) or _has_row_filters(self)


def candidates_query(
    job_id: int, filters: CandidateFilter | None = None
) -> Select[*tuple[Any, ...]]:
    """The job's candidates joined with the evaluation of their current attempt."""
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
            CURRENT_EVALUATION,
        )
        .where(Candidate.job_id == job_id, LIVE)
    )
    return query.where(*_conditions(filters))


def _conditions(filters: CandidateFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.statuses:
        conditions.append(Candidate.status.in_(filters.statuses))
    if filters.min_score is not None and filters.min_score > 0:
        conditions.append(Evaluation.score >= filters.min_score)
    if filters.max_score is not None and filters.max_score < 100:
        conditions.append(Evaluation.score <= filters.max_score)
    if filters.analyzers:
        conditions.append(Evaluation.analyzer.in_(filters.analyzers))
    if filters.tests:
        conditions.append(Evaluation.tests_status.in_(filters.tests))
    if filters.search.strip():
        needle = f"%{filters.search.strip().lower()}%"
        conditions.append(
            or_(
                func.lower(Candidate.name).like(needle),
                func.lower(Candidate.email).like(needle),
                func.lower(Candidate.repo_full_name).like(needle),
                func.lower(Evaluation.summary).like(needle),
            )
        )
    return conditions


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
        or filters.tests
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
    sort: CandidateSort = DEFAULT_SORT,
) -> CandidatePage:
    """One page of the triage table in ``sort`` order over the whole job (by default the best
    score first, ``TABLE_ORDER``).

    Big jobs stay fast: ``counts`` (from ``jobs.status_counts``) replaces the COUNT over the join
    when only statuses are filtered, and the ordering runs over ids and sort keys alone; only
    the page's rows are read in full.
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
            ordered.order_by(*sort.order_by()).limit(page_size).offset((page - 1) * page_size)
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
                CURRENT_EVALUATION,
            )
            .where(Candidate.job_id == job_id, LIVE)
            .distinct()
        )
        if name
    )
