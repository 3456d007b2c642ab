"""``POST /api/reconcile`` and the schedule that calls it: signed like the other routes, and run
by the local queue's schedule every minute with no command typed by hand (the test moves the
queue's clock to the schedule's minute instead of waiting for it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tats_core import statuses
from tats_core.processing.judgement import Judges
from tats_core.processing.queue import CandidateQueue, enqueue_pending
from tats_core.processing.queue_admin import QueueAdmin
from tats_core.routes import RECONCILE_PATH
from tats_core.settings import load_settings
from tats_core.store.db import transaction
from tats_core.store.models import Candidate
from tats_dev.qstash.api import create_app as create_queue
from tats_dev.qstash.clock import ShiftedClock
from tests.servers import free_port, serve
from tests.signing import qstash_signature
from tests.test_qstash_server import LAG, wait_until
from tests.worker_fixtures import FixedAnalyzer, SlowSource, running_worker, seed_candidates


@pytest.fixture
def queue_clock() -> ShiftedClock:
    return ShiftedClock(-LAG)


@pytest.fixture
def queue_url(tmp_path: Path, queue_clock: ShiftedClock):
    app = create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.001, clock=queue_clock)
    with serve(app) as url:
        yield url


@pytest.fixture
def worker(database_url, session_factory, queue_url):
    judges = Judges(SlowSource(), FixedAnalyzer())
    with running_worker(database_url, session_factory, judges, qstash_url=queue_url) as w:
        yield w


def unpublished(session_factory) -> set[int]:
    with transaction(session_factory) as session:
        return set(
            session.scalars(
                select(Candidate.id).where(
                    Candidate.status == statuses.PENDING, Candidate.enqueued_at.is_(None)
                )
            )
        )


def statuses_of(session_factory) -> list[str]:
    with transaction(session_factory) as session:
        return list(session.scalars(select(Candidate.status)))


def test_a_signed_call_runs_reconcile_and_publishes_what_was_left_pending(worker, session_factory):
    ids = seed_candidates(session_factory, 3)
    assert unpublished(session_factory) == set(ids)

    response = worker.deliver(b"{}", path=RECONCILE_PATH)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "requeued_stale": 0,
        "enqueued": 3,
        "remaining": 0,
        "error": None,
        "waiting_for": [],
    }
    assert unpublished(session_factory) == set()


@pytest.mark.parametrize("forgery", ["missing", "wrong_key", "signed_for_another_path"])
def test_an_unsigned_or_forged_call_is_refused_and_changes_nothing(
    worker, session_factory, forgery
):
    ids = seed_candidates(session_factory, 2)
    signature = {
        "missing": None,
        "wrong_key": qstash_signature(
            b"{}", worker.settings.worker_url + RECONCILE_PATH, key="sig_attackerKeyxxxxxxxxxxxxxxx"
        ),
        "signed_for_another_path": qstash_signature(b"{}", worker.settings.process_url),
    }[forgery]

    response = worker.deliver(b"{}", path=RECONCILE_PATH, signature=signature)

    assert response.status_code == 401
    assert unpublished(session_factory) == set(ids)


def test_candidates_left_pending_by_a_failed_publish_are_processed_by_the_schedule(
    database_url, session_factory, queue_url, queue_clock
):
    ids = seed_candidates(session_factory, 3)
    down = load_settings(database_url=database_url, qstash_url=f"http://127.0.0.1:{free_port()}")
    report = enqueue_pending(session_factory, CandidateQueue.from_settings(down))
    assert report.enqueued == 0 and report.remaining == 3  # the queue was down during import

    judges = Judges(SlowSource(), FixedAnalyzer())
    with running_worker(database_url, session_factory, judges, qstash_url=queue_url) as worker:
        admin = QueueAdmin.from_settings(worker.settings)
        admin.ensure_reconcile_schedule()
        schedule = admin.reconcile_schedule()
        assert schedule is not None and schedule.next_run_at is not None
        assert unpublished(session_factory) == set(ids)  # nothing runs before its minute
        queue_clock.advance_to(schedule.next_run_at.timestamp())  # schedules fire on minutes
        wait_until(
            lambda: set(statuses_of(session_factory)) <= set(statuses.FINAL), 30, "final statuses"
        )
    assert len(statuses_of(session_factory)) == len(ids)
    assert set(statuses_of(session_factory)) == {statuses.NEEDS_REVIEW}
