"""Soak: N candidates through queue + worker while things break, then count what was lost.

Fake GitHub (the replay server over copies of a fixture repository) and fake Cohere run in this
process on loopback, behind a fault injector: GitHub answers 502 to 5% of requests, a secondary
rate limit (403 + ``Retry-After: 2``) to 3%, and stalls 0.3% for 8 s; Cohere answers 429 to 10%
(``Retry-After: 1``) and 500 to 5%. The queue server and the worker are child processes (the
real ``tats worker``, Cohere analyzer, PostgreSQL). Mid-run the worker is killed -9 twice and the
queue server once (each restarted at once); ``reconcile`` runs every minute as its schedule
would. Prints the time until every candidate is final, the share decided, candidates stuck,
and evaluations beyond one per attempt. Loopback only; stops by itself (``--deadline``).

    .venv/bin/python bench/soak.py [--candidates 200] [--lease 10] [--deadline 900]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tats_core import statuses  # noqa: E402
from tats_core.processing.queue import CandidateQueue, enqueue_pending, reconcile  # noqa: E402
from tats_core.settings import load_settings  # noqa: E402
from tats_core.store.db import make_engine, make_session_factory, transaction  # noqa: E402
from tats_core.store.models import Candidate, Evaluation  # noqa: E402
from tats_core.store.schema import migrate  # noqa: E402
from tats_core.triage.ingest import apply_ingest, plan_ingest  # noqa: E402
from tats_core.triage.jobs import create_job  # noqa: E402
from tats_dev.github_replay import create_app as create_replay  # noqa: E402
from tests.fakes.fake_cohere import FakeCohere  # noqa: E402
from tests.servers import free_port, serve  # noqa: E402

FIXTURE = ROOT / "tests" / "github_repos" / "acme__strong-api"
FIXTURE_HEAD = "8b62d17dcf38f3e7d05182896d77ab0f007107f5"  # its default branch's head commit


class Faults:
    """ASGI middleware: answer a random share of requests with a scripted failure."""

    def __init__(self, app: Any, faults: list[tuple[float, int, dict[str, str]]], *, seed: int):
        self.app = app
        self.faults = faults  # (probability, status, headers); status 0 = stall 8 s, then serve
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.injected: dict[int, int] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self.lock:
                roll = self.rng.random()
            for probability, status, headers in self.faults:
                if roll < probability:
                    with self.lock:
                        self.injected[status] = self.injected.get(status, 0) + 1
                    if status == 0:
                        await asyncio.sleep(8)
                        break
                    body = json.dumps({"message": "injected fault (soak)"}).encode()
                    raw = [(b"content-type", b"application/json")]
                    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
                    await send({"type": "http.response.start", "status": status, "headers": raw})
                    await send({"type": "http.response.body", "body": body})
                    return
                roll -= probability
        await self.app(scope, receive, send)


def make_repos(root: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        target = root / f"soak__repo{i:04d}"
        shutil.copytree(FIXTURE, target)
        repo = json.loads((target / "repo.json").read_text())
        repo.update(name=f"repo{i:04d}", full_name=f"soak/repo{i:04d}")
        repo["owner"]["login"] = "soak"
        (target / "repo.json").write_text(json.dumps(repo))
        # A head commit of its own, as real submissions have: with the fixture's one commit,
        # every candidate after the first would reuse the first verdict, and Cohere (and its
        # faults) would be asked once.
        own = hashlib.sha1(f"soak/repo{i:04d}".encode()).hexdigest()
        for data in target.glob("*.json"):
            data.write_text(data.read_text().replace(FIXTURE_HEAD, own))
        names.append(f"https://github.com/soak/repo{i:04d}")
    return names


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], health: str, log: Path):
        self.name, self.args, self.env, self.health, self.log = name, args, env, health, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", *self.args], env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.health, timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start; see {self.log}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--lease", type=float, default=10.0, help="claim lease, seconds")
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--deadline", type=float, default=900.0, help="give up after (s)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--tests", action="store_true", help="also run tests in the sandbox")
    parser.add_argument(
        "--pg", default=os.environ.get("TATS_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tats-soak-"))
    name = f"tats_soak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = f"postgresql+psycopg://{args.pg.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    engine = make_engine(database_url)
    migrate(engine)
    factory = make_session_factory(engine)
    (tmp / "repos").mkdir()
    urls = make_repos(tmp / "repos", args.candidates)
    with transaction(factory) as session:
        job = create_job(session, "Soak", "A REST API in Python with tests.")
        body = ("repo\n" + "\n".join(urls) + "\n").encode()
        apply_ingest(session, job.id, plan_ingest(session, job.id, body))

    github = Faults(
        # GitHub's hourly limit is not one of the faults injected here: 2,000 candidates need
        # ~12,000 requests, past a token's 5,000 an hour (production would spread them over
        # hours, each candidate waiting for the reset, as the first 2,000 run here did).
        create_replay(tmp / "repos", graphql=False, rate_limit=max(5000, 10 * args.candidates)),
        [(0.05, 502, {}), (0.03, 403, {"retry-after": "2"}), (0.003, 0, {})],
        seed=args.seed,
    )
    cohere_fake = FakeCohere()
    cohere = Faults(
        cohere_fake.app, [(0.10, 429, {"retry-after": "1"}), (0.05, 500, {})], seed=args.seed + 1
    )
    queue_port, worker_port = free_port(), free_port()
    retry_delay = "min(60000, 2000 * pow(2, retried))"
    with serve(github) as github_url, serve(cohere) as cohere_url:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "QSTASH_URL": f"http://127.0.0.1:{queue_port}",
            "TATS_WORKER_URL": f"http://127.0.0.1:{worker_port}",
            "GITHUB_API_URL": github_url,
            "TATS_ANALYZER": "cohere",
            "COHERE_API_KEY": "soak-key",
            "COHERE_BASE_URL": cohere_url,
            "TATS_CLAIM_LEASE": str(args.lease),
            "TATS_QUEUE_RETRY_DELAY": retry_delay,
            "TATS_QUEUE_RETRIES": "6",
            "TATS_FLOW_CONTROL_PARALLELISM": str(args.parallelism),
            # The soak measures the queue, the worker and judging under faults; the sandbox's
            # cost is bench/tests_run.py's. "--tests" turns them on here too.
            "TATS_RUN_TESTS": "auto" if args.tests else "off",
        }
        settings = load_settings(
            run_tests="auto" if args.tests else "off",
            database_url=database_url,
            qstash_url=env["QSTASH_URL"],
            worker_url=env["TATS_WORKER_URL"],
            queue_retry_delay=retry_delay,
            queue_retries=6,
            flow_control_parallelism=args.parallelism,
        )
        queue_server = Process(
            "queue",
            [
                "tats_dev.qstash_server",
                "--port",
                str(queue_port),
                "--db",
                str(tmp / "q.db"),
                "--delay-scale",
                "0.1",
                "--log-level",
                "warning",
            ],
            env,
            f"http://127.0.0.1:{queue_port}/v2/keys",
            tmp / "queue.log",
        )
        worker = Process(
            "worker",
            ["tats_core", "worker", "--port", str(worker_port)],
            env,
            f"http://127.0.0.1:{worker_port}/healthz",
            tmp / "worker.log",
        )
        queue = CandidateQueue.from_settings(settings)
        return run(args, factory, queue, queue_server, worker, github, cohere, tmp, name)


def counts(factory: Any) -> tuple[int, int]:
    with factory() as s:
        final = s.scalar(select(func.count()).where(Candidate.status.in_(statuses.FINAL))) or 0
        decided = s.scalar(select(func.count()).where(Candidate.status.in_(statuses.DECISIONS)))
    return final, decided or 0


def run(
    args: Any,
    factory: Any,
    queue: CandidateQueue,
    queue_server: Process,
    worker: Process,
    github: Faults,
    cohere: Faults,
    tmp: Path,
    db_name: str,
) -> int:
    n = args.candidates
    # Each disruption fires once the run has got this far (share of candidates final).
    disruptions = [(0.2, "worker"), (0.45, "queue"), (0.7, "worker")]
    events: list[str] = []
    try:
        queue_server.start()
        worker.start()
        started = time.monotonic()
        report = enqueue_pending(factory, queue)
        events.append(f"enqueued {report.enqueued}")
        last_reconcile = time.monotonic()
        final = 0
        while time.monotonic() - started < args.deadline:
            final, decided = counts(factory)
            if final >= n:
                break
            if disruptions and final >= disruptions[0][0] * n:
                _, which = disruptions.pop(0)
                target = worker if which == "worker" else queue_server
                target.kill()
                events.append(
                    f"{time.monotonic() - started:6.1f} s  killed -9 {which} at {final} final"
                )
                target.start()
                events.append(f"{time.monotonic() - started:6.1f} s  {which} back")
            if time.monotonic() - last_reconcile >= 60:
                r = reconcile(factory, queue)
                events.append(f"{time.monotonic() - started:6.1f} s  reconcile {r.to_dict()}")
                last_reconcile = time.monotonic()
            time.sleep(0.5)
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
        queue_server.stop()
    final, decided = counts(factory)
    with factory() as s:
        per_attempt = s.execute(
            select(Evaluation.candidate_id, Evaluation.attempt, func.count()).group_by(
                Evaluation.candidate_id, Evaluation.attempt
            )
        ).all()
        by_status = dict(
            s.execute(select(Candidate.status, func.count()).group_by(Candidate.status)).all()
        )
    extra = sum(c - 1 for _, _, c in per_attempt if c > 1)
    for line in events:
        print(line)
    print(f"candidates            {n}")
    print(
        f"all final after       {elapsed:.1f} s"
        if final == n
        else f"NOT all final after {elapsed:.1f} s"
    )
    print(f"decided               {decided / n:.1%} ({decided})")
    print(f"statuses              {by_status}")
    print(f"stuck (not final)     {n - final}")
    print(f"evaluations beyond one per attempt  {extra}")
    print(f"faults injected       github {github.injected}  cohere {cohere.injected}")
    print(f"logs and data in      {tmp} (database {db_name})")
    ok = final == n and decided >= 0.99 * n and extra == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
