"""``tats dev``: the whole product on one machine, on its embedded defaults.

Starts the local QStash-compatible server, the worker and the Streamlit app as child processes
(plus, with ``--demo``, an offline GitHub replay serving the shipped demo repositories), creates
on the local queue the schedule that calls the worker's ``POST /api/reconcile`` every minute (as
``tats reconcile --schedule`` does on Upstash) so nothing waits on a lost publish, and stops
everything on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from tats_core.settings import Settings, is_local_url

ROOT = Path(__file__).resolve().parent.parent


def _port(url: str, default: int) -> int:
    return urlsplit(url).port or default


def _wait_for_port(
    port: int, name: str, proc: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: {name} exited with code {proc.returncode} while starting")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"error: {name} did not start on port {port} within {timeout:.0f} s")


def _start_replay(port: int) -> threading.Thread:
    """Serve the demo repositories (development only) in a thread of this process."""
    import uvicorn

    from tats_dev.demo import demo_repos_dir
    from tats_dev.github_replay import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(demo_repos_dir()), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return thread


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # a SIGTERM (container stop, `timeout`) stops the stack like Ctrl-C


def run_dev_stack(settings: Settings, *, demo: bool = False, app_port: int = 8501) -> int:
    from tats_core.deps import build_deps
    from tats_core.processing.queue_admin import QueueAdmin

    if not is_local_url(settings.qstash_url):
        raise SystemExit(
            "error: `tats dev` runs its own local queue; unset QSTASH_URL or make it local"
        )
    env = dict(os.environ)
    database_url = settings.database_url
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:////"):
        # Every child process must open the same file, whatever its working directory.
        database_url = "sqlite:///" + str(Path(database_url[len("sqlite:///") :]).resolve())
    env.update(
        DATABASE_URL=database_url,
        QSTASH_URL=settings.qstash_url,
        TATS_WORKER_URL=settings.worker_url,
        PYTHONUNBUFFERED="1",
    )
    queue_port, worker_port = _port(settings.qstash_url, 8080), _port(settings.worker_url, 8000)
    if demo:
        replay_port = _free_port()
        _start_replay(replay_port)
        replay = f"http://127.0.0.1:{replay_port}"
        # The replay serves raw file text under /raw, as GitHub Enterprise does.
        env.update(GITHUB_API_URL=replay, GITHUB_RAW_URL=f"{replay}/raw", TATS_DEMO="1")
    settings = settings.model_copy(update={"database_url": database_url})
    deps = build_deps(settings)  # creates or migrates the database before anyone uses it

    python = sys.executable
    state_dir = Path(".tats")
    state_dir.mkdir(exist_ok=True)
    commands = {
        "queue": [
            python,
            "-m",
            "tats_core",
            "qstash-dev",
            "--port",
            str(queue_port),
            "--db",
            str(state_dir / "qstash-dev.db"),
        ],
        "worker": [python, "-m", "tats_core", "worker", "--port", str(worker_port)],
        "app": [
            python,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.port",
            str(app_port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
    }
    ports = {"queue": queue_port, "worker": worker_port, "app": app_port}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for name, command in commands.items():
            procs[name] = subprocess.Popen(command, env=env, cwd=Path.cwd())
            _wait_for_port(ports[name], name, procs[name])
        schedule = QueueAdmin.from_settings(settings).ensure_reconcile_schedule()
        if demo:
            from tats_dev.demo import load_demo

            load_demo(deps.session_factory, deps.queue)
        print(
            "\nTATS is running:\n"
            f"  app     http://127.0.0.1:{app_port}\n"
            f"  worker  {settings.worker_url}  (health: {settings.worker_url}/healthz)\n"
            f"  queue   {settings.qstash_url}  (local QStash-compatible server)\n"
            f"  sched   reconcile every minute -> {schedule.destination}\n"
            f"  data    {deps.engine.url.render_as_string(hide_password=True)}\n"
            f"  judge   {settings.analyzer_name} analyzer"
            + (", demo repositories served offline" if demo else "")
            + "\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"error: {name} stopped (exit code {proc.returncode})", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
