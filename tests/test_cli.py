"""``python -m tats_core`` run for real, as a subprocess, against SQLite and PostgreSQL.

The queue URL points at a closed loopback port, so every import meets a queue that is down:
the contract says the import still succeeds, stores the candidates ``pending`` and says why on
stderr, within seconds.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Job, StatusEvent
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job, find_job_by_title
from tests.csv_corpus import corpus_file, latin1_csv, png_bytes
from tests.servers import free_port
from tests.test_export import CONTRACT_COLUMNS

REPORT_KEYS = {"job_id", "inserted", "duplicates", "invalid", "enqueued"}
UNKNOWN_JOB = "987654"
ROOT = Path(__file__).resolve().parents[1]  # the checkout under test, installed or not

Run = Callable[..., subprocess.CompletedProcess[bytes]]


@pytest.fixture
def tats(database_url: str, engine: Engine, tmp_path: Path) -> Run:
    """Run the CLI on the test database with the queue down (nothing listens on the port)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": database_url,
        "QSTASH_URL": f"http://127.0.0.1:{free_port()}",
    }

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "tats_core", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=False,
        )

    return run


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            model.__tablename__: conn.scalar(select(func.count()).select_from(model)) or 0
            for model in (Job, Candidate, StatusEvent)
        }


def stderr_lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return [line for line in result.stderr.decode().splitlines() if line.strip()]


def json_output(result: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    """The command's stdout must be exactly one JSON object."""
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1, result.stdout
    value = json.loads(lines[0])
    assert isinstance(value, dict)
    return value


def seed_existing_job(session_factory: sessionmaker[Session]) -> int:
    with transaction(session_factory) as session:
        job = create_job(session, "Existing job")
        apply_ingest(session, job.id, plan_ingest(session, job.id, corpus_file("bom.csv")))
        return job.id


def test_import_with_the_queue_down_stores_candidates_and_reports(tats, session_factory):
    started = time.monotonic()
    result = tats("import", str(corpus_file("url_forms.csv")), "--job-title", "Backend")
    elapsed = time.monotonic() - started

    assert result.returncode == 0, result.stderr.decode()
    report = json_output(result)
    assert set(report) == REPORT_KEYS
    assert (report["inserted"], report["duplicates"], report["enqueued"]) == (3, 0, 0)
    assert [(p["row"], p["value"]) for p in report["invalid"]] == [
        (2, "https://github.com/someone"),
        (3, "https://gist.github.com/someone/0123abc"),
        (7, "https://someone.github.io/site"),
        (8, "https://gitlab.com/acme/app"),
        (9, "https://github.com/settings/profile"),
        (10, ""),
    ]
    assert all(set(p) == {"row", "value", "reason"} and p["reason"] for p in report["invalid"])
    warnings = [line for line in stderr_lines(result) if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "not reachable" in warnings[0] and "reconcile" in warnings[0]
    assert "Traceback" not in result.stderr.decode()
    # A hang check, not a benchmark: the SDK's own retries would take minutes (generous for a
    # loaded machine).
    assert elapsed < 45

    with session_factory() as session:
        job = find_job_by_title(session, "Backend")
        assert job is not None and job.id == report["job_id"]
        candidates = session.scalars(select(Candidate).where(Candidate.job_id == job.id)).all()
    assert len(candidates) == 3
    assert {c.status for c in candidates} == {statuses.PENDING}
    assert all(c.enqueued_at is None for c in candidates)  # left for `tats reconcile`


def test_second_import_of_the_same_file_reports_duplicates(tats, engine):
    first = json_output(tats("import", str(corpus_file("bom.csv")), "--job-title", "Backend"))
    second_run = tats("import", str(corpus_file("bom.csv")), "--job-title", "backend ")

    assert second_run.returncode == 0
    second = json_output(second_run)
    assert second["job_id"] == first["job_id"]  # titles match ignoring case and spaces
    assert (second["inserted"], second["duplicates"], second["invalid"]) == (0, 2, [])
    assert table_counts(engine) == {"job": 1, "candidate": 2, "status_event": 0}


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (
            lambda tmp: ["import", _write(tmp, "latin1.csv", latin1_csv()), "--job-title", "New"],
            "not UTF-8",
        ),
        (
            lambda tmp: ["import", _write(tmp, "photo.csv", png_bytes()), "--job-title", "New"],
            "not a CSV file",
        ),
        (
            lambda tmp: ["import", str(corpus_file("no_url_column.csv")), "--job-title", "New"],
            "no GitHub URL column",
        ),
        (
            lambda tmp: ["import", str(corpus_file("header_only.csv")), "--job-title", "New"],
            "no candidate rows",
        ),
        (
            lambda tmp: ["import", str(tmp / "missing.csv"), "--job-title", "New"],
            "cannot read",
        ),
        (
            lambda tmp: ["import", str(corpus_file("bom.csv")), "--job-title", "   "],
            "a job needs a title",
        ),
        (lambda tmp: ["status", "--job", UNKNOWN_JOB], f"no job with id {UNKNOWN_JOB}"),
        (lambda tmp: ["export", "--job", UNKNOWN_JOB], f"no job with id {UNKNOWN_JOB}"),
        (
            lambda tmp: ["export", "--job", UNKNOWN_JOB, "--out", str(tmp / "out.csv")],
            f"no job with id {UNKNOWN_JOB}",
        ),
    ],
    ids=[
        "latin1",
        "binary",
        "no-url-column",
        "header-only",
        "missing-file",
        "blank-title",
        "status-unknown-job",
        "export-unknown-job",
        "export-out-unknown-job",
    ],
)
def test_bad_input_exits_non_zero_with_one_line_and_changes_nothing(
    tats, engine, session_factory, tmp_path, make_args, message
):
    seed_existing_job(session_factory)
    before = table_counts(engine)

    result = tats(*make_args(tmp_path))

    assert result.returncode != 0
    lines = stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and message in lines[0]
    assert result.stdout == b""
    assert table_counts(engine) == before
    with session_factory() as session:
        assert find_job_by_title(session, "New") is None
    assert not (tmp_path / "out.csv").exists()


def test_export_to_an_unwritable_path_is_one_clear_line(tats, session_factory, tmp_path):
    job_id = seed_existing_job(session_factory)
    result = tats("export", "--job", str(job_id), "--out", str(tmp_path / "no-dir" / "x.csv"))
    assert result.returncode != 0
    lines = stderr_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: cannot write"), lines


def test_status_counts_every_status(tats):
    report = json_output(tats("import", str(corpus_file("quoted.csv")), "--job-title", "Backend"))

    result = tats("status", "--job", str(report["job_id"]))

    assert result.returncode == 0
    status = json_output(result)
    assert set(status) == {"job_id", "total", "counts"}
    assert status["job_id"] == report["job_id"]
    assert status["total"] == report["inserted"] == 3
    assert status["counts"] == {s: (3 if s == statuses.PENDING else 0) for s in statuses.ALL}


def test_export_writes_the_evaluations_csv_to_a_file_and_to_stdout(tats, tmp_path):
    report = json_output(tats("import", str(corpus_file("formula.csv")), "--job-title", "Backend"))
    job = str(report["job_id"])
    out = tmp_path / "evaluations.csv"

    to_file = tats("export", "--job", job, "--out", str(out))
    to_stdout = tats("export", "--job", job)

    assert to_file.returncode == 0 and to_stdout.returncode == 0
    assert to_file.stdout == b""
    assert out.read_bytes() == to_stdout.stdout
    frame = pd.read_csv(
        io.BytesIO(to_stdout.stdout), dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    assert list(frame.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert len(frame) == report["inserted"] == 4
    assert list(frame["name"]) == ['\'=HYPERLINK("http://x","y")', "'+cmd", "'-2+3", "'@SUM(A1)"]
    assert set(frame["status"]) == {"pending"}
    assert set(frame["score"]) == {""}


def test_reconcile_with_the_queue_down_keeps_candidates_waiting(tats, session_factory):
    seed_existing_job(session_factory)

    result = tats("reconcile")

    assert result.returncode == 0
    report = json_output(result)
    assert (report["enqueued"], report["remaining"]) == (0, 2)
    assert "not reachable" in report["error"]
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(Candidate.enqueued_at.is_(None))) == 2


def test_migrate_reports_the_database_without_its_password(tats):
    result = tats("migrate")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("database is up to date")


def test_import_with_acceptance_tests_stores_a_new_version_each_time(
    tats, session_factory, tmp_path
):
    from tats_core.triage import acceptance

    folder = tmp_path / "acceptance"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "test_api.py").write_text("def test_api():\n    assert True\n")
    csv = str(corpus_file("url_forms.csv"))
    first = tats("import", csv, "--job-title", "Backend", "--acceptance-dir", str(folder))
    assert first.returncode == 0, first.stderr.decode()
    (folder / "tests" / "test_more.py").write_text("def test_more():\n    assert 1\n")
    second = tats("import", csv, "--job-title", "Backend", "--acceptance-dir", str(folder))
    assert second.returncode == 0, second.stderr.decode()
    job_id = json_output(second)["job_id"]
    with transaction(session_factory) as session:
        newest = acceptance.latest(session, job_id)
        assert newest is not None and newest.version == 2
        assert newest.paths == ["tests/test_api.py", "tests/test_more.py"]


@pytest.mark.parametrize("problem", ["missing", "link"])
def test_bad_acceptance_tests_are_one_line_and_store_nothing(
    tats, session_factory, tmp_path, problem
):
    folder = tmp_path / "acceptance"
    if problem == "link":
        folder.mkdir()
        (folder / "leak.py").symlink_to("/etc/passwd")
    result = tats(
        "import", str(corpus_file("url_forms.csv")), "--job-title", "Backend",
        "--acceptance-dir", str(folder),
    )  # fmt: skip
    assert result.returncode != 0
    lines = stderr_lines(result)
    assert len(lines) == 1 and ("does not exist" in lines[0] or "links" in lines[0])
    with transaction(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 0
        assert find_job_by_title(session, "Backend") is None


@pytest.mark.parametrize(("export", "inserted", "invalid_rows"), [
    ("greenhouse_export.csv", 3, [5, 6, 7]),
    ("lever_export.csv", 3, [4]),
])  # fmt: skip
def test_import_takes_an_ats_export_as_it_is(tats, session_factory, export, inserted, invalid_rows):
    result = tats("import", str(corpus_file(export)), "--job-title", "From the ATS")

    assert result.returncode == 0, result.stderr.decode()
    report = json_output(result)
    assert set(report) == REPORT_KEYS
    assert report["inserted"] == inserted
    assert [p["row"] for p in report["invalid"]] == invalid_rows
    with session_factory() as session:
        names = session.scalars(select(Candidate.name).order_by(Candidate.id)).all()
    assert names[:2] == ["Ada Lovelace", "Alan Turing"]  # first and last name, or the full name
