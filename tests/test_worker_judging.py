"""Every failure class through the real worker, a fake GitHub and a fake Cohere on loopback."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tats_core import statuses
from tats_core.github.cache import DbHttpCache
from tats_core.github.client import GitHubClient
from tats_core.judging.cohere_analyzer import CohereAnalyzer
from tats_core.judging.heuristic import HeuristicAnalyzer
from tats_core.processing.judgement import Judges
from tats_core.retry import Backoff
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation
from tats_core.triage.candidates import history
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job
from tats_dev.github_replay import create_app as create_replay
from tests.fakes.fake_cohere import FakeCohere
from tests.servers import serve
from tests.worker_fixtures import running_worker

REPOS = Path(__file__).with_name("github_repos")


@pytest.fixture
def github():
    app = create_replay(REPOS, graphql=False)
    with serve(app) as url:
        app.url = url
        yield app


@pytest.fixture
def cohere():
    fake = FakeCohere()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


def add_candidate(session_factory, url: str) -> int:
    with transaction(session_factory) as session:
        job = create_job(session, f"Job for {url}", "A REST API in Python with tests.")
        apply_ingest(session, job.id, plan_ingest(session, job.id, f"repo\n{url}\n".encode()))
        return session.scalar(select(Candidate.id).where(Candidate.job_id == job.id))


def worker_with(database_url, session_factory, github_url, analyzer):
    client = GitHubClient(github_url, cache=DbHttpCache(session_factory), timeout=5)
    return running_worker(database_url, session_factory, Judges(client, analyzer))


def candidate(session_factory, cid):
    with session_factory() as s:
        c = s.get(Candidate, cid)
        evaluations = s.scalars(select(Evaluation).where(Evaluation.candidate_id == cid)).all()
        return c, evaluations


def failure_callback(worker, cid, message_id="msg_test"):
    source = base64.b64encode(json.dumps({"candidateId": cid}).encode()).decode()
    body = {
        "status": 503,
        "retried": 3,
        "maxRetries": 3,
        "sourceMessageId": message_id,
        "sourceBody": source,
        "url": worker.settings.process_url,
        "dlqId": "dlq_1",
    }
    return worker.deliver(body, path="/api/process-candidate/failed")


def test_a_real_repository_gets_a_heuristic_decision(database_url, session_factory, github):
    cid = add_candidate(session_factory, "https://github.com/acme/strong-api")
    with worker_with(database_url, session_factory, github.url, HeuristicAnalyzer()) as worker:
        response = worker.deliver({"candidateId": cid})
    assert response.status_code == 200, response.text
    c, [evaluation] = candidate(session_factory, cid)
    assert c.status in statuses.DECISIONS and c.status == evaluation.status
    assert evaluation.analyzer == "heuristic"
    assert evaluation.summary and evaluation.criteria and evaluation.signals["commit_count"] > 1
    assert evaluation.commit_sha


def test_a_missing_repository_is_github_failed_and_acknowledged(
    database_url, session_factory, github
):
    cid = add_candidate(session_factory, "https://github.com/acme/does-not-exist")
    with worker_with(database_url, session_factory, github.url, HeuristicAnalyzer()) as worker:
        response = worker.deliver({"candidateId": cid})
    assert response.status_code == 200
    c, [evaluation] = candidate(session_factory, cid)
    assert c.status == statuses.GITHUB_FAILED
    assert "not found" in evaluation.summary.lower()


def test_an_empty_repository_is_low_effort_without_asking_the_model(
    database_url, session_factory, github, cohere
):
    cid = add_candidate(session_factory, "https://github.com/acme/empty-repo")
    analyzer = CohereAnalyzer("test-key", base_url=cohere.url, timeout=5)
    with worker_with(database_url, session_factory, github.url, analyzer) as worker:
        assert worker.deliver({"candidateId": cid}).status_code == 200
    c, [evaluation] = candidate(session_factory, cid)
    assert c.status == statuses.LOW_EFFORT and evaluation.analyzer == "rules"
    assert cohere.requests == []


def test_github_down_is_retried_then_final_when_retries_run_out(
    database_url, session_factory, github
):
    cid = add_candidate(session_factory, "https://github.com/acme/strong-api")
    github.fail_next(503, times=100)
    with worker_with(database_url, session_factory, github.url, HeuristicAnalyzer()) as worker:
        response = worker.deliver({"candidateId": cid})
        assert response.status_code == 503  # QStash will retry
        c, evaluations = candidate(session_factory, cid)
        assert (c.status, c.claimed_at, evaluations) == (statuses.PROCESSING, None, [])
        assert c.last_error_status == statuses.GITHUB_FAILED
        # QStash gives up and calls the failure callback: the candidate becomes final.
        callback = failure_callback(worker, cid)
        assert callback.status_code == 200 and callback.json()["status"] == statuses.GITHUB_FAILED
        assert failure_callback(worker, cid).json()["status"] == "unchanged"  # duplicate callback
    c, [evaluation] = candidate(session_factory, cid)
    assert c.status == statuses.GITHUB_FAILED and "retries" in evaluation.summary.lower()


def test_github_rate_limit_asks_to_retry_after_the_reset(database_url, session_factory, github):
    import time

    cid = add_candidate(session_factory, "https://github.com/acme/strong-api")
    github.set_rate_limit(0, reset=time.time() + 120)
    with worker_with(database_url, session_factory, github.url, HeuristicAnalyzer()) as worker:
        response = worker.deliver({"candidateId": cid})
    assert response.status_code == 503
    assert 60 <= int(response.headers["Retry-After"]) <= 125


def test_a_model_error_is_ai_failed(database_url, session_factory, github, cohere):
    cid = add_candidate(session_factory, "https://github.com/acme/strong-api")
    cohere.fail_next(400, message="invalid request")
    analyzer = CohereAnalyzer("test-key", base_url=cohere.url, timeout=5)
    with worker_with(database_url, session_factory, github.url, analyzer) as worker:
        assert worker.deliver({"candidateId": cid}).status_code == 200
    c, [evaluation] = candidate(session_factory, cid)
    assert c.status == statuses.AI_FAILED and evaluation.error
    assert "test-key" not in evaluation.error


def test_a_busy_model_is_retried_and_the_retry_succeeds(
    database_url, session_factory, github, cohere
):
    cid = add_candidate(session_factory, "https://github.com/acme/strong-api")
    cohere.fail_next(429, retry_after="7")
    # One try per delivery here (no retries inside the client), so the queue's retry shows.
    analyzer = CohereAnalyzer("test-key", base_url=cohere.url, timeout=5, backoff=Backoff(tries=1))
    with worker_with(database_url, session_factory, github.url, analyzer) as worker:
        first = worker.deliver({"candidateId": cid})
        assert first.status_code == 503 and first.headers["Retry-After"] == "7"
        second = worker.deliver({"candidateId": cid}, message_id="msg_test")
        assert second.status_code == 200, second.text
    c, [evaluation] = candidate(session_factory, cid)
    assert c.status in statuses.DECISIONS and evaluation.analyzer == "cohere"
    with session_factory() as s:
        events = [e.to_status for e in history(s, cid)]
    # The failed try is in the candidate's history, with its reason.
    assert events == ["pending", "processing", "processing", c.status]


class ExplodingAnalyzer:
    name = "exploding"

    async def analyze(self, snapshot, signals, job):
        raise RuntimeError("bug in an analyzer")


def test_an_unexpected_error_is_retried_then_unknown_failed(database_url, session_factory, github):
    cid = add_candidate(session_factory, "https://github.com/acme/strong-api")
    with worker_with(database_url, session_factory, github.url, ExplodingAnalyzer()) as worker:
        response = worker.deliver({"candidateId": cid})
        assert response.status_code == 503
        assert "RuntimeError" in response.json()["detail"]
        assert failure_callback(worker, cid).json()["status"] == statuses.UNKNOWN_FAILED
    c, _ = candidate(session_factory, cid)
    assert c.status == statuses.UNKNOWN_FAILED


def test_a_failure_callback_for_a_superseded_message_changes_nothing(
    database_url, session_factory, github
):
    cid = add_candidate(session_factory, "https://github.com/acme/strong-api")
    with session_factory.begin() as s:
        s.get(Candidate, cid).message_id = "msg_newer_publish"
    with worker_with(database_url, session_factory, github.url, HeuristicAnalyzer()) as worker:
        assert failure_callback(worker, cid, message_id="msg_old").json()["status"] == "unchanged"
    c, evaluations = candidate(session_factory, cid)
    assert c.status == statuses.PENDING and evaluations == []
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 0
