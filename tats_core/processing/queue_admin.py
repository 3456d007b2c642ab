"""Operating the queue: the reconcile schedule, the dead-letter queue and recent events.

Everything here goes through ``qstash_http`` to the same QStash API that Upstash serves (the
local dev server speaks it too), so the Queue page and ``tats reconcile --schedule`` work in
production as they do locally. Answers are TATS's own dataclasses and never carry the token or a
signing key. Any failure to reach QStash becomes one ``QueueError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import QueueError
from tats_core.processing.qstash_http import QStashHttp
from tats_core.routes import RECONCILE_PATH
from tats_core.settings import Settings
from tats_core.store.models import Candidate, Job

RECONCILE_SCHEDULE_ID = "tats-reconcile"
RECONCILE_CRON = "* * * * *"  # every minute
RESPONSE_PREVIEW = 300  # characters of a dead letter's last response shown
FINAL_STATES = frozenset({"DELIVERED", "FAILED", "CANCELED"})


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

    def __init__(self, http: QStashHttp, *, worker_url: str):
        self._http = http
        self.reconcile_url = worker_url.rstrip("/") + RECONCILE_PATH

    @classmethod
    def from_settings(cls, settings: Settings, http: QStashHttp | None = None) -> QueueAdmin:
        return cls(http or QStashHttp.from_settings(settings), worker_url=settings.worker_url)

    # -- the reconcile schedule --------------------------------------------------------------

    def ensure_reconcile_schedule(self) -> ScheduleInfo:
        """Create or update the one schedule that calls ``POST /api/reconcile`` every minute;
        its fixed id makes running this again replace it rather than add another."""
        answer = self._http.request(
            "POST",
            f"/v2/schedules/{self.reconcile_url}",
            what="create the reconcile schedule",
            body="{}",
            headers={
                "Content-Type": "application/json",
                "Upstash-Cron": RECONCILE_CRON,
                "Upstash-Schedule-Id": RECONCILE_SCHEDULE_ID,
                "Upstash-Retries": "0",  # the next minute's run is the retry
                "Upstash-Label": RECONCILE_SCHEDULE_ID,
            },
        )
        schedule_id = str(_field(answer, "scheduleId", "create the reconcile schedule"))
        return ScheduleInfo(schedule_id, self.reconcile_url, RECONCILE_CRON)

    def reconcile_schedule(self) -> ScheduleInfo | None:
        """The reconcile schedule, or None when it does not exist."""
        schedules = self._http.request("GET", "/v2/schedules", what="list schedules") or []
        for s in schedules:
            if s.get("scheduleId") == RECONCILE_SCHEDULE_ID:
                return ScheduleInfo(
                    s["scheduleId"],
                    s.get("destination", ""),
                    s.get("cron", ""),
                    paused=bool(s.get("isPaused")),
                    last_run_at=_at(s.get("lastScheduleTime")),
                    next_run_at=_at(s.get("nextScheduleTime")),
                    error=s.get("error") or None,
                )
        return None

    # -- the dead-letter queue ----------------------------------------------------------------

    def dead_letters(self, session: Session, *, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters (at most ``limit``), each with its candidate when it has one."""
        page = self._http.request(
            "GET", "/v2/dlq", what="list the dead-letter queue", params={"count": str(limit)}
        )
        messages: list[dict[str, Any]] = _field(page, "messages", "list the dead-letter queue")
        ids = {candidate_id_of(m.get("body")) for m in messages} - {None}
        known = {
            cid: (name, title)
            for cid, name, title in session.execute(
                select(Candidate.id, Candidate.name, Job.title)
                .join(Job, Job.id == Candidate.job_id)
                .where(Candidate.id.in_(ids))
            )
        }
        return [_dead_letter(m, known) for m in messages]

    def retry(self, dlq_ids: Iterable[str]) -> int:
        """Deliver these dead letters again (each becomes a new message); how many were."""
        ids = list(dlq_ids)
        if not ids:
            return 0
        answer = self._http.request(
            "POST", "/v2/dlq/retry", what="retry dead letters", body={"dlqIds": ids}
        )
        return len(answer.get("responses", [])) if isinstance(answer, dict) else 0

    def delete(self, dlq_ids: Iterable[str]) -> int:
        ids = list(dlq_ids)
        if not ids:
            return 0
        answer = self._http.request(
            "DELETE", "/v2/dlq", what="delete dead letters", body={"dlqIds": ids}
        )
        return int(_field(answer, "deleted", "delete dead letters"))

    # -- events and what is in flight --------------------------------------------------------

    def recent_events(self, *, limit: int = 50) -> list[QueueEvent]:
        """The newest events (``/v2/events``), newest first."""
        answer = self._http.request(
            "GET", "/v2/events", what="list events", params={"count": str(limit)}
        )
        events = [_event(e) for e in _field(answer, "events", "list events")]
        events.sort(key=lambda e: e.at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return events[:limit]

    def last_reconcile_event(self, events: list[QueueEvent]) -> QueueEvent | None:
        return next((e for e in events if e.url == self.reconcile_url), None)


def _field(answer: Any, name: str, what: str) -> Any:
    """One field of a JSON object the queue answered, or a ``QueueError`` saying so."""
    if not isinstance(answer, dict) or name not in answer:
        raise QueueError(f"the queue (QStash) sent an unexpected answer to {what}")
    return answer[name]


def _dead_letter(m: dict[str, Any], known: dict[int, tuple[str, str]]) -> DeadLetter:
    cid = candidate_id_of(m.get("body"))
    name, title = known.get(cid, (None, None)) if cid is not None else (None, None)
    body = m.get("responseBody") or ("(binary response)" if m.get("responseBodyBase64") else "")
    return DeadLetter(
        dlq_id=m.get("dlqId", ""),
        message_id=m.get("messageId", ""),
        url=m.get("url", ""),
        candidate_id=cid,
        candidate_name=name,
        job_title=title,
        response_status=m.get("responseStatus", 0),
        response_body=body[:RESPONSE_PREVIEW],
        created_at=_at(m.get("createdAt")),
    )


def _event(e: dict[str, Any]) -> QueueEvent:
    return QueueEvent(
        at=_at(e.get("time")),
        message_id=e.get("messageId", ""),
        state=str(e.get("state", "")),
        url=e.get("url", ""),
        response_status=e.get("responseStatus"),
        error=e.get("error"),
    )


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
