"""A job's candidates through the real worker with their tests run in the sandbox (issue #17):
the GitHub replay serves two submissions of one assignment (a working one and its twin with
three bugs a skimming reader would not see), the job carries the employer's acceptance tests,
and each delivery downloads the archive, runs both sets of tests in bubblewrap, and records the
results: stored with the evaluation, in the export's columns, and in the verdict."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import select

from tats_core import statuses
from tats_core.github.client import GitHubClient
from tats_core.judging.heuristic import HeuristicAnalyzer
from tats_core.metrics import PrometheusTelemetry
from tats_core.processing.judgement import Judges
from tats_core.processing.test_runs import TestRuns
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation
from tats_core.triage import acceptance
from tats_core.triage.export import evaluations_csv
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job, set_run_tests
from tats_dev.github_replay import create_app as create_replay
from tats_dev.replay_build import write_repo
from tests import testrun_fixtures
from tests.servers import serve
from tests.test_testrun_submissions import BUGGY_WORDS, WORDS_ACCEPTANCE
from tests.testrun_fixtures import submission_files
from tests.worker_fixtures import running_worker

sandbox_base = testrun_fixtures.sandbox_base  # fixtures
loopback_server = testrun_fixtures.loopback_server
pytestmark = pytest.mark.slow  # installs from PyPI and runs two sandboxes per candidate

HISTORY = [
    "Start the words package",
    "Count words",
    "Title case with apostrophes",
    "Top words, ties in order",
    "Tests for counting",
    "README: how to run",
    "Tests for title case",
    "Handle empty text",
    "Casefold before counting",
]


@pytest.fixture
def github(tmp_path: Path):
    repos = tmp_path / "repos"
    write_repo(repos, "acme/words", submission_files("python_words"), commits=HISTORY)
    broken = submission_files("python_words", {"words/__init__.py": BUGGY_WORDS})
    write_repo(repos, "acme/words-twin", broken, commits=HISTORY)
    write_repo(repos, "acme/notes", {"README.md": b"# Notes\n\nJust notes, no code.\n"})
    with serve(create_replay(repos)) as url:
        yield url


def seed(session_factory, *, with_acceptance: bool = True) -> tuple[int, dict[str, int]]:
    rows = "\n".join(
        f"{name},https://github.com/acme/{name}" for name in ("words", "words-twin", "notes")
    )
    with transaction(session_factory) as session:
        job = create_job(session, "Words", "A small Python library that counts words, with tests.")
        apply_ingest(session, job.id, plan_ingest(session, job.id, f"name,url\n{rows}\n".encode()))
        if with_acceptance:
            acceptance.attach(session, job.id, WORDS_ACCEPTANCE, actor="employer")
        ids = {c.name: c.id for c in session.scalars(select(Candidate))}
        return job.id, ids


def evaluation(session_factory, cid: int) -> Evaluation:
    with transaction(session_factory) as session:
        return session.scalars(select(Evaluation).where(Evaluation.candidate_id == cid)).one()


def test_tests_run_in_the_sandbox_decide_between_a_working_submission_and_its_broken_twin(
    database_url, session_factory, github, sandbox_base
):
    telemetry = PrometheusTelemetry()
    runs = TestRuns(sandbox_base, telemetry=telemetry)
    judges = Judges(GitHubClient(github), HeuristicAnalyzer(), runs)
    job_id, ids = seed(session_factory)
    with running_worker(database_url, session_factory, judges) as worker:
        for cid in ids.values():
            assert worker.deliver({"candidateId": cid}).json()["outcome"] == "processed"
    # The metrics count the two runs that happened (the notes had nothing to run).
    metrics = telemetry.exposition().decode()
    assert 'tats_test_runs_total{status="passed"} 1.0' in metrics
    assert 'tats_test_runs_total{status="failed"} 1.0' in metrics
    assert "tats_test_run_seconds_count 2.0" in metrics

    working = evaluation(session_factory, ids["words"])
    assert (working.tests_status, working.acceptance_status) == ("passed", "passed")
    assert working.acceptance_version == 1
    assert working.tests["tests"]["passed"] == 4 and "output" not in working.tests["tests"]
    assert "more-itertools" in (working.tests_output or "")  # the install's output is kept

    twin = evaluation(session_factory, ids["words-twin"])
    assert (twin.tests_status, twin.acceptance_status) == ("failed", "failed")
    assert working.status == statuses.LOOKS_FINE, working.concerns
    assert twin.status != statuses.LOOKS_FINE
    [own] = [c for c in twin.concerns if "own tests fail" in c]
    assert "3 of 4" in own and "tests/test_words.py:" in own
    assert any("acceptance tests fail" in c for c in twin.concerns)
    assert working.score > twin.score, (working.status, working.concerns)

    notes = evaluation(session_factory, ids["notes"])  # nothing to run: no download, no slot
    assert notes.tests_status == "not_run" and "no project" in notes.tests["tests"]["note"]

    with transaction(session_factory) as session:
        exported = pd.read_csv(io.BytesIO(evaluations_csv(session, job_id)))
    row = exported.set_index("name").loc["words-twin"]
    assert (row["tests_status"], row["tests_passed"], row["tests_failed"]) == ("failed", 1, 3)
    assert (row["acceptance_status"], row["acceptance_failed"]) == ("failed", 2)
    assert row["tests_note"].startswith("3 of 4 tests failed")


def test_the_jobs_switch_turns_tests_off(database_url, session_factory, github, sandbox_base):
    judges = Judges(GitHubClient(github), HeuristicAnalyzer(), TestRuns(sandbox_base))
    job_id, ids = seed(session_factory, with_acceptance=False)
    with transaction(session_factory) as session:
        set_run_tests(session, job_id, False)
    with running_worker(database_url, session_factory, judges) as worker:
        worker.deliver({"candidateId": ids["words"]})
    stored = evaluation(session_factory, ids["words"])
    assert stored.tests_status == "not_run"
    assert stored.tests["tests"]["note"] == "tests are turned off for this job"
    assert stored.acceptance_status is None


def test_a_hostile_submission_through_the_worker_is_contained(
    database_url, session_factory, tmp_path, sandbox_base, loopback_server, monkeypatch
):
    """A submission whose tests try every way out (network, loopback included, writes outside,
    the environment, detached processes), judged by the real worker while TATS's secrets sit in
    its environment: the candidate ends in a final status, the worker stays healthy, nothing of
    the run is stored beyond its kept output, and no secret appears in anything stored."""
    from tests.test_testrun_hostile import _hostile_config

    url, seen = loopback_server
    secret = "tats-worker-secret-4e2a9f"
    for name in ("GITHUB_TOKEN", "COHERE_API_KEY", "QSTASH_TOKEN"):
        monkeypatch.setenv(name, secret)
    mark = "61" + str(abs(hash(secret)))[:6]
    files = submission_files(
        "python_hostile", {"hostile.json": _hostile_config(url, sandbox_base, mark)}
    )
    repos = tmp_path / "repos"
    write_repo(repos, "acme/hostile", files, commits=HISTORY)
    with serve(create_replay(repos)) as github:
        judges = Judges(GitHubClient(github), HeuristicAnalyzer(), TestRuns(sandbox_base))
        with transaction(session_factory) as session:
            job = create_job(session, "Hostile", "Python.")
            csv = b"name,url\nMallory,https://github.com/acme/hostile\n"
            apply_ingest(session, job.id, plan_ingest(session, job.id, csv))
            [cid] = session.scalars(select(Candidate.id))
        with running_worker(database_url, session_factory, judges) as worker:
            answer = worker.deliver({"candidateId": cid})
            health = httpx.get(worker.url + "/healthz")
    assert answer.json()["outcome"] == "processed"
    assert health.json() == {"status": "ok"}
    stored = evaluation(session_factory, cid)
    assert stored.status in statuses.DECISIONS
    assert stored.tests_status == "passed", stored.tests  # every way out was shut
    assert seen == []  # the loopback server heard nothing
    assert testrun_fixtures.processes_marked(mark) == []
    with transaction(session_factory) as session:
        everything = json.dumps(
            [
                {c.name: str(getattr(row, c.name)) for c in row.__table__.columns}
                for model in (Evaluation, Candidate)
                for row in session.scalars(select(model))
            ]
        )
    assert secret not in everything
