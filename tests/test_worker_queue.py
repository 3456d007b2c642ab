"""Queue + worker together: deliveries signed by the local QStash-compatible server, a worker
that is killed mid-run, retries that run out, a queue that was down.

The kill test runs the worker as a process of its own, as in production (``kill -9`` needs
one); the queue, and both apps in the other tests, are served on loopback in this process,
which spares a process start each. The queue's clock starts behind the wall clock, and a test
that would wait for a queued retry moves that clock instead (``tats_dev.qstash.clock``); leases
and the GitHub client's own backoff keep real time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from qstash import QStash
from qstash.log import LogState
from sqlalchemy import func, select

from tats_core import statuses
from tats_core.deps import build_judges
from tats_core.processing.queue import CandidateQueue, OutboxItem, enqueue_pending, reconcile
from tats_core.routes import HEALTH_PATH
from tats_core.settings import Settings, load_settings
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job
from tats_dev.github_replay import create_app as create_replay
from tats_dev.qstash.api import create_app as create_queue
from tats_dev.qstash.clock import ShiftedClock
from tats_dev.qstash_server import DEV_TOKEN
from tests.servers import free_port, serve
from tests.test_qstash_server import LAG, REPO_ROOT
from tests.worker_fixtures import running_worker

STRONG = Path(__file__).with_name("github_repos") / "acme__strong-api"
REPOS = 32  # copies of the strong fixture the replay serves, load/repo000 ...
KILL_RUN = 32  # candidates of the kill test: enough that the kill lands mid-run


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_http(url: str, proc: subprocess.Popen) -> None:
    def up() -> bool:
        assert proc.poll() is None, f"process exited with {proc.returncode}"
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    wait_until(up, 180, url)  # a loaded shared machine took over 90 s to start a worker


class WorkerProcess:
    """``tats worker`` as a child process, started and killed by the test."""

    def __init__(self, tmp_path: Path, settings: Settings, github_url: str):
        self.tmp, self.settings = tmp_path, settings
        self.port = urlsplit(settings.worker_url).port
        self.env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "QSTASH_URL": settings.qstash_url,
            "TATS_WORKER_URL": settings.worker_url,
            "GITHUB_API_URL": github_url,
            "TATS_ANALYZER": "heuristic",
            "TATS_CLAIM_LEASE": str(settings.claim_lease_s),
            "PYTHONPATH": str(REPO_ROOT),  # this checkout's code, whatever the venv points at
        }
        self.proc: subprocess.Popen | None = None
        self.log = (tmp_path / "worker.log").open("ab")  # read it when a test fails

    def start(self) -> None:
        command = [sys.executable, "-m", "tats_core", "worker", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            command, env=self.env, cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=self.log
        )
        wait_http(self.settings.worker_url + HEALTH_PATH, self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


@dataclass
class Served:
    """The queue and the worker served in this process; ``settings`` are the worker's."""

    settings: Settings
    queue_clock: ShiftedClock
    queue_client: QStash


@contextmanager
def served(
    tmp_path: Path,
    database_url: str,
    session_factory,
    github_url: str,
    *,
    queue_port: int | None = None,
    **overrides,
) -> Iterator[Served]:
    """The queue (on ``queue_port``, if given) and a worker judging with the real GitHub client
    against ``github_url`` and the heuristic analyzer."""
    clock = ShiftedClock(-LAG)
    queue = create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.01, clock=clock)
    judging = load_settings(
        database_url=database_url, github_api_url=github_url, analyzer="heuristic"
    )
    judges = build_judges(judging, session_factory)
    overrides.setdefault("queue_retry_delay", "100")
    with (
        serve(queue, port=queue_port) as queue_url,
        running_worker(
            database_url, session_factory, judges, qstash_url=queue_url, **overrides
        ) as worker,
    ):
        client = QStash(DEV_TOKEN, base_url=queue_url, retry=False)
        yield Served(worker.settings, clock, client)


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("repos")
    for i in range(REPOS):
        target = root / f"load__repo{i:03d}"
        shutil.copytree(STRONG, target)
        repo = json.loads((target / "repo.json").read_text())
        repo.update(name=f"repo{i:03d}", full_name=f"load/repo{i:03d}")
        repo["owner"]["login"] = "load"
        (target / "repo.json").write_text(json.dumps(repo))
    return root


@pytest.fixture
def github(repos):
    app = create_replay(repos, graphql=False)
    with serve(app) as url:
        app.url = url
        yield app


def seed(session_factory, urls: list[str]) -> int:
    body = "repo\n" + "\n".join(urls) + "\n"
    with transaction(session_factory) as session:
        job = create_job(session, "Load", "A REST API in Python with tests.")
        apply_ingest(session, job.id, plan_ingest(session, job.id, body.encode()))
        return job.id


def in_flight(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).where(Candidate.status == statuses.PROCESSING)) or 0


def final_count(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).where(Candidate.status.in_(statuses.FINAL))) or 0


@pytest.mark.slow
def test_worker_killed_mid_run_and_restarted_finishes_every_candidate_once(
    tmp_path, database_url, session_factory, github
):
    """No operator and no reconcile: the dead worker's leases lapse (5 s here, a minute by
    default) and the queue's own retries, told by "busy" answers when to come back, take its
    candidates over."""
    seed(session_factory, [f"https://github.com/load/repo{i:03d}" for i in range(KILL_RUN)])
    github.set_latency(0.02)  # long enough for deliveries to be in flight at the kill
    clock = ShiftedClock(-LAG)
    queue_app = create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.01, clock=clock)
    with serve(queue_app) as queue_url:
        settings = load_settings(
            database_url=database_url,
            qstash_url=queue_url,
            worker_url=f"http://127.0.0.1:{free_port()}",
            claim_lease_s=5,
            queue_retry_delay="2000 * pow(2, retried)",  # 2, 4, 8, 16, 32 s: outlasts a restart
            queue_retries=5,
            flow_control_parallelism=8,
        )
        worker = WorkerProcess(tmp_path, settings, github.url)
        try:
            worker.start()
            queue = CandidateQueue.from_settings(settings)
            assert enqueue_pending(session_factory, queue).enqueued == KILL_RUN
            wait_until(
                lambda: final_count(session_factory) >= 8 and in_flight(session_factory) > 0,
                120,
                "the first results, with deliveries in flight",
            )
            worker.kill()  # mid-run: some candidates are claimed, deliveries in flight
            killed_at = final_count(session_factory)
            assert killed_at < KILL_RUN, "the run finished before the kill; make the run longer"
            assert in_flight(session_factory), "no candidate was in flight at the kill"
            worker.start()
            # The deliveries that failed while it was down are due again now, not after their
            # backoff; the held candidates still wait for their leases to lapse, in real time.
            clock.advance(60)
            wait_until(lambda: final_count(session_factory) == KILL_RUN, 120, "all final")
        finally:
            worker.stop()
    with session_factory() as s:
        per_candidate = s.execute(
            select(Evaluation.candidate_id, func.count()).group_by(Evaluation.candidate_id)
        ).all()
        assert len(per_candidate) == KILL_RUN
        assert {n for _, n in per_candidate} == {1}
        final = s.scalars(select(Candidate.status)).all()
        assert set(final) <= set(statuses.DECISIONS), set(final)


@pytest.mark.slow  # the GitHub client's own backoff, in real time
def test_retries_running_out_end_in_a_final_failure_status(
    tmp_path, database_url, session_factory, github
):
    seed(session_factory, ["https://github.com/load/repo000", "https://github.com/load/repo001"])
    github.fail_next(503, times=1000, path_contains="repo001")
    with served(tmp_path, database_url, session_factory, github.url, queue_retries=2) as stack:
        enqueue_pending(session_factory, CandidateQueue.from_settings(stack.settings))
        wait_until(lambda: final_count(session_factory) == 2, 60, "both candidates final")
    with session_factory() as s:
        by_repo = dict(s.execute(select(Candidate.repo_full_name, Candidate.status)).all())
    assert by_repo["load/repo000"] in statuses.DECISIONS
    assert by_repo["load/repo001"] == statuses.GITHUB_FAILED
    # 1 + 2 queue deliveries, each trying GitHub's repo endpoint 3 times itself.
    assert github.requests_to("/repos/load/repo001") == 9
    with session_factory() as s:
        reasons = s.scalars(
            select(StatusEvent.reason)
            .join(Candidate, Candidate.id == StatusEvent.candidate_id)
            .where(Candidate.repo_full_name == "load/repo001")
        ).all()
    # Each attempt's error is in the candidate's history, then the final failure.
    assert sum("will retry" in r and "503" in r for r in reasons) == 3, reasons


LEASE_S = 1.5


@pytest.mark.slow  # a candidate that outlasts its lease, in real time
def test_a_slow_candidate_with_a_live_worker_is_never_taken_over(
    tmp_path, database_url, session_factory, github
):
    """GitHub answers slower than a whole lease; the worker renews it, so a second delivery of
    the same candidate waits ("busy") instead of judging it a second time."""
    seed(session_factory, ["https://github.com/load/repo000"])
    github.set_latency(1.0)
    with served(
        tmp_path, database_url, session_factory, github.url, claim_lease_s=LEASE_S
    ) as stack:
        queue = CandidateQueue.from_settings(stack.settings)
        assert enqueue_pending(session_factory, queue).enqueued == 1
        wait_until(lambda: github.requests_to("/repos/load/repo000") > 0, 30, "the first delivery")
        with session_factory() as s:
            candidate = s.scalars(select(Candidate)).one()
            item = OutboxItem(candidate.id, candidate.attempt, enqueue_count=99)
        [duplicate] = queue.publish([item])  # a second message for the same attempt
        wait_until(lambda: final_count(session_factory) == 1, 60, "the candidate final")
        # The duplicate was told to come back after the lease; its retry need not wait for that.
        stack.queue_clock.advance(10)
        wait_until(
            lambda: _states(stack.queue_client, duplicate)[-1:] == [LogState.DELIVERED],
            10,
            "the duplicate answered",
        )
        answered = _states(stack.queue_client, duplicate)
    assert LogState.RETRY in answered  # it came while the first delivery worked: "busy"
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 1
        claims = s.scalars(select(StatusEvent).where(StatusEvent.reason == "claimed")).all()
        assert len(claims) == 1
        judged_at = s.scalar(select(func.max(StatusEvent.created_at)))
    worked = (judged_at - claims[0].created_at).total_seconds()
    assert worked > LEASE_S, "the candidate took less than a lease; raise the latency"
    assert github.requests_to("/repos/load/repo000/languages") == 1  # one snapshot taken


def _states(client: QStash, message_id: str) -> list[LogState]:
    """The states the queue logged for ``message_id``, oldest first."""
    logs = client.log.list(filter={"message_id": message_id}).logs
    return [log.state for log in reversed(logs)]


def test_publishing_while_the_queue_is_down_loses_nothing(
    tmp_path, database_url, session_factory, github
):
    seed(session_factory, [f"https://github.com/load/repo{i:03d}" for i in range(5)])
    queue_port = free_port()
    down = load_settings(database_url=database_url, qstash_url=f"http://127.0.0.1:{queue_port}")
    report = enqueue_pending(session_factory, CandidateQueue.from_settings(down))
    assert (report.enqueued, report.remaining) == (0, 5)
    assert report.error is not None and "not reachable" in report.error
    with served(
        tmp_path, database_url, session_factory, github.url, queue_port=queue_port
    ) as stack:
        queue = CandidateQueue.from_settings(stack.settings)
        again = reconcile(session_factory, queue)
        assert again.enqueued == 5 and again.error is None
        assert reconcile(session_factory, queue).enqueued == 0  # nothing is sent twice
        wait_until(lambda: final_count(session_factory) == 5, 60, "all five final")
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 5
