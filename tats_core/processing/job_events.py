"""Job webhooks: once every candidate of a job with a notify URL is final, one signed
``job.completed`` event goes out through the queue (retried and dead-lettered like any message).

- **When**: ``note_completion`` runs after every final status (a delivery's, the failure
  callback's) and in ``reconcile`` every minute (two candidates finishing at once may each see the
  other still running: the next reconcile catches that). A job is complete when none of its live
  candidates is pending or processing. One event per *completion*: the key is the number of live
  candidates and the sum of their attempts, so a re-run that completes the job again (or more
  candidates that finish) makes a new event, while a recruiter's decision, which moves no
  attempt, does not. The key is unique per job in ``job_event``: a race writes it once.
- **What**: the body ``{"event", "job_id", "total", "counts", "completed_at"}`` (contract), sent
  as it was signed: headers ``X-TATS-Event-ID`` (a UUID derived from the job and the key, the
  same on every attempt) and ``X-TATS-Signature: sha256=<hex>`` (HMAC-SHA256 of the body under
  ``TATS_WEBHOOK_SECRET``), forwarded by QStash to the receiver.
- **How**: the event row is an outbox; ``publish_due`` publishes what is unpublished (a queue
  that is down leaves it for the next reconcile); QStash's deduplication id is the event id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.errors import QueueError
from tats_core.processing.qstash_http import QStashHttp
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Job, JobEvent, utcnow
from tats_core.triage.jobs import status_counts
from tats_core.triage.listing import LIVE

log = logging.getLogger("tats.webhooks")

EVENT = "job.completed"
EVENT_NAMESPACE = uuid.UUID("6b0e2f4c-5a43-4f6e-9a51-7c2d1e0b9a17")
RETRIES = 6  # the queue's backoff spreads these over hours, as ATS webhooks are retried


def signature(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: what a receiver recomputes over the raw body to trust an event."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def note_completion(session: Session, job_id: int) -> JobEvent | None:
    """The job's completion event if it just completed (created now), else None."""
    # Asked after every final status, and most jobs have no webhook: one column, not the whole
    # job (the ORM's load of it was most of this function's time).
    notify_url = session.scalar(select(Job.notify_url).where(Job.id == job_id))
    if not notify_url:
        return None
    live = select(Candidate).where(Candidate.job_id == job_id, LIVE).subquery()
    total, attempts, active = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(live.c.attempt), 0),
            func.count().filter(live.c.status.in_(statuses.ACTIVE)),
        ).select_from(live)
    ).one()
    if not total or active:
        return None
    completion = f"{total}:{attempts}"
    if session.scalar(
        select(JobEvent.id).where(JobEvent.job_id == job_id, JobEvent.completion == completion)
    ):
        return None
    event = _event(session, job_id, notify_url, completion, total)
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return None  # another process noted this completion first
    return event


def _event(session: Session, job_id: int, url: str, completion: str, total: int) -> JobEvent:
    counts = {s: n for s, n in status_counts(session, job_id).items() if n}
    now = utcnow()
    body = {
        "event": EVENT,
        "job_id": job_id,
        "total": total,
        "counts": counts,
        "completed_at": now.isoformat().replace("+00:00", "Z"),
    }
    event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"{job_id}:{completion}"))
    return JobEvent(
        job_id=job_id,
        completion=completion,
        event_id=event_id,
        body=json.dumps(body, separators=(",", ":")),
        url=url,
        created_at=now,
    )


@dataclass
class WebhookSender:
    """Publishes job events through the queue; built from settings like ``CandidateQueue``."""

    http: QStashHttp
    secret: str | None

    def publish(self, event: JobEvent) -> str:
        """Publish one event; its message id, or ``QueueError``."""
        if not self.secret:
            raise QueueError("TATS_WEBHOOK_SECRET is not set: the event cannot be signed")
        body = event.body.encode()
        headers = {
            "Content-Type": "application/json",
            "Upstash-Retries": str(RETRIES),
            "Upstash-Deduplication-Id": event.event_id,
            "Upstash-Label": "tats-webhook",
            "Upstash-Forward-X-TATS-Event-ID": event.event_id,
            "Upstash-Forward-X-TATS-Signature": signature(body, self.secret),
        }
        answer = self.http.request(
            "POST",
            f"/v2/publish/{event.url}",
            what="accept the webhook",
            body=body,
            headers=headers,
        )
        return str((answer or {}).get("messageId", ""))


def publish_due(session_factory: sessionmaker[Session], sender: WebhookSender) -> int:
    """Publish every unpublished event, oldest first; how many were. A failure is kept on the
    event for the next try (``reconcile``)."""
    with transaction(session_factory) as session:
        due = list(
            session.scalars(
                select(JobEvent).where(JobEvent.published_at.is_(None)).order_by(JobEvent.id)
            )
        )
    published = 0
    for event in due:
        try:
            message_id = sender.publish(event)
        except QueueError as exc:
            log.warning("job %s's event %s not published: %s", event.job_id, event.event_id, exc)
            with transaction(session_factory) as session:
                stored = session.get(JobEvent, event.id)
                if stored is not None:
                    stored.error = exc.message
            continue
        with transaction(session_factory) as session:
            stored = session.get(JobEvent, event.id)
            if stored is not None:
                stored.published_at, stored.message_id, stored.error = utcnow(), message_id, None
        published += 1
    return published


def after_final(
    session_factory: sessionmaker[Session], sender: WebhookSender, job_id: int | None
) -> None:
    """A candidate of ``job_id`` became final: note a completion and send what is due."""
    if job_id is None:
        return
    with transaction(session_factory) as session:
        created = note_completion(session, job_id)
    if created is not None:
        publish_due(session_factory, sender)


def sweep(session_factory: sessionmaker[Session], sender: WebhookSender) -> int:
    """Reconcile's part: completions a race missed, and events a failed publish left; how many
    events were published."""
    with transaction(session_factory) as session:
        jobs = session.scalars(select(Job.id).where(Job.notify_url.is_not(None))).all()
        for job_id in jobs:
            note_completion(session, job_id)
    return publish_due(session_factory, sender)
