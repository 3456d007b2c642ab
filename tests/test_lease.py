"""One lease rule for the claim, the failure callback and reconcile (issue #11)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tats_core import statuses
from tats_core.processing.failure_callback import fail_after_retries
from tats_core.processing.queue import requeue_stale_claims
from tats_core.store.models import Candidate, utcnow
from tests.worker_fixtures import seed_candidates


def hold(session_factory, leases: dict[int, timedelta | None]) -> None:
    now = utcnow()
    with session_factory.begin() as s:
        for cid, left in leases.items():
            candidate = s.get(Candidate, cid)
            candidate.status = statuses.PROCESSING
            candidate.claimed_at = now - timedelta(seconds=90) if left is not None else None
            candidate.lease_expires_at = now + left if left is not None else None


def test_reconcile_requeues_processing_without_a_live_lease_and_nothing_else(session_factory):
    live, lapsed, released = seed_candidates(session_factory, 3)
    # live: its worker renewed a minute ago although it claimed long ago (a slow candidate)
    hold(session_factory, {live: timedelta(seconds=30), lapsed: -timedelta(seconds=1)})
    hold(session_factory, {released: None})  # claim released after a transient error
    with session_factory.begin() as s:
        assert requeue_stale_claims(s) == 2
    with session_factory() as s:
        by_id = dict(s.execute(select(Candidate.id, Candidate.status)).all())
    assert by_id == {live: "processing", lapsed: "pending", released: "pending"}


def test_the_failure_callback_leaves_a_live_lease_alone_and_fails_a_lapsed_one(session_factory):
    live, lapsed = seed_candidates(session_factory, 2)
    hold(session_factory, {live: timedelta(seconds=30), lapsed: -timedelta(seconds=1)})
    with session_factory.begin() as s:
        s.get(Candidate, lapsed).last_error = "GitHub server error (502)"
        s.get(Candidate, lapsed).last_error_status = statuses.GITHUB_FAILED
    with session_factory.begin() as s:
        assert fail_after_retries(s, live, source_message_id=None) is None
        assert fail_after_retries(s, lapsed, source_message_id=None) == statuses.GITHUB_FAILED


def test_retries_lost_on_an_unreachable_worker_go_back_to_the_outbox(session_factory):
    [cid] = seed_candidates(session_factory, 1)  # never reached a worker: no error of its own
    with session_factory.begin() as s:
        s.get(Candidate, cid).enqueue_count = 1
        assert fail_after_retries(s, cid, source_message_id=None) is None
    with session_factory() as s:
        candidate = s.get(Candidate, cid)
        assert (candidate.status, candidate.enqueued_at) == (statuses.PENDING, None)
