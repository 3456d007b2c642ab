"""Queue + worker as separate processes, as in production: deliveries signed by the local
QStash-compatible server, a worker that is killed mid-run, retries that run out."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tats_core import statuses
from tats_core.processing.queue import CandidateQueue, OutboxItem, enqueue_pending, reconcile
from tats_core.settings import load_settings
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job
from tats_dev.github_replay import create_app as create_replay
from tests.servers import free_port, serve

STRONG = Path(__file__).with_name("github_repos") / "acme__strong-api"
ROOT = Path(__file__).resolve().parent.parent


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_http(url: str, proc: subprocess.Popen) -> None:
    def up() -> bool:
        assert proc.poll() is None, f"process exited with {proc.returncode}"
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    wait_until(up, 180, url)  # a loaded shared machine took over 90 s to start a worker


class Stack:
    """The queue server and the worker as child processes, the fake GitHub in this one."""

    def __init__(
        self,
        tmp_path: Path,
        database_url: str,
        github_url: str,
        *,
        lease_s: float = 60.0,
        retry_delay: str = "500",
        **settings,
    ):
        self.tmp = tmp_path
        self.queue_port, self.worker_port = free_port(), free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "QSTASH_URL": f"http://127.0.0.1:{self.queue_port}",
            "TATS_WORKER_URL": f"http://127.0.0.1:{self.worker_port}",
            "GITHUB_API_URL": github_url,
            "TATS_ANALYZER": "heuristic",
            "TATS_CLAIM_LEASE": str(lease_s),
            "TATS_QUEUE_RETRY_DELAY": retry_delay,  # ms; the dev queue does not scale it
        }
        self.settings = load_settings(
            database_url=database_url,
            qstash_url=self.env["QSTASH_URL"],
            worker_url=self.env["TATS_WORKER_URL"],
            claim_lease_s=lease_s,
            queue_retry_delay=retry_delay,
            **settings,
        )
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: list = []

    def start(self, name: str) -> None:
        command = {
            "queue": [
                "tats_dev.qstash_server",
                "--port",
                str(self.queue_port),
                "--db",
                str(self.tmp / "queue.db"),
                "--delay-scale",
                "0.01",
                "--log-level",
                "warning",
            ],
            "worker": ["tats_core", "worker", "--port", str(self.worker_port)],
        }[name]
        log = (self.tmp / f"{name}.log").open("ab")  # read it when a test fails
        self.logs.append(log)
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", *command],
            env=self.env,
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        port = self.queue_port if name == "queue" else self.worker_port
        path = "/v2/keys" if name == "queue" else "/healthz"
        wait_http(f"http://127.0.0.1:{port}{path}", self.procs[name])

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
        for log in self.logs:
            log.close()


@pytest.fixture
def repos(tmp_path):
    root = tmp_path / "repos"
    root.mkdir()
    for i in range(200):
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


def final_count(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).where(Candidate.status.in_(statuses.FINAL))) or 0


def test_worker_killed_mid_run_and_restarted_finishes_every_candidate_once(
    tmp_path, database_url, session_factory, github
):
    """No operator and no reconcile: the dead worker's leases lapse (5 s here, a minute by
    default) and the queue's own retries, told by "busy" answers when to come back, take its
    candidates over."""
    seed(session_factory, [f"https://github.com/load/repo{i:03d}" for i in range(200)])
    github.set_latency(0.02)  # long enough for deliveries to be in flight at the kill
    stack = Stack(
        tmp_path,
        database_url,
        github.url,
        lease_s=5,
        retry_delay="2000 * pow(2, retried)",  # 2, 4, 8, 16, 32 s: outlasts a restart
        queue_retries=5,
        flow_control_parallelism=16,
    )
    try:
        stack.start("queue")
        stack.start("worker")
        queue = CandidateQueue.from_settings(stack.settings)
        assert enqueue_pending(session_factory, queue).enqueued == 200
        wait_until(lambda: final_count(session_factory) >= 30, 120, "the first results")
        stack.kill("worker")  # mid-run: some candidates are claimed, deliveries in flight
        killed_at = final_count(session_factory)
        assert killed_at < 200, "the run finished before the kill; make the run longer"
        with session_factory() as s:
            held = s.scalar(select(func.count()).where(Candidate.status == statuses.PROCESSING))
        assert held, "no candidate was in flight at the kill"
        stack.start("worker")
        wait_until(lambda: final_count(session_factory) == 200, 120, "every candidate final")
    finally:
        stack.stop()
    with session_factory() as s:
        per_candidate = s.execute(
            select(Evaluation.candidate_id, func.count()).group_by(Evaluation.candidate_id)
        ).all()
        assert len(per_candidate) == 200
        assert {n for _, n in per_candidate} == {1}
        final = s.scalars(select(Candidate.status)).all()
        assert set(final) <= set(statuses.DECISIONS), set(final)


def test_retries_running_out_end_in_a_final_failure_status(
    tmp_path, database_url, session_factory, github
):
    seed(session_factory, ["https://github.com/load/repo000", "https://github.com/load/repo001"])
    github.fail_next(503, times=1000, path_contains="repo001")
    stack = Stack(tmp_path, database_url, github.url, queue_retries=2)
    try:
        stack.start("queue")
        stack.start("worker")
        enqueue_pending(session_factory, CandidateQueue.from_settings(stack.settings))
        wait_until(lambda: final_count(session_factory) == 2, 60, "both candidates final")
    finally:
        stack.stop()
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


def test_a_slow_candidate_with_a_live_worker_is_never_taken_over(
    tmp_path, database_url, session_factory, github
):
    """GitHub answers slower than a whole lease; the worker renews it, so a second delivery of
    the same candidate waits ("busy") instead of judging it a second time."""
    seed(session_factory, ["https://github.com/load/repo000"])
    github.set_latency(1.0)
    stack = Stack(tmp_path, database_url, github.url, lease_s=1.5, retry_delay="300")
    try:
        stack.start("queue")
        stack.start("worker")
        queue = CandidateQueue.from_settings(stack.settings)
        assert enqueue_pending(session_factory, queue).enqueued == 1
        wait_until(lambda: github.requests_to("/repos/load/repo000") > 0, 30, "the first delivery")
        with session_factory() as s:
            candidate = s.scalars(select(Candidate)).one()
            item = OutboxItem(candidate.id, candidate.attempt, enqueue_count=99)
        queue.publish([item])  # a second message for the same attempt, as a duplicate would be
        wait_until(lambda: final_count(session_factory) == 1, 60, "the candidate final")
        time.sleep(2)  # let the duplicate's retries arrive and be answered
    finally:
        stack.stop()
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 1
        claims = s.scalars(select(StatusEvent.reason).where(StatusEvent.reason == "claimed"))
        assert len(claims.all()) == 1
    assert github.requests_to("/repos/load/repo000/languages") == 1  # one snapshot taken


def test_publishing_while_the_queue_is_down_loses_nothing(
    tmp_path, database_url, session_factory, github
):
    seed(session_factory, [f"https://github.com/load/repo{i:03d}" for i in range(5)])
    stack = Stack(tmp_path, database_url, github.url)
    queue = CandidateQueue.from_settings(stack.settings)
    report = enqueue_pending(session_factory, queue)  # nothing listens on the queue's port
    assert (report.enqueued, report.remaining) == (0, 5)
    assert "not reachable" in report.error
    try:
        stack.start("queue")
        stack.start("worker")
        again = reconcile(session_factory, queue)
        assert again.enqueued == 5 and again.error is None
        assert reconcile(session_factory, queue).enqueued == 0  # nothing is sent twice
        wait_until(lambda: final_count(session_factory) == 5, 60, "all five final")
    finally:
        stack.stop()
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 5
