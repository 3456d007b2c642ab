"""Throughput of queue + worker: candidates per second at several flow-control parallelisms.

The judging is replaced by stand-ins that each add 100 ms (a GitHub snapshot and an analyzer),
so the figure measures TATS's own plumbing: publish, the local QStash-compatible server's signed
deliveries, the worker's claim/finish transactions on PostgreSQL. Little's law bounds the rate at
parallelism / per-candidate latency; the script prints both.

    .venv/bin/python bench/worker.py [--candidates 600] [--parallelism 8 32 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tats_core import statuses  # noqa: E402
from tats_core.judging.analysis import Analysis, AnalysisResult  # noqa: E402
from tats_core.processing.queue import CandidateQueue, enqueue_pending  # noqa: E402
from tats_core.repo.snapshot import RepoSnapshot, TreeEntry  # noqa: E402
from tats_core.settings import load_settings  # noqa: E402
from tats_core.store.db import make_engine, make_session_factory, transaction  # noqa: E402
from tats_core.store.models import Candidate  # noqa: E402
from tats_core.store.schema import migrate  # noqa: E402
from tats_core.triage.ingest import apply_ingest, plan_ingest  # noqa: E402
from tats_core.triage.jobs import create_job  # noqa: E402

STAGE_LATENCY_S = 0.1


class SlowGitHub:
    async def snapshot(self, full_name: str, ref: str | None = None, path: str | None = None):
        await asyncio.sleep(STAGE_LATENCY_S)
        return RepoSnapshot(
            full_name=full_name,
            default_branch="main",
            ref="main",
            commit_count=5,
            tree=[TreeEntry("app.py", "blob", 3000)],
            head_sha="a" * 40,
        )


class SlowAnalyzer:
    name = "bench"

    async def analyze(self, snapshot, signals, job):
        await asyncio.sleep(STAGE_LATENCY_S)
        return AnalysisResult(Analysis(decision="needs_review", score=50, summary="bench"), "bench")


def bench_app():  # uvicorn factory, one per worker process
    from tats_core.deps import build_deps
    from tats_core.processing.judgement import Judges
    from worker_service.app import create_app

    settings = load_settings()  # from the environment the parent set
    deps = build_deps(settings, migrate_schema=False)
    return create_app(settings, deps=deps, judges=Judges(SlowGitHub(), SlowAnalyzer()))


def serve_worker(port: int, processes: int) -> None:
    """Child process: the real worker app with the slow stand-ins injected."""
    import uvicorn

    uvicorn.run(
        "worker:bench_app",
        app_dir=str(Path(__file__).parent),
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=processes,
        log_level="warning",
        access_log=False,
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int) -> None:
    import socket

    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def run_once(pg_admin: str, parallelism: int, count: int, processes: int) -> tuple[float, int]:
    name = f"tats_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = f"postgresql+psycopg://{pg_admin.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    engine = make_engine(database_url)
    migrate(engine)
    factory = make_session_factory(engine)
    rows = "\n".join(f"c{i},https://github.com/bench{i}/repo" for i in range(count))
    with transaction(factory) as session:
        job = create_job(session, "bench")
        apply_ingest(session, job.id, plan_ingest(session, job.id, f"name,repo\n{rows}\n".encode()))

    queue_port, worker_port = free_port(), free_port()
    tmp = tempfile.mkdtemp()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "QSTASH_URL": f"http://127.0.0.1:{queue_port}",
        "TATS_WORKER_URL": f"http://127.0.0.1:{worker_port}",
    }
    queue_proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tats_dev.qstash_server",
            "--port",
            str(queue_port),
            "--db",
            f"{tmp}/q.db",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    worker_proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "_worker",
            str(worker_port),
            str(processes),
        ],
        env=env,
    )
    try:
        wait_port(queue_port)
        wait_port(worker_port)
        settings = load_settings(
            database_url=database_url,
            qstash_url=f"http://127.0.0.1:{queue_port}",
            worker_url=f"http://127.0.0.1:{worker_port}",
            flow_control_parallelism=parallelism,
        )
        started = time.perf_counter()
        enqueue_pending(factory, CandidateQueue.from_settings(settings))
        done = 0
        while time.perf_counter() - started < 600:
            with factory() as s:
                done = (
                    s.scalar(select(func.count()).where(Candidate.status.in_(statuses.FINAL))) or 0
                )
            if done >= count:
                break
            time.sleep(0.05)
        return time.perf_counter() - started, done
    finally:
        for proc in (worker_proc, queue_proc):
            proc.terminate()
            proc.wait(timeout=10)
        engine.dispose()
        with psycopg.connect(pg_admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        serve_worker(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=600)
    parser.add_argument("--parallelism", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument(
        "--processes", type=int, default=2, help="worker processes (the worker is stateless)"
    )
    args = parser.parse_args()
    latency = 2 * STAGE_LATENCY_S
    print(
        f"{args.candidates} candidates, stand-in latency {latency * 1000:.0f} ms per candidate, "
        f"{args.processes} worker process(es), PostgreSQL"
    )
    print(f"{'parallelism':>11} {'seconds':>8} {'cand/s':>8} {'bound/s':>8} {'of bound':>9}")
    for p in args.parallelism:
        count = max(args.candidates, p * 10)
        elapsed, done = run_once(args.pg, p, count, args.processes)
        rate = done / elapsed
        bound = p / latency
        print(f"{p:>11} {elapsed:>8.1f} {rate:>8.1f} {bound:>8.1f} {rate / bound:>8.0%}")


if __name__ == "__main__":
    main()
