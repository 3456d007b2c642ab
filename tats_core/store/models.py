"""SQLAlchemy 2.x models: job, candidate, evaluation, status_event, candidate_note,
candidate_file, http_cache, blob_text, commit_archive, dependency_problem, schema_compat,
job_acceptance, job_event.

The same schema runs on SQLite and PostgreSQL; timestamps are stored as UTC and come back
timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tats_core import statuses


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database (SQLite keeps no zone), aware UTC in Python."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; TATS stores UTC only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


class Job(Base):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # What a good submission looks like, in the recruiter's words; fed to the analyzers.
    rubric: Mapped[str] = mapped_column(Text, default="")
    # Run each submission's tests in the sandbox (TATS_RUN_TESTS can turn it off for all jobs).
    run_tests: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The criteria each evaluation scores, with weights (``judging.criteria``); NULL: the
    # default set. Part of the rubric, with the description and ``rubric``.
    criteria: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Where a signed ``job.completed`` event goes once every candidate is final (a webhook).
    notify_url: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    candidates: Mapped[list[Candidate]] = relationship(back_populates="job")


class Candidate(Base):
    __tablename__ = "candidate"
    __table_args__ = (
        UniqueConstraint("job_id", "repo_key"),
        # NULL emails do not collide (SQL semantics on both databases).
        UniqueConstraint("job_id", "email_key"),
        # Per-status counts of a job from the index alone, of all its candidates or of those
        # still in it (``removed_at`` NULL): the triage page reads them on every refresh.
        Index("ix_candidate_job_id_status_removed_at", "job_id", "status", "removed_at"),
        Index("ix_candidate_job_id_updated_at", "job_id", "updated_at"),
        # reconcile: pending and never enqueued / stale processing claims.
        Index("ix_candidate_status_enqueued_at", "status", "enqueued_at"),
        # The triage table's order (best first), read page by page without sorting the job.
        Index("ix_candidate_job_id_rank_score_id", "job_id", text("rank_score DESC"), "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    email_key: Mapped[str | None] = mapped_column(String(320))
    github_url: Mapped[str] = mapped_column(Text)  # as the candidate wrote it
    repo_full_name: Mapped[str] = mapped_column(String(200))  # normalised owner/repo
    repo_key: Mapped[str] = mapped_column(String(200))  # lower-cased owner/repo: the dedup key
    repo_ref: Mapped[str | None] = mapped_column(String(255))  # from /tree/<ref>/...
    repo_path: Mapped[str | None] = mapped_column(Text)  # subdirectory submissions
    status: Mapped[str] = mapped_column(String(32), default=statuses.PENDING)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # The current attempt's score, -1 while it has none: a copy of evaluation.score kept here
    # so a 100,000-candidate job pages through its table in index order.
    rank_score: Mapped[int] = mapped_column(Integer, default=-1, server_default=text("-1"))
    # Queue bookkeeping (the outbox): NULL enqueued_at + pending = not yet published.
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(100))
    # Successful publishes so far; part of the deduplication id, so a publish repeated after a
    # crash is dropped by QStash while a deliberate re-queue is not.
    enqueue_count: Mapped[int] = mapped_column(Integer, default=0)
    enqueue_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The claim is a lease that the working process renews; past this moment it has lapsed and
    # the candidate may be taken over (``tats_core.processing.lease``).
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_status: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Removed from the job by a recruiter: hidden from the job's lists, counts and exports, but
    # kept with its history (a re-import of its repository or email brings it back).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(200))

    job: Mapped[Job] = relationship(back_populates="candidates")
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="candidate", order_by="Evaluation.attempt"
    )


class Evaluation(Base):
    """One row per attempt; the unique (candidate_id, attempt) makes delivery idempotent."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("candidate_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    score: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    strengths: Mapped[list[str]] = mapped_column(JSON, default=list)
    concerns: Mapped[list[str]] = mapped_column(JSON, default=list)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. "prompt_injection"
    analyzer: Mapped[str] = mapped_column(String(32), default="")
    model: Mapped[str | None] = mapped_column(String(100))
    prompt_hash: Mapped[str | None] = mapped_column(String(64))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    raw_answer: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(100))
    # The submission's own tests and the job's acceptance tests, run in the sandbox
    # (``tats_core.testrun``'s report as JSON; the two statuses copied out for filtering).
    tests: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # without the output, below
    tests_output: Mapped[str | None] = mapped_column(Text)  # the runs' kept output, trimmed
    tests_status: Mapped[str | None] = mapped_column(String(16))
    acceptance_status: Mapped[str | None] = mapped_column(String(16))
    acceptance_version: Mapped[int | None] = mapped_column(Integer)
    # What the verdict was judged against, and its reuse (``processing.reuse``): the job's
    # rubric (description, rubric, criteria); the key of commit, rubric, analyzer, test set-up
    # and given files under which the same verdict is reused; the verdict itself before the
    # job's shared-code check (which is the job's, redone every time); and the evaluation whose
    # verdict this one reused, with no new model call or test run.
    rubric_hash: Mapped[str | None] = mapped_column(String(64))
    verdict_key: Mapped[str | None] = mapped_column(String(64), index=True)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reused_from: Mapped[int | None] = mapped_column(Integer)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    candidate: Mapped[Candidate] = relationship(back_populates="evaluations")


class StatusEvent(Base):
    """The audit trail: every status change, who made it and why."""

    __tablename__ = "status_event"
    __table_args__ = (Index("ix_status_event_candidate_id_id", "candidate_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))  # "system", "worker", or a recruiter
    reason: Mapped[str] = mapped_column(Text, default="")
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CandidateNote(Base):
    """A recruiter's note on a candidate: not a decision, kept with its author and time."""

    __tablename__ = "candidate_note"
    __table_args__ = (Index("ix_candidate_note_candidate_id_id", "candidate_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CandidateFile(Base):
    """A candidate's own code files (path, blob sha, size) from the current attempt's tree, so
    a job's submissions can be compared at any time without GitHub (``judging.overlap``), and
    the code files of the starter it was given (``given``)."""

    __tablename__ = "candidate_file"
    __table_args__ = (
        # "which other candidates of this job have this file?"
        Index("ix_candidate_file_job_id_sha", "job_id", "sha"),
        Index("ix_candidate_file_candidate_id", "candidate_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    sha: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    # A file of the starter this candidate was given (a fork's parent, a template, commits
    # another author pushed first): given to every submission of the job, never shared code.
    given: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class HttpCache(Base):
    """Conditional-request cache for the GitHub API (ETag -> body), so re-runs cost 304s."""

    __tablename__ = "http_cache"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    etag: Mapped[str] = mapped_column(String(300))
    status_code: Mapped[int] = mapped_column(Integer, default=200)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlobText(Base):
    """A file's text by git blob sha, read once for every candidate, job, re-run and worker.

    ``skipped`` says why a blob has no text that reading again would not change (``binary``,
    ``too large``); ``text`` is then NULL.
    """

    __tablename__ = "blob_text"

    sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommitArchive(Base):
    """A submission's tar.gz by commit sha, downloaded once for every candidate, re-run and
    worker: a commit sha names the same tree in every repository that holds it."""

    __tablename__ = "commit_archive"

    sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DependencyProblem(Base):
    """An outside service TATS cannot use until an operator fixes a setting (a rejected key or
    token): shared by every worker process and the app, shown by ``/healthz`` and the pages'
    banner, cleared when the service answers again. Never holds a secret."""

    __tablename__ = "dependency_problem"

    dependency: Mapped[str] = mapped_column(String(40), primary_key=True)  # "cohere", "github"
    message: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchemaCompat(Base):
    """One row: the oldest schema revision whose code can still run on this database. A replica
    of an older release reads it during a rolling deploy to decide whether it may run on a
    schema that is ahead of it (``store.schema.ensure_schema``)."""

    __tablename__ = "schema_compat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    min_reader: Mapped[str] = mapped_column(String(100))


class JobAcceptance(Base):
    """One version of a job's acceptance tests: the employer's files as a zip, placed over each
    submission at the same relative paths and run with its test runner. Versions are kept;
    the newest is used, and each evaluation names the version it ran."""

    __tablename__ = "job_acceptance"
    __table_args__ = (UniqueConstraint("job_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    archive: Mapped[bytes] = mapped_column(LargeBinary)  # zip of the files, paths as placed
    file_count: Mapped[int] = mapped_column(Integer)
    total_bytes: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobEvent(Base):
    """A webhook event of a job (``job.completed``), kept as an outbox: created once per
    completion (``completion``: the live candidates and their attempts, so a re-run that
    completes the job again is a new event and an override is not), published through the
    queue, which retries it; ``event_id`` is the same on every attempt."""

    __tablename__ = "job_event"
    __table_args__ = (UniqueConstraint("job_id", "completion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    completion: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed and sent (JSON)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
