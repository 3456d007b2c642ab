"""Throughput of queue + worker: candidates per second at several flow-control parallelisms.

The judging is replaced by stand-ins that each add 100 ms (a GitHub snapshot and an analyzer),
so the figure measures TATS's own plumbing: publish, the local QStash-compatible server's signed
deliveries, the worker's claim/finish transactions on PostgreSQL. Little's law bounds the rate at
parallelism / per-candidate latency; the script prints both, then where a delivery's time
went and what it cost. Each parallelism runs twice: ``bare`` (no metrics kept, no log line
written) and ``ops`` (as in production: Prometheus metrics in multi-process files, one JSON
log line per delivery to a file), and the ratio of the two rates is the overhead of both:

- ``cycle ms``: a flow-control slot's time per candidate (parallelism / rate), the 200 ms of
  stand-ins included; ``worker ms``: of that, the worker's request, from its first byte to its
  answer; ``stand-ins``: of that, the stand-ins' own (over 200 when the event loop is late);
- ``CPU ms/cand``: CPU time per candidate of the worker processes, and of the queue server.
  On a 2-core machine, 160 candidates a second leave 12.5 ms of CPU per candidate for all of
  them together (PostgreSQL and this script included).

    .venv/bin/python bench/worker.py [--candidates 600] [--parallelism 8 32 64]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tats_core import statuses  # noqa: E402
from tats_core.judging.analysis import Analysis, AnalysisResult  # noqa: E402
from tats_core.processing.queue import CandidateQueue, enqueue_pending  # noqa: E402
from tats_core.repo.snapshot import RepoSnapshot, TreeEntry  # noqa: E402
from tats_core.routes import PROCESS_PATH  # noqa: E402
from tats_core.settings import load_settings  # noqa: E402
from tats_core.store.db import make_engine, make_session_factory, transaction  # noqa: E402
from tats_core.store.models import Candidate  # noqa: E402
from tats_core.store.schema import migrate  # noqa: E402
from tats_core.triage.ingest import apply_ingest, plan_ingest  # noqa: E402
from tats_core.triage.jobs import create_job  # noqa: E402

STAGE_LATENCY_S = 0.1
TIMINGS = "TATS_BENCH_TIMINGS"  # a folder: each worker process appends its timings there
OPS = "TATS_BENCH_OPS"  # "on": metrics and JSON logs, as in production; "off": neither


class Timings:
    """Appends ``kind ms`` lines to a file of this process's own in ``$TATS_BENCH_TIMINGS``."""

    def __init__(self) -> None:
        path = Path(os.environ[TIMINGS]) / f"{os.getpid()}.txt"
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)

    def add(self, kind: str, started: float) -> None:
        os.write(self.fd, f"{kind} {(time.perf_counter() - started) * 1000:.2f}\n".encode())


async def stand_in(timings: Timings | None) -> None:
    started = time.perf_counter()
    await asyncio.sleep(STAGE_LATENCY_S)
    if timings is not None:
        timings.add("stand-in", started)


class TimedRequests:
    """ASGI middleware: how long the worker takes over each delivery."""

    def __init__(self, app, timings: Timings) -> None:
        self.app, self.timings = app, timings

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != PROCESS_PATH:
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.timings.add("request", started)


class SlowGitHub:
    def __init__(self, timings: Timings | None = None) -> None:
        self.timings = timings

    async def snapshot(self, full_name: str, ref: str | None = None, path: str | None = None):
        await stand_in(self.timings)
        return RepoSnapshot(
            full_name=full_name,
            default_branch="main",
            ref="main",
            commit_count=5,
            tree=[TreeEntry("app.py", "blob", 3000)],
            # A commit of its own per repository, as real submissions have: one shared commit
            # would let every candidate after the first reuse its verdict (``reuse``) and skip
            # the analyzer's stand-in, halving the latency the bound assumes.
            head_sha=hashlib.sha1(full_name.encode()).hexdigest(),
        )


class SlowAnalyzer:
    name = "bench"

    def __init__(self, timings: Timings | None = None) -> None:
        self.timings = timings

    async def analyze(self, snapshot, signals, job):
        await stand_in(self.timings)
        return AnalysisResult(Analysis(decision="needs_review", score=50, summary="bench"), "bench")


def bench_app():  # uvicorn factory, one per worker process
    from tats_core.deps import build_deps
    from tats_core.logs import configure_logging
    from tats_core.processing.judgement import Judges
    from tats_core.telemetry import NoTelemetry
    from worker_service.app import create_app

    settings = load_settings()  # from the environment the parent set
    deps = build_deps(settings, migrate_schema=False)
    timings = Timings()
    judges = Judges(SlowGitHub(timings), SlowAnalyzer(timings))
    if os.environ.get(OPS) == "on":  # as app_from_env: JSON lines to stderr, metrics kept
        configure_logging(settings.log_format, secrets=settings.secret_values())
        telemetry = None
    else:  # the baseline: no log line written, no metric kept
        telemetry = NoTelemetry()
    app = create_app(settings, deps=deps, judges=judges, telemetry=telemetry)
    return TimedRequests(app, timings)


def serve_worker(port: int, processes: int) -> None:
    """Child process: the real worker app with the slow stand-ins injected, started as
    ``tats worker --workers N`` starts it."""
    from worker_service.serve import Serving, serve

    serving = Serving(
        app="worker:bench_app",
        app_dir=str(Path(__file__).parent),
        port=port,
        log_level="warning",
        access_log=False,
    )
    raise SystemExit(serve(serving, processes))


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


def wait_listening(port: int, sockets: int) -> None:
    """Until ``sockets`` sockets listen on ``port`` (each worker process has its own): a
    process still starting would otherwise leave the first one every connection the queue
    opens, and keeps alive, for the whole run."""
    hex_port = f":{port:04X}"
    for _ in range(400):
        with open("/proc/net/tcp") as table:
            rows = [line.split() for line in table.readlines()[1:]]
        if sum(1 for r in rows if r[1].endswith(hex_port) and r[3] == "0A") >= sockets:
            return
        time.sleep(0.05)
    raise SystemExit(f"{sockets} worker processes never all listened on {port}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


@dataclass
class Run:
    seconds: float
    done: int
    worker_ms: float  # per delivery, mean
    stand_ins_ms: float
    worker_cpu_s: float
    queue_cpu_s: float


def read_timings(folder: str) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for path in Path(folder).glob("*.txt"):
        for line in path.read_text().splitlines():
            kind, ms = line.split()
            found.setdefault(kind, []).append(float(ms))
    return found


def run_once(pg_admin: str, parallelism: int, count: int, processes: int, ops: bool) -> Run:
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
    timings = Path(tmp) / "timings"
    timings.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "QSTASH_URL": f"http://127.0.0.1:{queue_port}",
        "TATS_WORKER_URL": f"http://127.0.0.1:{worker_port}",
        TIMINGS: str(timings),
        OPS: "on" if ops else "off",
    }
    if ops:  # as tats worker runs: every process's metrics in files, one JSON line a delivery
        metrics_dir = Path(tmp) / "metrics"
        metrics_dir.mkdir()
        env |= {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "TATS_LOG_FORMAT": "json"}
    worker_log = (Path(tmp) / "worker.log").open("wb")
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
        stderr=worker_log,
    )
    try:
        wait_port(queue_port)
        wait_listening(worker_port, processes)
        # The worker's processes: the supervisor's children (or the worker itself, alone).
        workers = children(worker_proc.pid) or [worker_proc.pid]
        settings = load_settings(
            database_url=database_url,
            qstash_url=f"http://127.0.0.1:{queue_port}",
            worker_url=f"http://127.0.0.1:{worker_port}",
            flow_control_parallelism=parallelism,
        )
        cpu_before = [sum(map(cpu_seconds, workers)), cpu_seconds(queue_proc.pid)]
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
        elapsed = time.perf_counter() - started
        cpu_after = [sum(map(cpu_seconds, workers)), cpu_seconds(queue_proc.pid)]
        if ops:  # what an operator would see: one scrape, one line per delivery
            scrape = httpx.get(f"http://127.0.0.1:{worker_port}/metrics").text
            processed = [
                line for line in scrape.splitlines() if line.startswith("tats_deliveries_total")
            ]
            logged = (Path(tmp) / "worker.log").read_text().count('"event": "delivery"')
            print(f"    metrics: {'; '.join(processed)}; JSON delivery lines: {logged}")
        timed = read_timings(str(timings))
        requests, stand_ins = timed.get("request", []), timed.get("stand-in", [])
        return Run(
            elapsed,
            done,
            worker_ms=sum(requests) / max(1, len(requests)),
            stand_ins_ms=sum(stand_ins) / max(1, len(requests)),
            worker_cpu_s=cpu_after[0] - cpu_before[0],
            queue_cpu_s=cpu_after[1] - cpu_before[1],
        )
    finally:
        for proc in (worker_proc, queue_proc):
            proc.terminate()
            proc.wait(timeout=30)
        worker_log.close()
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
    parser.add_argument(
        "--ops",
        choices=["on", "off", "both"],
        default="both",
        help="metrics and JSON logs on (as in production), off, or both runs (the overhead)",
    )
    args = parser.parse_args()
    latency = 2 * STAGE_LATENCY_S
    print(
        f"{args.candidates} candidates, stand-in latency {latency * 1000:.0f} ms per candidate, "
        f"{args.processes} worker process(es), PostgreSQL"
    )
    print(
        f"{'parallelism':>11} {'seconds':>8} {'cand/s':>8} {'bound/s':>8} {'of bound':>9}"
        f" | {'cycle ms':>8} {'worker ms':>9} {'stand-ins':>9}"
        f" | {'CPU ms/cand: worker':>19} {'queue':>6}"
    )
    for p in args.parallelism:
        count = max(args.candidates, p * 10)
        rates = {}
        for ops in (False, True) if args.ops == "both" else (args.ops == "on",):
            run = run_once(args.pg, p, count, args.processes, ops)
            rates[ops] = rate = run.done / run.seconds
            bound = p / latency
            label = f"{p} {'ops' if ops else 'bare'}"
            print(
                f"{label:>11} {run.seconds:>8.1f} {rate:>8.1f} {bound:>8.1f} {rate / bound:>8.0%} "
                f" | {p / rate * 1000:>8.0f} {run.worker_ms:>9.0f} {run.stand_ins_ms:>9.0f}"
                f" | {run.worker_cpu_s / run.done * 1000:>19.1f}"
                f" {run.queue_cpu_s / run.done * 1000:>6.1f}",
                flush=True,
            )
        if len(rates) == 2:
            print(
                f"{'':>11} metrics and JSON logs on: {rates[True] / rates[False]:.2f}x the rate without"
            )


if __name__ == "__main__":
    main()
