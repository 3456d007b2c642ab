"""The worker as operators start it: real processes, real ports, real databases."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tats_core.routes import HEALTH_PATH, PROCESS_PATH
from tests.servers import free_port
from tests.signing import qstash_signature

pytestmark = pytest.mark.slow


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"worker exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url + HEALTH_PATH, timeout=2).json() == {"status": "ok"}:
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} never answered {HEALTH_PATH}:\n{log.read_text()[-2000:]}")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    _stop(started)


def _deliver(url: str, candidate_id: int) -> None:
    body = json.dumps({"candidateId": candidate_id}).encode()
    signature = qstash_signature(body, url + PROCESS_PATH)
    reply = httpx.post(
        url + PROCESS_PATH,
        content=body,
        headers={"Upstash-Signature": signature, "Content-Type": "application/json"},
    )
    assert reply.status_code == 200, reply.text


def _json_lines(log: Path, *, every_line: bool) -> list[dict]:
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    if not every_line:  # uvicorn's own supervisor prints its start-up lines its own way
        lines = [line for line in lines if line.startswith("{")]
    return [json.loads(line) for line in lines]


TATS_WORKER = ["-m", "tats_core", "worker", "--workers", "2", "--port"]
BARE_UVICORN = ["-m", "uvicorn", "worker_service.app:app_from_env", "--factory", "--workers", "2"]


def _start_json_worker(launcher, processes, tmp_path: Path) -> tuple[str, Path]:
    """A two-process worker logging JSON, started by ``launcher`` and healthy; its URL and log."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tats.db'}",
        "TATS_WORKER_URL": url,
        "TATS_LOG_FORMAT": "json",
    }
    log = tmp_path / "worker.log"
    processes.append(_start([sys.executable, *launcher, str(port)], env, log))
    _wait_healthy(url, processes[0], log)
    return url, log


@pytest.mark.parametrize(
    "launcher", [TATS_WORKER, [*BARE_UVICORN, "--port"]], ids=["tats-worker", "bare-uvicorn"]
)
def test_a_multi_process_worker_logs_one_json_line_per_delivery(launcher, processes, tmp_path):
    url, log = _start_json_worker(launcher, processes, tmp_path)

    sent = list(range(101, 107))  # no such candidates: each delivery is acknowledged
    for candidate_id in sent:
        _deliver(url, candidate_id)
    _stop(processes)

    entries = _json_lines(log, every_line=launcher is TATS_WORKER)
    deliveries = [e for e in entries if e.get("event") == "delivery"]
    assert sorted(e["candidate"] for e in deliveries) == sent
    for entry in deliveries:
        assert entry["outcome"] == "unknown_candidate" and entry["level"] == "info"
        assert {"time", "logger", "pid", "ms", "attempt"} <= entry.keys()


def test_metrics_add_up_every_process_of_tats_worker(processes, tmp_path):
    url, log = _start_json_worker(TATS_WORKER, processes, tmp_path)

    # Until both processes have handled deliveries (each new connection goes to either).
    sent = 0
    while sent < 400:
        _deliver(url, 1000 + sent)
        sent += 1
        pids = {e["pid"] for e in _json_lines(log, every_line=True) if e.get("event") == "delivery"}
        if len(pids) == 2 and sent >= 10:
            break
    assert len(pids) == 2, "one process took every delivery"
    for _ in range(6):  # whichever process answers the scrape, it counts all of them
        scrape = httpx.get(url + "/metrics").text
        assert f'tats_deliveries_total{{outcome="unknown_candidate"}} {float(sent)}' in scrape


def test_four_workers_starting_at_once_on_a_fresh_postgresql_all_come_up(
    fresh_postgresql_url, processes, tmp_path
):
    ports = [free_port() for _ in range(4)]
    for i, port in enumerate(ports):
        env = {"DATABASE_URL": fresh_postgresql_url, "TATS_WORKER_URL": f"http://127.0.0.1:{port}"}
        command = [sys.executable, "-m", "tats_core", "worker", "--port", str(port)]
        processes.append(_start(command, env, tmp_path / f"worker{i}.log"))
    for i, (port, proc) in enumerate(zip(ports, processes, strict=True)):
        _wait_healthy(f"http://127.0.0.1:{port}", proc, tmp_path / f"worker{i}.log")

    engine = create_engine(fresh_postgresql_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        tables = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE tablename IN ('job', 'candidate')")
        ).scalar()
    engine.dispose()
    assert len(versions) == 1 and tables == 2


def _children(pid: int) -> set[int]:
    """The processes ``pid`` started that are still running (Linux)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _serving(pid: int) -> set[int]:
    """``tats worker``'s serving processes (multiprocessing's resource tracker left out)."""
    return {
        child
        for child in _children(pid)
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    }


def test_a_worker_process_that_dies_is_replaced(processes, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'tats.db'}", "TATS_WORKER_URL": url}
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "tats_core", "worker", "--workers", "2", "--port"]
    processes.append(_start([*command, str(port)], env, log))
    _wait_healthy(url, processes[0], log)
    deadline = time.monotonic() + 60
    while len(serving := _serving(processes[0].pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(serving) == 2, log.read_text()[-2000:]

    killed = min(serving)
    os.kill(killed, signal.SIGKILL)
    while (
        killed in (now := _serving(processes[0].pid)) or len(now) < 2
    ) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert killed not in now and len(now) == 2, log.read_text()[-2000:]
    # Every new connection is answered (the dead process's socket left the port with it).
    for _ in range(8):
        assert httpx.get(url + HEALTH_PATH, timeout=10).status_code == 200


def test_a_port_already_taken_stops_a_multi_process_worker_with_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'tats.db'}"}
        result = subprocess.run(
            [sys.executable, "-m", "tats_core", "worker", "--workers", "2", "--port", str(port)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
