"""Operating the queue: the reconcile schedule, the dead-letter queue and recent events.

Everything here goes through the ``qstash`` SDK to the same QStash API that Upstash serves (the
local dev server speaks it too), so the Queue page and ``tats reconcile --schedule`` work in
production as they do locally. Answers are TATS's own dataclasses, never SDK objects, and never
carry the token or a signing key. Any failure to reach QStash becomes one ``QueueError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from qstash import QStash
from qstash.errors import QStashError
from qstash.log import parse_logs_response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import QueueError
from tats_core.settings import Settings
from tats_core.store.models import Candidate, Job

RECONCILE_SCHEDULE_ID = "tats-reconcile"
RECONCILE_CRON = "* * * * *"  # every minute
RECONCILE_PATH = "/api/reconcile"
RESPONSE_PREVIEW = 300  # characters of a dead letter's last response shown
FINAL_STATES = frozenset({"DELIVERED", "FAILED", "CANCELED"})

T = TypeVar("T")


def _at(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, UTC) if ms else None


@dataclass(frozen=True)
class ScheduleInfo:
    schedule_id: str
    destination: str
    cron: str
    paused: bool = False
    last_run_at: datetime | None = None
    next_run_at: datetime | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {"schedule_id": self.schedule_id, "destination": self.destination, "cron": self.cron}


@dataclass(frozen=True)
class DeadLetter:
    dlq_id: str
    message_id: str
    url: str
    candidate_id: int | None
    candidate_name: str | None
    job_title: str | None
    response_status: int
    response_body: str  # truncated to RESPONSE_PREVIEW characters
    created_at: datetime | None


@dataclass(frozen=True)
class QueueEvent:
    at: datetime | None
    message_id: str
    state: str
    url: str
    response_status: int | None
    error: str | None


@dataclass(frozen=True)
class JobInFlight:
    job_id: int
    title: str
    unpublished: int  # pending, waiting for reconcile to publish them
    queued: int  # pending and accepted by the queue
    processing: int
    at_queue: int  # their messages the queue's recent events show as not finished yet


def candidate_id_of(body: str | None) -> int | None:
    """The candidate a message is about, from its body ``{"candidateId": N}``."""
    try:
        value = json.loads(body or "").get("candidateId")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class QueueAdmin:
    """Reads and operates the queue for the person who runs TATS; built from settings."""

    def __init__(self, client: QStash, *, worker_url: str):
        self._client = client
        self.reconcile_url = worker_url.rstrip("/") + RECONCILE_PATH

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueAdmin:
        # A person is looking at a page: fail fast instead of the SDK's long retries.
        client = QStash(settings.qstash_token, base_url=settings.qstash_url, retry=False)
        client.http._client.timeout = httpx.Timeout(settings.publish_timeout_s)
        return cls(client, worker_url=settings.worker_url)

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except (httpx.ConnectError, httpx.TimeoutException, OSError) as exc:
            raise QueueError("the queue (QStash) is not reachable", transient=True) from exc
        except (QStashError, httpx.HTTPError, ValueError, KeyError) as exc:
            raise QueueError(f"the queue (QStash) could not {what}: {str(exc)[:200]}") from exc

    # -- the reconcile schedule --------------------------------------------------------------

    def ensure_reconcile_schedule(self) -> ScheduleInfo:
        """Create or update the one schedule that calls ``POST /api/reconcile`` every minute;
        its fixed id makes running this again replace it rather than add another."""
        schedule_id = self._call(
            "create the reconcile schedule",
            lambda: self._client.schedule.create(
                destination=self.reconcile_url,
                cron=RECONCILE_CRON,
                body="{}",
                content_type="application/json",
                schedule_id=RECONCILE_SCHEDULE_ID,
                retries=0,  # the next minute's run is the retry
                label=RECONCILE_SCHEDULE_ID,
            ),
        )
        return ScheduleInfo(schedule_id, self.reconcile_url, RECONCILE_CRON)

    def reconcile_schedule(self) -> ScheduleInfo | None:
        """The reconcile schedule, or None when it does not exist."""
        schedules = self._call("list schedules", self._client.schedule.list)
        for s in schedules:
            if s.schedule_id == RECONCILE_SCHEDULE_ID:
                return ScheduleInfo(
                    s.schedule_id,
                    s.destination,
                    s.cron,
                    paused=bool(s.paused),
                    last_run_at=_at(s.last_schedule_time),
                    next_run_at=_at(s.next_schedule_time),
                    error=s.error or None,
                )
        return None

    # -- the dead-letter queue ----------------------------------------------------------------

    def dead_letters(self, session: Session, *, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters (at most ``limit``), each with its candidate when it has one."""
        page = self._call("list the dead-letter queue", lambda: self._client.dlq.list(count=limit))
        ids = {candidate_id_of(m.body) for m in page.messages} - {None}
        known = {
            cid: (name, title)
            for cid, name, title in session.execute(
                select(Candidate.id, Candidate.name, Job.title)
                .join(Job, Job.id == Candidate.job_id)
                .where(Candidate.id.in_(ids))
            )
        }
        letters = []
        for m in page.messages:
            cid = candidate_id_of(m.body)
            name, title = known.get(cid, (None, None)) if cid is not None else (None, None)
            body = m.response_body or ("(binary response)" if m.response_body_base64 else "")
            letters.append(
                DeadLetter(
                    dlq_id=m.dlq_id,
                    message_id=m.message_id,
                    url=m.url,
                    candidate_id=cid,
                    candidate_name=name,
                    job_title=title,
                    response_status=m.response_status,
                    response_body=body[:RESPONSE_PREVIEW],
                    created_at=_at(m.created_at),
                )
            )
        return letters

    def retry(self, dlq_ids: Iterable[str]) -> int:
        """Deliver these dead letters again (each becomes a new message); how many were."""
        ids = list(dlq_ids)
        if not ids:
            return 0
        # The SDK (3.4) has no call for it; the endpoint is QStash's ``POST /v2/dlq/retry``.
        response = self._call(
            "retry dead letters",
            lambda: self._client.http.request(
                path="/v2/dlq/retry",
                method="POST",
                headers={"Content-Type": "application/json"},
                body=json.dumps({"dlqIds": ids}),
            ),
        )
        return len(response.get("responses", [])) if isinstance(response, dict) else 0

    def delete(self, dlq_ids: Iterable[str]) -> int:
        ids = list(dlq_ids)
        if not ids:
            return 0
        return self._call("delete dead letters", lambda: self._client.dlq.delete_many(ids))

    # -- events and what is in flight --------------------------------------------------------

    def recent_events(self, *, limit: int = 50) -> list[QueueEvent]:
        """The newest events (``/v2/events``), newest first."""
        # ``client.log.list`` prints every response to stdout; the same request, quietly.
        response: dict[str, Any] = self._call(
            "list events",
            lambda: self._client.http.request(
                path="/v2/events", method="GET", params={"count": str(limit)}
            ),
        )
        logs = self._call("read events", lambda: parse_logs_response(response["events"]))
        events = [
            QueueEvent(
                at=_at(log.time),
                message_id=log.message_id,
                state=log.state.value,
                url=log.url,
                response_status=log.response_status,
                error=log.error,
            )
            for log in logs
        ]
        events.sort(key=lambda e: e.at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return events[:limit]

    def last_reconcile_event(self, events: list[QueueEvent]) -> QueueEvent | None:
        return next((e for e in events if e.url == self.reconcile_url), None)


def in_flight(session: Session, events: list[QueueEvent]) -> list[JobInFlight]:
    """Per job with work not finished: candidates pending (unpublished or queued) and processing
    from the database, and how many of their messages the queue's events show as unfinished."""
    latest: dict[str, str] = {}
    for event in events:  # newest first: the first state seen is the current one
        latest.setdefault(event.message_id, event.state)
    open_messages = [mid for mid, state in latest.items() if state not in FINAL_STATES]
    at_queue: dict[int, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Candidate.job_id, func.count())
            .where(Candidate.message_id.in_(open_messages))
            .group_by(Candidate.job_id)
        ).all()
    )
    rows = session.execute(
        select(
            Job.id,
            Job.title,
            func.count().filter(
                Candidate.status == statuses.PENDING, Candidate.enqueued_at.is_(None)
            ),
            func.count().filter(
                Candidate.status == statuses.PENDING, Candidate.enqueued_at.is_not(None)
            ),
            func.count().filter(Candidate.status == statuses.PROCESSING),
        )
        .join(Candidate, Candidate.job_id == Job.id)
        .where(Candidate.status.in_([statuses.PENDING, statuses.PROCESSING]))
        .group_by(Job.id, Job.title)
        .order_by(Job.id)
    ).all()
    return [
        JobInFlight(job_id, title, unpublished, queued, processing, at_queue.get(job_id, 0))
        for job_id, title, unpublished, queued, processing in rows
    ]
