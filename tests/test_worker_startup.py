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


@pytest.mark.parametrize(
    "launcher",
    [
        ["-m", "tats_core", "worker", "--workers", "2", "--port"],
        [
            "-m",
            "uvicorn",
            "worker_service.app:app_from_env",
            "--factory",
            "--workers",
            "2",
            "--port",
        ],
    ],
    ids=["tats-worker", "bare-uvicorn"],
)
def test_a_multi_process_worker_logs_one_line_per_delivery(launcher, processes, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'tats.db'}", "TATS_WORKER_URL": url}
    log = tmp_path / "worker.log"
    processes.append(_start([sys.executable, *launcher, str(port)], env, log))
    _wait_healthy(url, processes[0], log)

    sent = []
    for candidate_id in range(101, 107):  # no such candidates: each delivery is acknowledged
        body = json.dumps({"candidateId": candidate_id}).encode()
        signature = qstash_signature(body, url + PROCESS_PATH)
        reply = httpx.post(
            url + PROCESS_PATH,
            content=body,
            headers={"Upstash-Signature": signature, "Content-Type": "application/json"},
        )
        assert reply.status_code == 200, reply.text
        sent.append(candidate_id)
    _stop(processes)

    logged = [
        json.loads(line.split(": ", 1)[1])
        for line in log.read_text().splitlines()
        if '"event": "delivery"' in line
    ]
    assert sorted(entry["candidate"] for entry in logged) == sent


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
