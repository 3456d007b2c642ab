"""A rejected key or token makes candidates wait, never fail (issue #18): through the real local
queue, the real worker and fake Cohere / GitHub servers answering 401, no candidate spends its
retries or gets a failure status, ``/healthz`` says what to fix, and once the service accepts
the key again the reconcile schedule's call decides every candidate, with no command run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tats_core import statuses
from tats_core.github.client import GitHubClient
from tats_core.judging.cohere_analyzer import CohereAnalyzer
from tats_core.processing.judgement import Judges
from tats_core.processing.queue import CandidateQueue, enqueue_pending
from tats_core.processing.queue_admin import QueueAdmin
from tats_core.routes import RECONCILE_PATH
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, StatusEvent
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job
from tats_dev.github_replay import create_app as create_replay
from tats_dev.qstash.api import create_app as create_queue
from tests.fakes.fake_cohere import FakeCohere
from tests.servers import serve
from tests.worker_fixtures import FixedAnalyzer, SlowSource, running_worker

REPOS = Path(__file__).parent / "github_repos"
KEY = "co-key-that-must-never-show-9f8e7d"
TOKEN = "ghp_token_that_must_never_show_1a2b3c"
CANDIDATES = ("strong-api", "weak-app", "big-history", "branch-work")


def seed(session_factory) -> list[int]:
    rows = "\n".join(f"P {name},https://github.com/acme/{name}" for name in CANDIDATES)
    with transaction(session_factory) as session:
        job = create_job(session, "Backend", "Build a small REST API in Python with tests.")
        apply_ingest(session, job.id, plan_ingest(session, job.id, f"name,url\n{rows}\n".encode()))
        return list(session.scalars(select(Candidate.id).where(Candidate.job_id == job.id)))


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def rows(session_factory) -> list[Candidate]:
    with transaction(session_factory) as session:
        return list(session.scalars(select(Candidate).order_by(Candidate.id)))


def waiting_reasons(session_factory, cid: int) -> list[str]:
    with transaction(session_factory) as session:
        return list(
            session.scalars(
                select(StatusEvent.reason).where(
                    StatusEvent.candidate_id == cid, StatusEvent.reason.like("waiting for%")
                )
            )
        )


@contextmanager
def misconfigured(kind: str) -> Iterator[tuple[Judges, Callable[[], None], str]]:
    """Judges whose dependency rejects TATS's key; ``fix()`` makes it accept it."""
    if kind == "cohere":
        fake = FakeCohere().reject_key()
        with serve(fake.app) as url:
            yield Judges(SlowSource(), CohereAnalyzer(KEY, base_url=url)), fake.accept_key, "COHERE"
    else:
        replay = create_replay(REPOS, token="the-right-token")
        with serve(replay) as url:

            def fix() -> None:
                replay.token = TOKEN  # as if the operator fixed GITHUB_TOKEN

            github = GitHubClient(url, TOKEN, raw_url=f"{url}/raw")
            yield Judges(github, FixedAnalyzer()), fix, "GITHUB_TOKEN"


@pytest.mark.parametrize("kind", ["cohere", "github"])
def test_a_rejected_key_makes_candidates_wait_then_all_are_decided(
    kind, database_url, session_factory, tmp_path
):
    queue_app = create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.001)
    with (
        serve(queue_app) as queue_url,
        misconfigured(kind) as (judges, fix, setting),
        running_worker(
            database_url, session_factory, judges, qstash_url=queue_url, queue_retries=2
        ) as worker,
    ):
        ids = seed(session_factory)
        queue = CandidateQueue.from_settings(worker.settings)
        assert enqueue_pending(session_factory, queue).enqueued == len(ids)

        # Every delivery sends its candidate back to the outbox: pending, unpublished, waiting.
        def all_waiting() -> bool:
            return all(
                c.status == statuses.PENDING and c.enqueued_at is None and c.claimed_at is None
                for c in rows(session_factory)
            ) and all(waiting_reasons(session_factory, cid) for cid in ids)

        wait_until(all_waiting, "every candidate back in the outbox")
        for cid in ids:
            assert setting in waiting_reasons(session_factory, cid)[0]
        health = httpx.get(worker.url + "/healthz")
        assert health.status_code == 503 and health.json()["status"] == "degraded"
        [problem] = health.json()["problems"]
        assert setting in problem and KEY not in problem and TOKEN not in problem
        # The queue never gave up on anyone: no dead letter, no failure status.
        admin = QueueAdmin.from_settings(worker.settings)
        with transaction(session_factory) as session:
            assert admin.dead_letters(session) == []
        assert not {c.status for c in rows(session_factory)} & set(statuses.FAILURES)

        # While the key is still wrong, the schedule's reconcile publishes nothing.
        assert worker.deliver(b"{}", path=RECONCILE_PATH).json()["enqueued"] == 0

        fix()
        report = worker.deliver(b"{}", path=RECONCILE_PATH).json()  # as the schedule calls it
        assert report["enqueued"] == len(ids) and report["waiting_for"] == []
        wait_until(
            lambda: all(c.status in statuses.DECISIONS for c in rows(session_factory)),
            "every candidate decided",
        )
        assert httpx.get(worker.url + "/healthz").json() == {"status": "ok"}


def test_a_missing_key_is_reported_at_start_and_nothing_is_judged(
    database_url, session_factory, monkeypatch
):
    from tats_core.deps import build_judges
    from tats_core.settings import load_settings

    judges = build_judges(load_settings(TATS_ANALYZER="cohere"), session_factory)
    with running_worker(database_url, session_factory, judges) as worker:
        health = httpx.get(worker.url + "/healthz")
        assert health.status_code == 503
        assert "COHERE_API_KEY" in health.json()["problems"][0]
        [cid] = seed(session_factory)[:1]
        answer = worker.deliver({"candidateId": cid}).json()
        assert answer["outcome"] == "waiting"
        [candidate] = [c for c in rows(session_factory) if c.id == cid]
        assert candidate.status == statuses.PENDING and candidate.enqueued_at is None
