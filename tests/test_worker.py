"""The worker over real HTTP: signatures, idempotency, status machine (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tats_core import statuses
from tats_core.processing.judgement import Judges
from tats_core.settings import DEV_NEXT_SIGNING_KEY
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.candidates import history
from tests.signing import qstash_signature
from tests.worker_fixtures import FixedAnalyzer, SlowSource, running_worker, seed_candidates


def snapshot_of_db(session_factory) -> tuple:
    with session_factory() as s:
        return (
            s.scalars(select(Candidate.status).order_by(Candidate.id)).all(),
            s.scalar(select(func.count()).select_from(Evaluation)),
            s.scalar(select(func.count()).select_from(StatusEvent)),
        )


@pytest.fixture
def worker(database_url, session_factory):
    source = SlowSource()
    with running_worker(database_url, session_factory, Judges(source, FixedAnalyzer())) as w:
        w.source = source
        yield w


def test_healthz_answers_when_the_database_does(worker):
    import httpx

    assert httpx.get(worker.url + "/healthz").json() == {"status": "ok"}


def test_a_signed_delivery_is_processed_once(worker, session_factory):
    [cid] = seed_candidates(session_factory, 1)
    response = worker.deliver({"candidateId": cid})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "needs_review"
    with session_factory() as s:
        candidate = s.get(Candidate, cid)
        assert candidate.status == "needs_review"
        assert candidate.claimed_at is None
        events = [e.to_status for e in history(s, cid)]
        assert events == ["pending", "processing", "needs_review"]
    # The same message again: acknowledged, nothing new written.
    again = worker.deliver({"candidateId": cid})
    assert again.status_code == 200 and again.json()["outcome"] == "already_final"
    assert snapshot_of_db(session_factory)[1] == 1
    assert worker.source.calls == ["owner0/take-home"]


@pytest.mark.parametrize(
    "forgery",
    ["missing", "garbage", "wrong_key", "expired", "wrong_url", "tampered_body", "not_yet_valid"],
)
def test_bad_signatures_are_refused_and_change_nothing(worker, session_factory, forgery):
    [cid] = seed_candidates(session_factory, 1)
    body = json.dumps({"candidateId": cid}).encode()
    url = worker.settings.process_url
    signature = {
        "missing": None,
        "garbage": "not.a.jwt",
        "wrong_key": qstash_signature(body, url, key="sig_attackerKeyxxxxxxxxxxxxxxx"),
        "expired": qstash_signature(body, url, now=time.time() - 3600),
        "wrong_url": qstash_signature(body, "http://evil.example/api/process-candidate"),
        "tampered_body": qstash_signature(json.dumps({"candidateId": cid + 1}).encode(), url),
        "not_yet_valid": qstash_signature(body, url, now=time.time() + 3600),
    }[forgery]
    before = snapshot_of_db(session_factory)
    response = worker.deliver(body, signature=signature)
    assert response.status_code == 401
    assert "signature" in response.json()["error"].lower()
    assert snapshot_of_db(session_factory) == before
    assert worker.source.calls == []


def test_the_next_signing_key_is_accepted_during_rotation(worker, session_factory):
    [cid] = seed_candidates(session_factory, 1)
    response = worker.deliver({"candidateId": cid}, key=DEV_NEXT_SIGNING_KEY)
    assert response.status_code == 200


def test_signed_but_malformed_bodies_are_acknowledged_without_changes(worker, session_factory):
    seed_candidates(session_factory, 1)
    before = snapshot_of_db(session_factory)
    for body in (b"not json", b'{"candidateId": "7"}', b"[]", b'{"candidateId": true}'):
        assert worker.deliver(body).status_code == 200
    assert worker.deliver({"candidateId": 999_999}).json()["outcome"] == "unknown_candidate"
    assert snapshot_of_db(session_factory) == before


def test_fifty_concurrent_duplicate_deliveries_give_one_evaluation(database_url, session_factory):
    [cid] = seed_candidates(session_factory, 1)
    source = SlowSource(delay=0.3)  # long enough for the duplicates to overlap the first
    judges = Judges(source, FixedAnalyzer())
    with (
        running_worker(database_url, session_factory, judges) as worker,
        ThreadPoolExecutor(max_workers=50) as pool,
    ):
        responses = list(pool.map(lambda _: worker.deliver({"candidateId": cid}), range(50)))
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes.count("processed") == 1
    assert set(outcomes) <= {"processed", "busy", "already_final"}
    assert all(
        r.status_code == 503 and r.headers["Retry-After"]
        for r in responses
        if r.json()["outcome"] == "busy"
    )
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 1
        assert s.get(Candidate, cid).status == "needs_review"
    assert len(source.calls) == 1


def test_a_stale_claim_is_taken_over_by_the_next_delivery(worker, session_factory):
    from datetime import timedelta

    from tats_core.store.models import utcnow

    [cid] = seed_candidates(session_factory, 1)
    with session_factory.begin() as s:  # a worker died 10 minutes into this candidate
        candidate = s.get(Candidate, cid)
        candidate.status = statuses.PROCESSING
        candidate.claimed_at = utcnow() - timedelta(minutes=10)
        candidate.lease_expires_at = utcnow() - timedelta(seconds=1)  # nobody renewed it
    response = worker.deliver({"candidateId": cid})
    assert response.json()["outcome"] == "processed"
    with session_factory() as s:
        assert s.get(Candidate, cid).status == "needs_review"


def test_a_fresh_claim_makes_a_duplicate_wait(worker, session_factory):
    from datetime import timedelta

    from tats_core.store.models import utcnow

    [cid] = seed_candidates(session_factory, 1)
    with session_factory.begin() as s:
        candidate = s.get(Candidate, cid)
        candidate.status = statuses.PROCESSING
        candidate.claimed_at = utcnow()
        candidate.lease_expires_at = utcnow() + timedelta(seconds=40)
    response = worker.deliver({"candidateId": cid})
    assert response.status_code == 503
    # Come back just after the lease would lapse: then a dead holder's candidate is taken over.
    assert 40 <= int(response.headers["Retry-After"]) <= 42
    with session_factory() as s:
        assert s.get(Candidate, cid).status == statuses.PROCESSING


def test_a_stopping_worker_releases_its_leases_for_the_next_delivery(worker, session_factory):
    """What the worker's shutdown does with the work still in flight (SIGTERM past the grace
    period): the lease goes, so the next delivery takes the candidate at once, not in a minute."""
    from datetime import timedelta

    from tats_core.processing.claims import claim, release_leases
    from tats_core.store.models import utcnow

    [cid] = seed_candidates(session_factory, 1)
    with session_factory.begin() as s:
        work = claim(s, cid, message_id="msg_a", now=utcnow(), lease=timedelta(minutes=5))
    assert worker.deliver({"candidateId": cid}).status_code == 503  # held: busy
    assert release_leases(session_factory, [work], "worker stopped; lease released") == 1
    response = worker.deliver({"candidateId": cid})
    assert response.json()["outcome"] == "processed"
    with session_factory() as s:
        reasons = s.scalars(select(StatusEvent.reason).where(StatusEvent.candidate_id == cid))
        assert "worker stopped; lease released" in reasons.all()
