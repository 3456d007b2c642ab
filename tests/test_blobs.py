"""Reading a code sample's text against the replay on loopback: raw and GraphQL, the blob cache
on SQLite and PostgreSQL, and every file that cannot be read skipped with its reason."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from pathlib import Path

import httpx
import pytest

from tats_core.github.blob_cache import DbBlobCache, MemoryBlobCache
from tats_core.github.client import GitHubClient
from tats_core.judging.analysis import Analysis, AnalysisResult, JobBrief
from tats_core.processing.claims import Work
from tats_core.processing.judgement import Judges, judge
from tats_core.repo.sample import CodeSample, Why
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.retry import Backoff
from tats_dev.github_replay import ReplayApp, create_app
from tats_dev.replay_blobs import add_blobs, git_blob_sha
from tests.servers import serve

REPOS = Path(__file__).parent / "github_repos"
STRONG = REPOS / "acme__strong-api"
TOKEN = "ghp_test_secret_value_1234"
QUICK = Backoff(tries=3, base=0.01, max_wait=0.1)  # the product's policy, without the waiting


@pytest.fixture
def repos(tmp_path: Path) -> Path:
    """The test repositories, plus ``acme/strong-api-copy``: another candidate's submission
    with the very same files (so the same blob shas)."""
    root = tmp_path / "repos"
    shutil.copytree(REPOS, root)
    copy = root / "acme__strong-api-copy"
    shutil.copytree(STRONG, copy)
    repo = json.loads((copy / "repo.json").read_text())
    repo.update(full_name="acme/strong-api-copy", name="strong-api-copy", id=987654)
    (copy / "repo.json").write_text(json.dumps(repo))
    return root


@pytest.fixture
def replay(repos: Path) -> ReplayApp:
    return create_app(repos, token=TOKEN)


@pytest.fixture
def url(replay: ReplayApp):
    with serve(replay) as base:
        yield base


def read(url: str, *names: str, token: str | None = None, **kwargs) -> list[CodeSample]:
    async def run() -> list[CodeSample]:
        async with GitHubClient(url, token, **kwargs) as github:
            samples = []
            for name in names:
                snap = await github.snapshot(name)
                samples.append(await github.read_sample(snap))
            return samples

    return asyncio.run(run())


def source(path: str) -> str:
    sha = next(e["sha"] for e in json.loads((STRONG / "tree.json").read_text())["tree"]
               if e["path"] == path)  # fmt: skip
    return (STRONG / "blobs" / sha).read_text()


def test_raw_reading_fetches_the_chosen_files_without_api_requests(url, replay):
    (sample,) = read(url, "acme/strong-api")
    by_path = {f.path: f for f in sample.files}
    assert by_path["todo/app.py"].text == source("todo/app.py")
    assert by_path["todo/app.py"].why is Why.ENTRY_POINT
    assert by_path["tests/test_api.py"].is_test
    assert {"todo/repository.py", "pyproject.toml", ".github/workflows/test.yml"} <= set(by_path)
    assert sample.skipped == []
    assert sample.left_out == {"docs, data or assets": 2, "empty": 1}  # README, .gitignore
    assert sample.summary().startswith(f"read {len(sample.files)} of 12 files")
    # One raw download per file, at the snapshot's commit, none against the API limit.
    raw = [path for _, path, _ in replay.log if path.startswith("/raw/")]
    assert len(raw) == sample.files_downloaded == len(sample.files)
    head = json.loads((STRONG / "commits.json").read_text())[0]["sha"]
    assert all(p.startswith(f"/raw/acme/strong-api/{head}/") for p in raw)
    assert sample.api_requests == 0


def test_graphql_reads_every_file_in_one_query_with_a_token(url, replay):
    (rest,) = read(url, "acme/strong-api")
    replay.clear_log()
    (gql,) = read(url, "acme/strong-api", token=TOKEN)
    assert [(f.path, f.text) for f in gql.files] == [(f.path, f.text) for f in rest.files]
    assert gql.files_downloaded == 0 and replay.downloads() == 0
    assert gql.api_requests == 1
    # the snapshot query, the tree, the README/manifests are read by the snapshot; + 1 blob query
    assert replay.requests_to("/graphql") == 2


def test_a_failing_graphql_blob_query_falls_back_to_raw(url, replay):
    async def run() -> CodeSample:
        async with GitHubClient(url, TOKEN) as github:
            snap = await github.snapshot("acme/strong-api")
            replay.fail_next(502, path_contains="/graphql")
            return await github.read_sample(snap)

    sample = asyncio.run(run())
    assert sample.skipped == [] and len(sample.files) >= 8
    assert sample.api_requests == 1 and sample.files_downloaded == len(sample.files)


def test_cache_by_blob_sha_reads_each_file_once_across_candidates_jobs_and_reruns(
    url, replay, session_factory
):
    cache = DbBlobCache(session_factory)
    first, copy = read(url, "acme/strong-api", "acme/strong-api-copy", blob_cache=cache)
    assert first.files_downloaded == len(first.files) > 5
    assert copy.files_downloaded == 0 and copy.api_requests == 0  # same shas: nothing to read
    assert [(f.path, f.text) for f in copy.files] == [(f.path, f.text) for f in first.files]
    # A second job, a re-run, another worker process: a new client over the same database.
    replay.clear_log()
    rerun, rerun_token = read(
        url, "acme/strong-api", blob_cache=DbBlobCache(session_factory)
    ) + read(url, "acme/strong-api-copy", token=TOKEN, blob_cache=DbBlobCache(session_factory))
    assert rerun.files_downloaded == rerun_token.files_downloaded == 0
    assert rerun_token.api_requests == 0
    assert replay.downloads() == 0
    assert [f.text for f in rerun.files] == [f.text for f in first.files]


def broken_repo(repos: Path) -> None:
    """strong-api with a binary file, a file bigger than its tree says, and one whose blob the
    server does not have."""
    directory = repos / "acme__strong-api"
    add_blobs(directory, {
        "todo/logo.py": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)),
        "todo/fixtures.py": b"DATA = [\n" + b"    'x' * 80,\n" * 12_000 + b"]\n",
    })  # fmt: skip
    tree = json.loads((directory / "tree.json").read_text())
    for entry in tree["tree"]:
        if entry["path"] == "todo/fixtures.py":
            entry["size"] = 3_000  # the listing is stale; the bytes are not
    tree["tree"].append({"path": "todo/lost.py", "mode": "100644", "type": "blob",
                         "sha": git_blob_sha(b"lost"), "size": 2_000})  # fmt: skip
    (directory / "tree.json").write_text(json.dumps(tree))


@pytest.mark.parametrize("token", [None, TOKEN], ids=["raw", "graphql"])
def test_unreadable_files_are_skipped_with_their_reason(repos, url, token):
    broken_repo(repos)
    cache = MemoryBlobCache()
    (sample,) = read(url, "acme/strong-api", token=token, blob_cache=cache)
    skipped = {s.path: s.reason for s in sample.skipped}
    assert skipped == {
        "todo/logo.py": "binary",
        "todo/fixtures.py": "too large",
        "todo/lost.py": "not found",
    }
    assert "todo/app.py" in {f.path for f in sample.files}
    assert sample.summary().endswith("; 3 unreadable")
    # What reading again would not change is remembered; a missing file is not.
    remembered = {c.skipped for c in cache.entries.values() if c.text is None}
    assert remembered == {"binary", "too large"}


def test_rate_limited_raw_reads_back_off_a_bounded_time_then_skip(url, replay):
    replay.fail_next(429, times=1000, path_contains="/raw/")
    (sample,) = read(url, "acme/strong-api", blob_backoff=QUICK)
    assert sample.files == []
    assert {s.reason for s in sample.skipped} == {"rate limited"}
    assert len(sample.skipped) >= 8
    # each file tries at most three times, and once one gives up the others stop waiting
    assert replay.downloads() <= 3 * len(sample.skipped)


def test_a_rate_limit_that_lifts_during_the_backoff_costs_nothing(url, replay):
    replay.fail_next(429, times=2, path_contains="/raw/")
    (sample,) = read(url, "acme/strong-api", blob_backoff=QUICK)
    assert sample.skipped == [] and len(sample.files) >= 8


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.seen: RepoSnapshot | None = None

    async def analyze(self, snapshot, signals, job) -> AnalysisResult:
        self.seen = snapshot
        return AnalysisResult(
            Analysis(decision="needs_review", score=50, summary="ok"), "heuristic"
        )


def test_the_judge_step_hands_the_sample_on_and_unreadable_code_never_fails_a_candidate(
    repos, url, replay
):
    broken_repo(repos)
    replay.fail_next(404, times=1000, path_contains="/raw/")
    recorder = Recorder()

    async def run():
        async with GitHubClient(url, blob_backoff=Backoff(tries=2, base=0.01)) as github:
            work = Work(1, 1, None, "acme/strong-api", None, None, JobBrief("API"))  # type: ignore[arg-type]
            return await judge(Judges(github, recorder), work)

    judgement = asyncio.run(run())
    assert judgement.result.analysis.decision == "needs_review"
    assert recorder.seen is not None and recorder.seen.commit_sha == judgement.commit_sha
    sample = recorder.seen.sample
    assert sample.files == [] and {s.reason for s in sample.skipped} == {"not found"}
    assert sample.total_files == 15


def test_a_subdirectory_submission_reads_only_its_files_at_their_full_paths(url, replay):
    async def run() -> CodeSample:
        async with GitHubClient(url) as github:
            return await github.read_sample(
                await github.snapshot("acme/monorepo", path="services/api")
            )

    sample = asyncio.run(run())
    raw = [path for _, path, _ in replay.log if path.startswith("/raw/")]
    assert raw and all("/services/api/" in p for p in raw)
    assert {s.path for s in sample.skipped} | {f.path for f in sample.files} >= {
        "app/main.py",
        "tests/test_orders.py",
    }


def test_the_replay_serves_file_text_three_ways_and_raw_costs_no_api_budget(url, replay):
    tree = json.loads((STRONG / "tree.json").read_text())["tree"]
    sha = next(e["sha"] for e in tree if e["path"] == "todo/app.py")
    head = json.loads((STRONG / "commits.json").read_text())[0]["sha"]
    text = source("todo/app.py")
    before = replay.remaining
    raw = httpx.get(f"{url}/raw/acme/strong-api/{head}/todo/app.py")
    assert raw.status_code == 200 and raw.text == text
    assert replay.remaining == before and replay.downloads() == 1
    assert httpx.get(f"{url}/raw/acme/strong-api/{head}/todo/nope.py").status_code == 404
    blob = httpx.get(f"{url}/repos/acme/strong-api/git/blobs/{sha}").json()
    assert base64.b64decode(blob["content"]).decode() == text and blob["size"] == len(text)
    contents = httpx.get(
        f"{url}/repos/acme/strong-api/contents/todo/app.py",
        params={"ref": head},
        headers={"Accept": "application/vnd.github.raw+json"},
    )
    assert contents.text == text
    assert replay.remaining == before - 2
