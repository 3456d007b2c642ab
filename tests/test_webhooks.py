"""Job webhooks (issue #21): once every candidate is final, one signed ``job.completed`` event
goes out through the real local queue to a receiver that checks the signature; a 500 is retried
with the same event id; a re-run that completes the job again sends a new event; a recruiter's
decision does not; without TATS_WEBHOOK_SECRET a notify URL is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.processing import job_events
from tats_core.processing.judgement import Judges
from tats_core.processing.queue import CandidateQueue, enqueue_pending
from tats_core.routes import RECONCILE_PATH
from tats_core.store.db import transaction
from tats_core.store.models import JobEvent
from tats_core.triage.candidates import override_decision, rerun
from tats_core.triage.jobs import set_notify_url
from tats_dev.qstash.api import create_app as create_queue
from tests.servers import serve
from tests.worker_fixtures import FixedAnalyzer, SlowSource, running_worker, seed_candidates

SECRET = "whsec-test-2b7f"


@dataclass
class Receiver:
    """An ATS's webhook endpoint: checks each signature as the README shows, fails the first
    ``failures`` requests with 500."""

    failures: int = 1
    received: list[tuple[dict[str, str], bytes, bool]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> PlainTextResponse:
            body = await request.body()
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(request.headers.get("x-tats-signature", ""), expected)
            self.received.append((dict(request.headers), body, signed))
            if len(self.received) <= self.failures:
                return PlainTextResponse("not now", status_code=500)
            return PlainTextResponse("ok")

        return Starlette(routes=[Route("/hooks/tats", hook, methods=["POST"])])

    def event_ids(self) -> list[str]:
        return [headers.get("x-tats-event-id", "") for headers, _, _ in self.received]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver(failures=1)
    with serve(hook.app()) as url:
        yield hook, url + "/hooks/tats"


def job_of(session_factory, ids: list[int]) -> int:
    from tats_core.store.models import Candidate

    with transaction(session_factory) as session:
        return session.get(Candidate, ids[0]).job_id


def test_a_completed_job_sends_one_signed_event_retried_with_the_same_id(
    database_url, session_factory, receiver, tmp_path: Path
):
    hook, hook_url = receiver
    queue_app = create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.001)
    judges = Judges(SlowSource(), FixedAnalyzer())
    with (
        serve(queue_app) as queue_url,
        running_worker(
            database_url, session_factory, judges, qstash_url=queue_url, webhook_secret=SECRET
        ) as worker,
    ):
        ids = seed_candidates(session_factory, 2)
        job_id = job_of(session_factory, ids)
        with transaction(session_factory) as session:
            set_notify_url(session, job_id, hook_url, can_sign=True)
        queue = CandidateQueue.from_settings(worker.settings)
        assert enqueue_pending(session_factory, queue).enqueued == 2

        wait_until(lambda: len(hook.received) >= 2, "the event, its 500 and its retry")
        retried = hook.received[1]
        assert all(signed for _, _, signed in hook.received)
        assert hook.event_ids()[0] == hook.event_ids()[1] != ""
        body = json.loads(retried[1])
        assert body["event"] == "job.completed" and body["job_id"] == job_id
        assert body["total"] == 2 and body["counts"] == {statuses.NEEDS_REVIEW: 2}
        assert body["completed_at"].endswith("Z")

        # A recruiter's decision moves no attempt: the job is not completed again.
        with transaction(session_factory) as session:
            override_decision(session, ids[0], statuses.LOOKS_FINE, actor="Ada", reason="fine")
        worker.deliver(b"{}", path=RECONCILE_PATH)  # the schedule's sweep
        with transaction(session_factory) as session:
            assert len(list(session.scalars(select(JobEvent)))) == 1

        # A re-run that completes the job again is a new event, with a new id.
        with transaction(session_factory) as session:
            rerun(session, [ids[1]], actor="Ada")
        enqueue_pending(session_factory, queue)
        wait_until(lambda: len(set(hook.event_ids())) == 2, "the second completion's event")
        assert all(signed for _, _, signed in hook.received)


def test_a_completion_no_delivery_noted_is_sent_by_reconcile(
    database_url, session_factory, receiver, tmp_path: Path
):
    hook, hook_url = receiver
    hook.failures = 0
    queue_app = create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.001)
    with (
        serve(queue_app) as queue_url,
        running_worker(
            database_url,
            session_factory,
            Judges(SlowSource(), FixedAnalyzer()),
            qstash_url=queue_url,
            webhook_secret=SECRET,
        ) as worker,
    ):
        ids = seed_candidates(session_factory, 1)
        worker.deliver({"candidateId": ids[0]})  # decided while the job had no webhook yet
        assert hook.received == []
        with transaction(session_factory) as session:  # (as a race between finishes leaves it)
            set_notify_url(session, job_of(session_factory, ids), hook_url, can_sign=True)
        worker.deliver(b"{}", path=RECONCILE_PATH)  # the schedule's sweep notes it and sends
        wait_until(lambda: len(hook.received) == 1, "reconcile's event")
        assert hook.received[0][2]  # signed
        worker.deliver(b"{}", path=RECONCILE_PATH)  # once: the next sweep notes nothing new
        with transaction(session_factory) as session:
            [event] = session.scalars(select(JobEvent))
            assert event.published_at is not None and event.error is None


def test_without_a_secret_a_notify_url_is_refused_and_a_bad_url_too(session_factory):
    ids = seed_candidates(session_factory, 1)
    job_id = job_of(session_factory, ids)
    with transaction(session_factory) as session:
        with pytest.raises(InputError, match="TATS_WEBHOOK_SECRET"):
            set_notify_url(session, job_id, "https://ats.example.com/hook", can_sign=False)
        with pytest.raises(InputError, match="http"):
            set_notify_url(session, job_id, "ftp://ats.example.com/hook", can_sign=True)


def test_the_signature_is_an_hmac_of_the_exact_body():
    body = b'{"event":"job.completed","job_id":1}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert job_events.signature(body, SECRET) == f"sha256={expected}"
    assert job_events.signature(body + b" ", SECRET) != f"sha256={expected}"
