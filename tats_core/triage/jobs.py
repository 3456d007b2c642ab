"""Jobs: create, edit, archive, find; per-status counts as SQL aggregates (of the candidates
still in the job: removed ones are left out); the criteria each evaluation scores, and which
candidates a changed rubric would re-judge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError, NotFound
from tats_core.judging.criteria import (
    DEFAULT_CRITERIA,
    CriterionSpec,
    criteria_json,
    parse_criteria,
    rubric_hash,
)
from tats_core.store.models import Candidate, Evaluation, Job, utcnow
from tats_core.triage.listing import CURRENT_EVALUATION, LIVE


@dataclass
class JobSummary:
    id: int
    title: str
    archived: bool
    created_at: datetime
    last_activity_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def active(self) -> int:
        return sum(self.counts.get(s, 0) for s in statuses.ACTIVE)


def create_job(session: Session, title: str, description: str = "", rubric: str = "") -> Job:
    title = title.strip()
    if not title:
        raise InputError("a job needs a title")
    if find_job_by_title(session, title):
        raise InputError(f"a job titled '{title}' already exists")
    job = Job(title=title, description=description.strip(), rubric=rubric.strip())
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id}")
    return job


def find_job_by_title(session: Session, title: str) -> Job | None:
    return session.scalar(select(Job).where(func.lower(Job.title) == title.strip().lower()))


def update_job(session: Session, job_id: int, *, title: str, description: str, rubric: str) -> Job:
    job = get_job(session, job_id)
    title = title.strip()
    other = find_job_by_title(session, title)
    if not title:
        raise InputError("a job needs a title")
    if other and other.id != job_id:
        raise InputError(f"a job titled '{title}' already exists")
    job.title, job.description, job.rubric = title, description.strip(), rubric.strip()
    return job


def criteria_of(job: Job) -> tuple[CriterionSpec, ...]:
    """The job's criteria, or the default set when it has none of its own."""
    return parse_criteria(job.criteria)


def rubric_hash_of(job: Job) -> str:
    """What the job's evaluations are judged against (``judging.criteria.rubric_hash``)."""
    return rubric_hash(job.description, job.rubric, criteria_of(job))


def set_criteria(session: Session, job_id: int, criteria: list[dict[str, Any]] | None) -> Job:
    """Replace the job's criteria (checked: ``InputError`` says what is wrong); None or the
    default set store nothing. Evaluations made under the old ones keep them; re-judging is
    asked for separately (``stale_candidates``)."""
    job = get_job(session, job_id)
    specs = parse_criteria(criteria)
    job.criteria = None if specs == DEFAULT_CRITERIA else criteria_json(specs)
    return job


def stale_candidates(session: Session, job_id: int) -> list[int]:
    """Candidates whose current verdict was judged under another rubric than the job's now
    (its description, rubric or criteria changed since): the ones a re-judge would change.
    Verdicts from before rubrics were recorded are not counted: nothing says they differ."""
    job = get_job(session, job_id)
    current = rubric_hash_of(job)
    rows = session.execute(
        select(Candidate.id, Evaluation.rubric_hash)
        .join(
            Evaluation,
            CURRENT_EVALUATION,
        )
        .where(Candidate.job_id == job_id, LIVE, Candidate.status.in_(statuses.DECISIONS))
    )
    return sorted(cid for cid, judged in rows if judged is not None and judged != current)


def set_notify_url(session: Session, job_id: int, url: str | None, *, can_sign: bool) -> Job:
    """The job's webhook: where its ``job.completed`` event goes (None or "" removes it).
    ``can_sign``: TATS_WEBHOOK_SECRET is set (an unsigned webhook is never sent)."""
    job = get_job(session, job_id)
    url = (url or "").strip() or None
    if url is not None:
        if not can_sign:
            raise InputError("set TATS_WEBHOOK_SECRET to send webhooks; they are always signed")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"the notify URL must be an http(s) URL, not {url[:100]!r}")
    job.notify_url = url
    return job


def set_run_tests(session: Session, job_id: int, run_tests: bool) -> Job:
    """The job's switch for running submissions' tests in the sandbox."""
    job = get_job(session, job_id)
    job.run_tests = run_tests
    return job


def set_archived(session: Session, job_id: int, archived: bool) -> Job:
    job = get_job(session, job_id)
    job.archived_at = utcnow() if archived else None
    return job


def status_counts(session: Session, job_id: int) -> dict[str, int]:
    """Candidates per status for one job, every status present (zeros included)."""
    rows = session.execute(
        select(Candidate.status, func.count())
        .where(Candidate.job_id == job_id, LIVE)
        .group_by(Candidate.status)
    )
    counts: dict[str, int] = {str(status): 0 for status in statuses.ALL}
    counts.update({status: n for status, n in rows})
    return counts


def list_jobs(session: Session, *, include_archived: bool = False) -> list[JobSummary]:
    """Every job with its counts, the most recently active first."""
    query = select(Job)
    if not include_archived:
        query = query.where(Job.archived_at.is_(None))
    jobs = {job.id: job for job in session.scalars(query)}
    if not jobs:
        return []
    per_status = session.execute(
        select(Candidate.job_id, Candidate.status, func.count())
        .where(Candidate.job_id.in_(jobs), LIVE)
        .group_by(Candidate.job_id, Candidate.status)
    )
    last_activity = dict(
        session.execute(
            select(Candidate.job_id, func.max(Candidate.updated_at))
            .where(Candidate.job_id.in_(jobs), LIVE)
            .group_by(Candidate.job_id)
        ).all()
    )
    summaries = {
        job.id: JobSummary(
            id=job.id,
            title=job.title,
            archived=job.archived_at is not None,
            created_at=job.created_at,
            last_activity_at=last_activity.get(job.id),
            counts=dict.fromkeys(statuses.ALL, 0),
        )
        for job in jobs.values()
    }
    for job_id, status, n in per_status:
        summaries[job_id].counts[status] = n
    return sorted(
        summaries.values(),
        key=lambda s: max(s.created_at, s.last_activity_at or s.created_at),
        reverse=True,
    )


@dataclass
class JobChoice:
    id: int
    title: str
    archived: bool
    last_activity_at: datetime  # the latest candidate update, or the job's creation


def job_choices(session: Session, *, include_archived: bool = True) -> list[JobChoice]:
    """Jobs for a picker, the most recently active first, without counting any candidates."""
    latest = (
        select(func.max(Candidate.updated_at))
        .where(Candidate.job_id == Job.id, LIVE)
        .scalar_subquery()
    )
    query = select(Job.id, Job.title, Job.archived_at, Job.created_at, latest)
    if not include_archived:
        query = query.where(Job.archived_at.is_(None))
    choices = [
        JobChoice(job_id, title, archived_at is not None, max(created_at, last or created_at))
        for job_id, title, archived_at, created_at, last in session.execute(query)
    ]
    return sorted(choices, key=lambda c: c.last_activity_at, reverse=True)


def any_candidates(session: Session, job_id: int, in_statuses: tuple[str, ...] = ()) -> bool:
    """Whether the job has candidates (in one of ``in_statuses``, when given): an index probe."""
    query = select(Candidate.id).where(Candidate.job_id == job_id, LIVE)
    if in_statuses:
        query = query.where(Candidate.status.in_(in_statuses))
    return session.scalar(query.limit(1)) is not None
