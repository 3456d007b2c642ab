"""``tats dev`` as a developer runs it again: a child process on free ports, in a folder that
keeps the local queue's database (and its reconcile schedule) from an earlier run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from qstash import QStash
from qstash.log import LogState

from tats_core.processing.queue_admin import RECONCILE_SCHEDULE_ID, QueueAdmin
from tats_core.settings import load_settings
from tats_dev.devstack import child_stack
from tats_dev.qstash.api import create_app as create_queue
from tats_dev.qstash.clock import ShiftedClock
from tats_dev.qstash_server import DEV_TOKEN
from tests.servers import free_port, serve
from tests.test_qstash_server import LAG, REPO_ROOT, wait_until

pytestmark = pytest.mark.slow


def test_a_restarted_stack_fires_the_kept_schedule_only_at_a_worker_that_answers(tmp_path: Path):
    app_port, queue_port, worker_port = free_port(), free_port(), free_port()
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'tats.db'}",
        qstash_url=f"http://127.0.0.1:{queue_port}",
        worker_url=f"http://127.0.0.1:{worker_port}",
    )
    # The earlier run: its schedule's next minute has passed, so the queue fires it at start.
    queue_db = tmp_path / ".tats" / "qstash-dev.db"
    queue_db.parent.mkdir()
    earlier = create_queue(db_path=str(queue_db), clock=ShiftedClock(-LAG))
    with serve(earlier, port=queue_port):
        QueueAdmin.from_settings(settings).ensure_reconcile_schedule()

    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "QSTASH_URL": settings.qstash_url,
        "TATS_WORKER_URL": settings.worker_url,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(REPO_ROOT),  # this checkout's code, whatever the venv points at
    }
    log_path = tmp_path / "dev-stack.log"
    command = [sys.executable, "-m", "tats_core", "dev", "--app-port", str(app_port)]
    with child_stack(command, cwd=tmp_path, env=env, log=log_path) as stack:
        wait_until(lambda: _running(stack, log_path), 120, "`tats dev` to start")
        client = QStash(DEV_TOKEN, base_url=settings.qstash_url, retry=False)
        wait_until(lambda: _fired(client) is not None, 10, "the kept schedule's firing")
        assert _fired(client) == LogState.DELIVERED, log_path.read_text()[-2000:]
        assert client.dlq.list().messages == []


def _running(stack: subprocess.Popen[bytes], log_path: Path) -> bool:
    assert stack.poll() is None, log_path.read_text()[-2000:]
    return b"TATS is running" in log_path.read_bytes()


def _fired(client: QStash) -> LogState | None:
    """How the reconcile schedule's first message ended (None while it has not)."""
    logs = client.log.list(filter={"schedule_id": RECONCILE_SCHEDULE_ID}).logs
    ended = [log.state for log in logs if log.state in (LogState.DELIVERED, LogState.FAILED)]
    return ended[-1] if ended else None
