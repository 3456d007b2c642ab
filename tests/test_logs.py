"""Logs an operator can query (issue #18, item 4): ``TATS_LOG_FORMAT=json`` gives one JSON object
per line from the worker and the CLI, text is the default, and no secret ever reaches a line:
the logs of real processes run with known secrets, through the paths that handle them (a key the
service rejects, the health check, a forged signature, the metrics' token), are grepped."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from tats_core.logs import REDACTED, configure_logging, log_event
from tats_core.routes import HEALTH_PATH, METRICS_PATH, PROCESS_PATH, RECONCILE_PATH
from tats_core.store.models import Candidate
from tats_dev.github_replay import create_app as create_replay
from tests.fakes.fake_cohere import FakeCohere
from tests.servers import free_port, serve
from tests.signing import qstash_signature
from tests.test_worker_startup import _start, _stop, _wait_healthy

REPOS = Path(__file__).parent / "github_repos"
GITHUB_TOKEN = "ghp_log_test_token_never_in_logs_4c5d"
COHERE_KEY = "co_log_test_key_never_in_logs_8a9b"
WEBHOOK_SECRET = "whsec_log_test_never_in_logs_1f2e"
METRICS_TOKEN = "metrics_log_test_never_in_logs_7b6a"
DB_PASSWORD = "db_password_never_in_logs_3c2d"
SECRETS = (GITHUB_TOKEN, COHERE_KEY, WEBHOOK_SECRET, METRICS_TOKEN, DB_PASSWORD)


@pytest.fixture
def stderr_logging(capsys) -> Iterator[Callable[[], str]]:
    """What configure_logging writes to stderr; the root logger's handlers restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield lambda: capsys.readouterr().err
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_json_lines_carry_the_event_fields(stderr_logging):
    configure_logging("json")
    log_event(logging.getLogger("tats.worker"), "delivery", candidate=7, outcome="processed")
    logging.getLogger("tats.pipeline").warning("plain message %s", "here")
    first, second = (json.loads(line) for line in stderr_logging().splitlines())
    assert first["event"] == "delivery" and first["candidate"] == 7
    assert first["level"] == "info" and first["logger"] == "tats.worker"
    assert second["message"] == "plain message here" and second["level"] == "warning"


def test_text_is_the_default_with_fields_as_key_value(stderr_logging):
    configure_logging()
    log_event(logging.getLogger("tats.worker"), "delivery", candidate=7, detail="two words")
    line = stderr_logging().strip()
    assert line.endswith('tats.worker: delivery candidate=7 detail="two words"')


def test_a_secret_in_any_line_is_redacted(stderr_logging):
    configure_logging("json", secrets=[GITHUB_TOKEN, "short"])
    try:
        raise RuntimeError(f"header Authorization: Bearer {GITHUB_TOKEN}")
    except RuntimeError:
        logging.getLogger("httpx").exception("a library quoting a header")
    logging.getLogger("tats").warning("too short to be a secret: short")
    text = stderr_logging()
    assert GITHUB_TOKEN not in text and REDACTED in text
    assert "too short to be a secret: short" in text  # short values would redact words


@pytest.mark.slow
@pytest.mark.parametrize("rejecting", ["github", "cohere"])
def test_no_secret_reaches_the_logs_of_a_real_run(rejecting, fresh_postgresql_url, tmp_path):
    # trust authentication ignores the password; the URL still carries it everywhere
    database_url = fresh_postgresql_url.replace("://", f"://postgres:{DB_PASSWORD}@", 1)
    replay = create_replay(REPOS, token=GITHUB_TOKEN if rejecting == "cohere" else "other")
    cohere = FakeCohere()
    if rejecting == "cohere":
        cohere.reject_key()
    port = free_port()
    worker_url = f"http://127.0.0.1:{port}"
    with serve(replay) as github_url, serve(cohere.app) as cohere_url:
        env = {
            "DATABASE_URL": database_url,
            "TATS_LOG_FORMAT": "json",
            "TATS_WORKER_URL": worker_url,
            "QSTASH_URL": f"http://127.0.0.1:{free_port()}",  # down: the import's publish fails
            "GITHUB_API_URL": github_url,
            "GITHUB_RAW_URL": f"{github_url}/raw",
            "GITHUB_TOKEN": GITHUB_TOKEN,
            "COHERE_API_KEY": COHERE_KEY,
            "COHERE_BASE_URL": cohere_url,
            "TATS_ANALYZER": "cohere",
            "TATS_RUN_TESTS": "off",
            "TATS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TATS_METRICS_TOKEN": METRICS_TOKEN,
        }
        csv = tmp_path / "candidates.csv"
        csv.write_text(
            "name,url\nA,https://github.com/acme/strong-api\nB,https://github.com/acme/weak-app\n"
        )
        cli = subprocess.run(
            [sys.executable, "-m", "tats_core", "import", str(csv), "--job-title", "Backend"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 0, cli.stderr
        log = tmp_path / "worker.log"
        worker = _start(
            [sys.executable, "-m", "tats_core", "worker", "--port", str(port)], env, log
        )
        try:
            _wait_healthy(worker_url, worker, log)
            for cid in _candidate_ids(database_url):
                body = json.dumps({"candidateId": cid}).encode()
                reply = httpx.post(
                    worker_url + PROCESS_PATH,
                    content=body,
                    headers={
                        "Upstash-Signature": qstash_signature(body, worker_url + PROCESS_PATH)
                    },
                )
                assert reply.json()["outcome"] == "waiting", reply.text
            forged = httpx.post(
                worker_url + PROCESS_PATH, content=b"{}", headers={"Upstash-Signature": "forged"}
            )
            assert forged.status_code == 401
            assert httpx.get(worker_url + HEALTH_PATH).status_code == 503
            bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
            assert httpx.get(worker_url + METRICS_PATH, headers=bearer).status_code == 200
            body = b"{}"  # the schedule's call: probes the rejected service again
            signature = qstash_signature(body, worker_url + RECONCILE_PATH)
            httpx.post(
                worker_url + RECONCILE_PATH, content=body, headers={"Upstash-Signature": signature}
            )
        finally:
            _stop([worker])

    worker_lines = [line for line in log.read_text().splitlines() if line.strip()]
    cli_lines = [line for line in cli.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in worker_lines + cli_lines]  # every line is JSON
    events = {e.get("event") for e in entries}
    assert {"delivery", "reconcile"} <= events
    # The paths that handle the secrets did run: the rejection was logged, by name.
    setting = "GITHUB_TOKEN" if rejecting == "github" else "COHERE_API_KEY"
    assert any(setting in json.dumps(e) for e in entries)
    everything = "\n".join(worker_lines + cli_lines + [cli.stdout])
    for secret in SECRETS:
        assert secret not in everything


def _candidate_ids(database_url: str) -> list[int]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        ids = list(conn.execute(select(Candidate.id)).scalars())
    engine.dispose()
    return ids


def test_the_app_logs_in_the_configured_format(stderr_logging, monkeypatch, tmp_path):
    from tats_ui import deps as app_deps

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("TATS_LOG_FORMAT", "json")
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    app_deps._build_deps.clear()
    try:
        app_deps.get_deps()  # once per server process, as the app's pages call it
        logging.getLogger("tats.ui").warning("upload refused: token %s", GITHUB_TOKEN)
        logging.getLogger("tats_core.triage").warning("a library-style line")
    finally:
        app_deps._build_deps.clear()
    lines = [json.loads(line) for line in stderr_logging().splitlines() if line.startswith("{")]
    assert [e["logger"] for e in lines][-2:] == ["tats.ui", "tats_core.triage"]
    assert GITHUB_TOKEN not in json.dumps(lines) and REDACTED in lines[-2]["message"]
