"""The database goes away while a decision is being recorded (issue #18): the delivery is
classified once (503 with Retry-After, logged with the candidate), nothing leaks, ``/healthz``
says so, and the queue's next try decides the candidate once the database is back."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from sqlalchemy import select

from tats_core import statuses
from tats_core.judging.analysis import Analysis, AnalysisResult, JobBrief
from tats_core.judging.signals import Signals
from tats_core.processing.judgement import Judges
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation
from tests.conftest import PG_ADMIN_URL
from tests.worker_fixtures import SlowSource, running_worker, seed_candidates


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql)


def database_goes_away(name: str) -> None:
    """No new connections, and every open one cut: what a failover or a crash looks like."""
    _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )


def database_comes_back(name: str) -> None:
    _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@dataclass
class OutageDuringJudging:
    """Judges a candidate, taking the database away just before the verdict is recorded."""

    database: str
    name: str = "fixed"
    outages: int = 0

    async def analyze(
        self, snapshot: RepoSnapshot, signals: Signals, job: JobBrief
    ) -> AnalysisResult:
        if self.outages == 0:
            self.outages += 1
            await asyncio.to_thread(database_goes_away, self.database)
        return AnalysisResult(
            Analysis(decision=statuses.NEEDS_REVIEW, score=55, summary="Fixed verdict."),
            analyzer=self.name,
        )


def test_the_database_going_away_while_recording_is_retried_then_decided(
    database_url, session_factory, caplog
):
    if not database_url.startswith("postgresql"):
        pytest.skip("an open SQLite file cannot go away; the PostgreSQL run covers this")
    database = database_url.rsplit("/", 1)[1]
    [cid] = seed_candidates(session_factory, 1)
    analyzer = OutageDuringJudging(database)
    with (
        caplog.at_level(logging.ERROR, logger="tats"),
        running_worker(
            database_url, session_factory, Judges(SlowSource(), analyzer), claim_lease_s=1
        ) as worker,
    ):
        try:
            first = worker.deliver({"candidateId": cid}, message_id="msg_1")
            health = httpx.get(worker.url + "/healthz")
        finally:
            database_comes_back(database)
        assert first.status_code == 503 and first.json()["outcome"] == "retry"
        assert int(first.headers["retry-after"]) >= 1
        assert health.status_code == 503 and "database" in health.json()["problems"][0]
        logged = [r for r in caplog.records if "recording candidate" in r.getMessage()]
        assert logged and str(cid) in logged[0].getMessage()

        # The queue's retry, after the Retry-After: the claim's lease has lapsed by then (the
        # dead delivery could not give it back), so it is taken over and decided once.
        deadline = time.monotonic() + 30
        second = worker.deliver({"candidateId": cid}, message_id="msg_1")
        while second.json()["outcome"] == "busy" and time.monotonic() < deadline:
            time.sleep(0.2)
            second = worker.deliver({"candidateId": cid}, message_id="msg_1")
        assert second.status_code == 200 and second.json()["outcome"] == "processed"
        assert httpx.get(worker.url + "/healthz").json() == {"status": "ok"}
    with transaction(session_factory) as session:
        assert session.get(Candidate, cid).status == statuses.NEEDS_REVIEW
        evaluations = session.scalars(select(Evaluation).where(Evaluation.candidate_id == cid))
        assert len(list(evaluations)) == 1
