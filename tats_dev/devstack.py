"""``tats dev``: the whole product on one machine, on its embedded defaults.

Starts the worker, the local QStash-compatible server and the Streamlit app as child processes
(plus, with ``--demo``, an offline GitHub replay serving the shipped demo repositories), creates
on the local queue the schedule that calls the worker's ``POST /api/reconcile`` every minute (as
``tats reconcile --schedule`` does on Upstash) so nothing waits on a lost publish, and stops
everything on Ctrl-C.

The worker starts first and the queue only once the worker answers its health check: the queue
fires a schedule kept from an earlier run as soon as it starts, and the reconcile schedule has
no retries, so a firing at a worker not yet listening would be a dead letter on the Queue page.
For the same reason the queue stops first.

``child_stack`` runs ``tats dev`` as a child of another tool (the tests, the screenshots).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tats_core.routes import HEALTH_PATH
from tats_core.settings import Settings, is_local_url

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(".tats")  # the local queue's database, beside the working directory
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Service:
    """A child process of the stack, and the URL that answers one of ``ready`` once it serves."""

    name: str
    command: list[str]
    health_url: str
    ready: frozenset[int] = frozenset({200})


def run_dev_stack(settings: Settings, *, app_port: int, demo: bool = False) -> int:
    from tats_core.deps import build_deps
    from tats_core.processing.queue_admin import QueueAdmin

    if not is_local_url(settings.qstash_url):
        raise SystemExit(
            "error: `tats dev` runs its own local queue; unset QSTASH_URL or make it local"
        )
    settings = settings.model_copy(update={"database_url": _absolute(settings.database_url)})
    env = _child_env(settings)
    if demo:
        env.update(_start_demo_replay())
    deps = build_deps(settings)  # creates or migrates the database before anyone uses it
    STATE_DIR.mkdir(exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _start(_services(settings, app_port), env, procs)
        schedule = QueueAdmin.from_settings(settings).ensure_reconcile_schedule()
        if demo:
            from tats_dev.demo import load_demo

            load_demo(deps.session_factory, deps.queue)
        data = deps.engine.url.render_as_string(hide_password=True)
        print(_banner(settings, app_port, schedule.destination, data, demo), flush=True)
        return _supervise(procs)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(procs)


def _banner(settings: Settings, app_port: int, reconcile_url: str, data: str, demo: bool) -> str:
    lines = [
        f"app     http://127.0.0.1:{app_port}",
        f"worker  {settings.worker_url}  (health: {settings.worker_url}{HEALTH_PATH})",
        f"queue   {settings.qstash_url}  (local QStash-compatible server)",
        f"sched   reconcile every minute -> {reconcile_url}",
        f"data    {data}",
        f"judge   {settings.analyzer_name} analyzer"
        + (", demo repositories served offline" if demo else ""),
    ]
    return "\nTATS is running:\n  " + "\n  ".join(lines) + "\nPress Ctrl-C to stop.\n"


def _absolute(database_url: str) -> str:
    """Every child process must open the same SQLite file, whatever its working directory."""
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(database_url[len("sqlite:///") :]).resolve())
    return database_url


def _child_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "QSTASH_URL": settings.qstash_url,
        "TATS_WORKER_URL": settings.worker_url,
        "PYTHONUNBUFFERED": "1",
    }


def _services(settings: Settings, app_port: int) -> list[Service]:
    """The child processes in the order they start (see the module's docstring for why)."""
    python, queue_port = sys.executable, _port(settings.qstash_url)
    queue = [python, "-m", "tats_core", "qstash-dev", "--port", str(queue_port)]
    app = [python, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py")]
    app += ["--server.port", str(app_port), "--server.headless", "true"]
    app += ["--browser.gatherUsageStats", "false"]
    worker_port = _port(settings.worker_url)
    return [
        Service(
            "worker",
            [python, "-m", "tats_core", "worker", "--port", str(worker_port)],
            f"http://127.0.0.1:{worker_port}{HEALTH_PATH}",
            # 503 is a worker that listens but reports a problem (the pages show it): the
            # queue may start, and the person sees what to fix.
            frozenset({200, 503}),
        ),
        Service(
            "queue",
            [*queue, "--db", str(STATE_DIR / "qstash-dev.db")],
            f"http://127.0.0.1:{queue_port}{HEALTH_PATH}",
        ),
        Service("app", app, f"http://127.0.0.1:{app_port}/_stcore/health"),
    ]


def _start(
    services: list[Service], env: dict[str, str], procs: dict[str, subprocess.Popen[bytes]]
) -> None:
    """Start each service once the one before it is healthy (``procs`` gets each as it starts,
    for the caller to stop whatever has started)."""
    for service in services:
        procs[service.name] = subprocess.Popen(service.command, env=env, cwd=Path.cwd())
        _wait_until_healthy(service, procs[service.name])


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def _wait_until_healthy(
    service: Service, proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(
                    f"error: {service.name} exited with code {proc.returncode} while starting"
                )
            try:
                if client.get(service.health_url).status_code in service.ready:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise SystemExit(
        f"error: {service.name} did not answer {service.health_url} within {timeout:.0f} s"
    )


def _supervise(procs: dict[str, subprocess.Popen[bytes]]) -> int:
    """Wait until a child stops on its own (an error: 1) or Ctrl-C."""
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"error: {name} stopped (exit code {proc.returncode})", file=sys.stderr)
                return 1
        time.sleep(0.5)


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    """Stop the children in the reverse order of their start: the queue before the worker."""
    for proc in reversed(procs.values()):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start_demo_replay() -> dict[str, str]:
    """Serve the demo repositories (development only) in a thread of this process; returns the
    settings that point the worker and the app at it."""
    import uvicorn

    from tats_dev.demo import demo_repos_dir
    from tats_dev.github_replay import create_app

    port = _free_port()
    config = uvicorn.Config(
        create_app(demo_repos_dir()), host="127.0.0.1", port=port, log_level="warning"
    )
    threading.Thread(target=uvicorn.Server(config).run, daemon=True).start()
    replay = f"http://127.0.0.1:{port}"
    # The replay serves raw file text under /raw, as GitHub Enterprise does.
    return {"GITHUB_API_URL": replay, "GITHUB_RAW_URL": f"{replay}/raw", "TATS_DEMO": "1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # a SIGTERM (container stop, `timeout`) stops the stack like Ctrl-C


@contextmanager
def child_stack(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (``tats dev``) in a process group of its own, its output in ``log``; at
    the end, Ctrl-C it (it stops its own children) and kill the whole group if it hangs."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
