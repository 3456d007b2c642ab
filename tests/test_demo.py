"""The offline demo: its synthetic repositories, CSV, idempotent loading, and the spread of
outcomes it shows when judged through the GitHub replay."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from tats_core.errors import GitHubError
from tats_core.github.client import GitHubClient
from tats_core.judging.analysis import INJECTION_FLAG, JobBrief
from tats_core.judging.heuristic import HeuristicAnalyzer
from tats_core.processing.claims import Work
from tats_core.processing.judgement import Judgement, Judges, judge
from tats_core.processing.queue import CandidateQueue
from tats_core.processing.test_runs import TestRuns
from tats_core.repo.sample import CodeSample
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Job
from tats_core.triage.csv_sample import sample_csv
from tats_core.triage.ingest import plan_ingest
from tats_dev.demo import (
    DEMO_CANDIDATES,
    DEMO_JOB_DESCRIPTION,
    DEMO_JOB_TITLE,
    DEMO_OWNER,
    DEMO_RUBRIC,
    MISSING_REPO,
    demo_csv,
    demo_repo_names,
    demo_repos_dir,
    load_demo,
)
from tats_dev.github_replay import create_app
from tests import testrun_fixtures
from tests.servers import serve

FIXTURE_FILES = {"repo.json", "languages.json", "commits.json", "branches.json"}


def test_every_demo_repository_is_a_candidate_and_one_candidate_points_nowhere():
    in_csv = {repo for repo, _name, _email in DEMO_CANDIDATES}
    on_disk = set(demo_repo_names())
    assert in_csv - on_disk == {MISSING_REPO}
    assert on_disk <= in_csv
    assert {"todo-api", "empty-submission", "nextjs-starter", "todo-quick"} <= on_disk


@pytest.mark.parametrize("name", demo_repo_names())
def test_demo_repositories_are_in_the_fixtures_format(name):
    directory = demo_repos_dir() / f"{DEMO_OWNER}__{name}"
    assert {p.name for p in directory.iterdir()} >= FIXTURE_FILES
    repo = json.loads((directory / "repo.json").read_text())
    assert repo["full_name"] == f"{DEMO_OWNER}/{name}"
    commits = json.loads((directory / "commits.json").read_text())
    if name == "empty-submission":
        assert commits == []
        return
    dates = [c["commit"]["author"]["date"] for c in commits]
    assert dates == sorted(dates, reverse=True)  # newest first, as GitHub lists them
    tree = json.loads((directory / "tree.json").read_text())
    assert {"README.md"} <= {e["path"] for e in tree["tree"]}


def test_the_demo_and_sample_csvs_are_valid_uploads(session_factory):
    with transaction(session_factory) as session:
        job = Job(title="CSV check")
        session.add(job)
        session.flush()
        demo = plan_ingest(session, job.id, demo_csv())
        sample = plan_ingest(session, job.id, sample_csv())
    assert (len(demo.rows), demo.invalid, demo.duplicates) == (len(DEMO_CANDIDATES), [], [])
    assert {r.repo_full_name for r in demo.rows} == {
        f"{DEMO_OWNER}/{repo}" for repo, _n, _e in DEMO_CANDIDATES
    }
    assert (len(sample.rows), sample.invalid) == (3, [])


def test_load_demo_is_idempotent(session_factory, settings_with_queue_down):
    queue = CandidateQueue.from_settings(settings_with_queue_down)
    first = load_demo(session_factory, queue)
    second = load_demo(session_factory, queue)
    assert (first.ingest.inserted, second.ingest.inserted) == (len(DEMO_CANDIDATES), 0)
    assert first.enqueue.error and first.enqueue.remaining == len(DEMO_CANDIDATES)
    with transaction(session_factory) as session:
        jobs = session.scalars(select(Job)).all()
        candidates = session.scalar(select(func.count()).select_from(Candidate))
    assert first.job_id == second.job_id
    assert [j.title for j in jobs] == [DEMO_JOB_TITLE]
    assert jobs[0].rubric == DEMO_RUBRIC
    assert candidates == len(DEMO_CANDIDATES)


sandbox_base = testrun_fixtures.sandbox_base  # fixture


def test_the_replay_serves_the_demo_repositories():
    with serve(create_app(demo_repos_dir())) as github:
        assert httpx.get(f"{github}/repos/{DEMO_OWNER}/todo-api").status_code == 200
        assert httpx.get(f"{github}/repos/{DEMO_OWNER}/{MISSING_REPO}").status_code == 404
        empty = httpx.get(f"{github}/repos/{DEMO_OWNER}/empty-submission/commits")
        assert empty.status_code == 409  # GitHub's answer for a repository without commits


def test_judged_offline_the_demo_shows_every_kind_of_outcome():
    brief = JobBrief(title=DEMO_JOB_TITLE, description=DEMO_JOB_DESCRIPTION, rubric=DEMO_RUBRIC)

    async def judge_all(api: str) -> dict[str, tuple[str, list[str]]]:
        outcomes: dict[str, tuple[str, list[str]]] = {}
        async with GitHubClient(api) as github:
            judges = Judges(github, HeuristicAnalyzer())
            for repo, _name, _email in DEMO_CANDIDATES:
                work = Work(1, 1, datetime.now(UTC), f"{DEMO_OWNER}/{repo}", None, None, brief)
                try:
                    judgement = await judge(judges, work)
                except GitHubError as exc:
                    outcomes[repo] = (exc.failure_status, [])
                else:
                    outcomes[repo] = (judgement.result.analysis.decision, judgement.result.flags)
        return outcomes

    with serve(create_app(demo_repos_dir())) as github:
        outcomes = asyncio.run(judge_all(github))
    assert outcomes["todo-api"][0] == "looks_fine"
    assert outcomes["todo-service"][0] == "looks_fine"  # only running its tests shows the bugs
    assert outcomes["inventory-service"][0] == "needs_review"  # solid code, one dump commit
    assert outcomes["flask-todos"] == ("needs_review", [INJECTION_FLAG])
    assert outcomes["todo-quick"][0] == "low_effort"
    assert outcomes["nextjs-starter"][0] == "low_effort"  # an untouched scaffold
    assert outcomes["empty-submission"][0] == "low_effort"
    assert outcomes[MISSING_REPO][0] == "github_failed"


def test_the_demo_reads_real_code_from_the_replay():
    async def samples(api: str) -> dict[str, CodeSample]:
        async with GitHubClient(api) as github:  # raw text from the replay's /raw
            out = {}
            for repo in ("todo-api", "todo-quick"):
                out[repo] = await github.read_sample(await github.snapshot(f"{DEMO_OWNER}/{repo}"))
            return out

    with serve(create_app(demo_repos_dir())) as github:
        read = asyncio.run(samples(github))
    good, weak = read["todo-api"], read["todo-quick"]
    assert good.skipped == [] and len(good.files) >= 15
    assert sum(f.is_test for f in good.files) >= 4
    assert "def list_todos" in next(f.text for f in good.files if f.path == "app/routes/todos.py")
    assert {f.path for f in weak.files} == {"server.js", "package.json"}
    assert "// TODO" in next(f.text for f in weak.files if f.path == "server.js")
    assert weak.left_out["vendored"] == 20


@pytest.mark.slow
def test_with_the_sandbox_the_demo_tells_the_working_api_from_its_buggy_twin(sandbox_base):
    brief = JobBrief(title=DEMO_JOB_TITLE, description=DEMO_JOB_DESCRIPTION, rubric=DEMO_RUBRIC)

    async def judge_two(api: str) -> dict[str, Judgement]:
        async with GitHubClient(api) as github:
            judges = Judges(github, HeuristicAnalyzer(), TestRuns(sandbox_base))
            return {
                repo: await judge(
                    judges, Work(1, 1, datetime.now(UTC), f"{DEMO_OWNER}/{repo}", None, None, brief)
                )
                for repo in ("todo-api", "todo-service")
            }

    with serve(create_app(demo_repos_dir())) as github:
        judged = asyncio.run(judge_two(github))
    working, twin = judged["todo-api"], judged["todo-service"]
    assert working.tests is not None and working.tests["tests"]["status"] == "passed"
    assert working.result.analysis.decision == "looks_fine"
    assert twin.tests is not None and twin.tests["tests"]["status"] == "failed"
    assert twin.result.analysis.decision == "needs_review"
    assert any(
        "test_filter_by_due_before_orders_by_due_date" in c for c in twin.result.analysis.concerns
    )
