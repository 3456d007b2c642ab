"""``tats reconcile --schedule`` for real (a subprocess) against the local queue server, and the
queue's dead letters read back with their candidates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from qstash import QStash

from tats_core.processing.queue_admin import RECONCILE_CRON, RECONCILE_SCHEDULE_ID
from tats_dev.qstash.api import create_app as create_queue
from tats_dev.qstash_server import DEV_TOKEN
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def queue_url(tmp_path: Path):
    with serve(create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.001)) as url:
        yield url


def test_reconcile_schedule_run_twice_leaves_exactly_one_schedule(queue_url, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QSTASH_URL": queue_url,
        "TATS_WORKER_URL": "http://127.0.0.1:8123/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
    }
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "tats_core", "reconcile", "--schedule"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode()
        outputs.append(json.loads(result.stdout))

    expected = {
        "schedule_id": RECONCILE_SCHEDULE_ID,
        "destination": "http://127.0.0.1:8123/api/reconcile",
        "cron": "* * * * *",
    }
    assert outputs == [expected, expected]
    [schedule] = QStash(DEV_TOKEN, base_url=queue_url).schedule.list()
    assert schedule.schedule_id == RECONCILE_SCHEDULE_ID
    assert schedule.destination == "http://127.0.0.1:8123/api/reconcile"
    assert schedule.cron == RECONCILE_CRON == "* * * * *"
    assert not (tmp_path / "unused.db").exists()  # scheduling needs no database
