"""Importing candidates: the one use case behind ``tats import``, the upload page and the demo.

Two steps, in this order. First the job (when new) and every valid row are stored in one
transaction: a rejected file leaves nothing behind. Then the stored candidates are published
through the outbox; a queue that is down never fails an import — the candidates stay ``pending``
and ``reconcile`` publishes them later, which ``ImportResult.enqueue`` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tats_core.processing.queue import CandidateQueue, EnqueueReport, enqueue_pending
from tats_core.store.db import transaction
from tats_core.triage import acceptance, jobs
from tats_core.triage.csv_reader import ColumnChoice
from tats_core.triage.ingest import IMPORT_ACTOR, IngestReport, ingest

# fraction done (0..1) and a sentence saying what is happening
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class NewJob:
    """A job to create with the import. ``reuse_by_title``: take the job that already has this
    title instead (``tats import --job-title`` and the demo); the upload page always creates."""

    title: str
    description: str = ""
    rubric: str = ""
    reuse_by_title: bool = False
    # The employer's acceptance tests (path -> bytes), stored as the job's newest version.
    acceptance: Mapping[str, bytes] | None = None
    # The job's webhook; ``can_sign``: TATS_WEBHOOK_SECRET is set (webhooks are always signed).
    notify_url: str | None = None
    can_sign: bool = False


@dataclass(frozen=True)
class ImportResult:
    job_id: int
    ingest: IngestReport
    enqueue: EnqueueReport

    def to_dict(self) -> dict[str, Any]:
        """The ``tats import`` JSON object (contract)."""
        return self.ingest.to_dict(enqueued=self.enqueue.enqueued)


def _no_progress(fraction: float, text: str) -> None:
    pass


def import_candidates(
    session_factory: sessionmaker[Session],
    queue: CandidateQueue,
    source: str | Path | bytes,
    *,
    job: int | NewJob,
    mapping: ColumnChoice | None = None,
    progress: Progress = _no_progress,
    replace: bool = False,
    actor: str = IMPORT_ACTOR,
) -> ImportResult:
    """Store the file's valid rows for ``job`` (an id, or a job to create), then queue them.
    ``replace``: rows that change candidates already in the job are applied (``ingest``).

    Raises ``InputError`` (nothing stored) for an unreadable file or an unknown job.
    """
    with transaction(session_factory) as session:
        job_id = _resolve_job(session, job)
        if isinstance(job, NewJob) and job.acceptance:  # before any candidate can be judged
            acceptance.attach(session, job_id, job.acceptance, actor="tats import")
        if isinstance(job, NewJob) and job.notify_url:
            jobs.set_notify_url(session, job_id, job.notify_url, can_sign=job.can_sign)
        report = ingest(
            session,
            job_id,
            source,
            mapping=mapping,
            progress=lambda done: progress(min(done, 1.0) / 2, "Checking and storing the rows…"),
            replace=replace,
            actor=actor,
        )
    progress(0.5, f"Stored {report.inserted:,}; queueing them for processing…")
    enqueue = enqueue_pending(
        session_factory,
        queue,
        job_id=job_id,
        progress=lambda sent: progress(
            min(0.5 + sent / max(report.inserted, 1) / 2, 1.0), f"Queued {sent:,}…"
        ),
    )
    return ImportResult(job_id, report, enqueue)


def _resolve_job(session: Session, job: int | NewJob) -> int:
    if isinstance(job, int):
        return jobs.get_job(session, job).id
    existing = jobs.find_job_by_title(session, job.title) if job.reuse_by_title else None
    if existing is not None:
        existing.archived_at = None  # importing into an archived job brings it back
        return existing.id
    return jobs.create_job(session, job.title, job.description, job.rubric).id
