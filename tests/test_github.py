"""GitHubClient against the replay server on loopback: what a snapshot holds, what it costs,
and how every failure GitHub can answer is classified."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tats_core.errors import ConfigurationError, GitHubError
from tats_core.github.cache import DbHttpCache, MemoryHttpCache
from tats_core.github.client import GitHubClient
from tats_core.repo.snapshot import RepoSnapshot
from tests import replay_fixtures
from tests.replay_fixtures import REPOS, TOKEN

replay, url = replay_fixtures.replay, replay_fixtures.url


def snap(url: str, name: str, *, token: str | None = None, **kwargs) -> RepoSnapshot:
    ref, path = kwargs.pop("ref", None), kwargs.pop("path", None)

    async def run() -> RepoSnapshot:
        async with GitHubClient(url, token, **kwargs) as github:
            return await github.snapshot(name, ref, path)

    return asyncio.run(run())


def fails(url: str, name: str, **kwargs) -> GitHubError:
    with pytest.raises(GitHubError) as info:
        snap(url, name, **kwargs)
    return info.value


def test_rest_snapshot_holds_the_repository_and_counts_its_requests(url, replay):
    s = snap(url, "acme/strong-api")
    assert (s.full_name, s.default_branch, s.ref) == ("acme/strong-api", "main", "main")
    assert s.commit_count == 18 and len(s.commits) == 18 and s.commit_count_exact
    assert s.commits[0].message == "Document design decisions"  # newest first
    assert s.head_sha == s.commits[0].sha
    assert "tests/test_api.py" in {e.path for e in s.tree}
    assert s.readme is not None and "## Setup" in s.readme and s.readme_path == "README.md"
    assert s.manifests == {
        "pyproject.toml": (REPOS / "acme__strong-api/contents/pyproject.toml").read_text()
    }
    assert s.languages == {"Python": 19600}
    # repo, languages, commits, tree, README, pyproject.toml: no request for absent files
    assert s.requests_made == len(replay.log) == 6
    assert all(status == 200 for _, _, status in replay.log)
    assert any("per_page=100" in path for _, path, _ in replay.log)


def test_more_than_100_commits_are_counted_from_the_last_page(url, replay):
    s = snap(url, "acme/big-history")
    assert s.commit_count == 250 and s.commit_count_exact
    assert len(s.commits) == 100
    assert replay.requests_to("page=3") == 1 and replay.requests_to("page=2") == 0


def test_renamed_repository_follows_the_301_and_keeps_the_canonical_name(url, replay):
    s = snap(url, "acme/old-name")
    assert s.full_name == "acme/strong-api"
    assert s.commit_count == 18
    assert replay.log[0][2] == 301 and replay.log[1][1].startswith("/repositories/")
    assert s.requests_made == len(replay.log)  # the redirect is a request too


@pytest.mark.parametrize("token", [None, TOKEN], ids=["rest", "graphql"])
def test_rerun_with_the_etag_cache_costs_only_304s(url, replay, token):
    cache = MemoryHttpCache()
    first = snap(url, "acme/big-history", token=token, cache=cache)
    replay.clear_log()
    second = snap(url, "acme/big-history", token=token, cache=cache)
    gets = [status for method, _, status in replay.log if method == "GET"]
    assert gets and all(status == 304 for status in gets)
    assert second.requests_made == first.requests_made == len(replay.log)
    assert (second.commit_count, second.tree, second.readme) == (
        first.commit_count,
        first.tree,
        first.readme,
    )


def test_database_cache_serves_304s_across_clients(url, replay, session_factory):
    first = snap(url, "acme/big-history", cache=DbHttpCache(session_factory))
    replay.clear_log()
    second = snap(url, "acme/big-history", cache=DbHttpCache(session_factory))
    assert [status for _, _, status in replay.log] == [304] * first.requests_made
    assert second.commit_count == 250  # the Link header survived in the cache
    assert second.manifests == first.manifests and second.readme == first.readme


def test_missing_repository_is_a_permanent_failure(url):
    error = fails(url, "acme/no-such-repo")
    assert not error.transient
    assert "not found or private" in str(error)


def test_empty_repository_is_a_snapshot_not_an_error(url):
    s = snap(url, "acme/empty-repo")
    assert s.empty and s.commit_count == 0 and s.tree == []


@pytest.mark.parametrize(
    ("status", "words"),
    [(451, "legal"), (410, "gone"), (403, "blocked")],
)
def test_blocked_or_taken_down_repositories_are_permanent(url, replay, status, words):
    replay.fail_next(status)
    error = fails(url, "acme/strong-api")
    assert not error.transient and words in str(error)


def test_exhausted_rate_limit_is_transient_with_the_wait_until_reset(url, replay):
    replay.set_rate_limit(remaining=0, reset=1_000_120)
    error = fails(url, "acme/strong-api", now=lambda: 1_000_000.0)
    assert error.transient and error.retry_after == pytest.approx(120)
    assert "rate limit" in str(error)


def test_secondary_rate_limit_waits_for_retry_after(url, replay):
    replay.fail_next(429, headers={"retry-after": "30"})
    error = fails(url, "acme/strong-api")
    assert error.transient and error.retry_after == 30


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(url, replay, status):
    replay.fail_next(status, times=3, path_contains="/languages")  # every try the client makes
    error = fails(url, "acme/strong-api")
    assert error.transient and str(status) in str(error)


def test_a_bad_gateway_and_a_secondary_rate_limit_are_retried_by_the_client(url, replay):
    replay.fail_next(502, path_contains="/languages")
    replay.fail_next(
        403,
        headers={"retry-after": "1"},
        path_contains="/commits",
    )
    snapshot = snap(url, "acme/strong-api")
    assert snapshot.commit_count == 18


def test_an_answer_slower_than_the_timeout_is_transient(url, replay):
    replay.set_latency(1.0)
    error = fails(url, "acme/strong-api", timeout=0.2)
    assert error.transient and "did not answer" in str(error)


def test_an_unreachable_github_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the client connects
    error = fails(f"http://127.0.0.1:{port}", "acme/strong-api")
    assert error.transient


@pytest.mark.parametrize("token", [None, TOKEN], ids=["rest", "graphql"])
def test_truncated_tree_is_flagged_and_the_readme_is_still_found(url, replay, token):
    s = snap(url, "acme/huge-tree", token=token)
    assert s.tree_truncated
    assert s.readme is not None and "cargo run" in s.readme
    # The tree did not list it: REST asks for GitHub's pick, GraphQL already asked by name.
    assert replay.requests_to("/readme") == (1 if token is None else 0)


@pytest.mark.parametrize("token", [None, TOKEN], ids=["rest", "graphql"])
def test_subdirectory_submission_sees_only_its_directory(url, replay, token):
    s = snap(url, "acme/monorepo", ref="main", path="services/api", token=token)
    paths = {e.path for e in s.tree}
    assert "app/main.py" in paths and "tests/test_orders.py" in paths
    assert not any(p.startswith(("web", "services/")) for p in paths)
    assert s.readme is not None and s.readme.startswith("# Orders API")
    assert s.manifests == {"requirements.txt": "flask==3.0.0\n"}
    assert s.commit_count == 8  # only the commits touching services/api
    if token is None:
        assert replay.requests_to("path=services%2Fapi") == 1


def test_unknown_path_or_ref_is_permanent(url):
    assert "not found" in str(fails(url, "acme/monorepo", ref="main", path="nope"))
    error = fails(url, "acme/strong-api", ref="no-such-branch")
    assert not error.transient and "no-such-branch" in str(error)


@pytest.mark.parametrize("token", [None, TOKEN], ids=["rest", "graphql"])
def test_work_on_another_branch_is_found_when_the_default_is_thin(url, token):
    s = snap(url, "acme/branch-work", token=token)
    assert s.ref == "dev" and s.default_branch == "main"
    assert s.branch_note and "'dev'" in s.branch_note
    assert s.commit_count == 6 and "src/routes.js" in {e.path for e in s.tree}
    assert s.readme is not None and "npm start" in s.readme


def test_an_explicit_ref_is_taken_as_given(url, replay):
    s = snap(url, "acme/branch-work", ref="main")
    assert s.ref == "main" and s.commit_count == 1 and s.branch_note is None
    assert replay.requests_to("/branches") == 0


def test_graphql_snapshot_costs_two_requests_and_matches_rest(url, replay):
    rest = snap(url, "acme/strong-api")
    replay.clear_log()
    gql = snap(url, "acme/strong-api", token=TOKEN)
    assert [(m, p.split("?")[0]) for m, p, _ in replay.log] == [
        ("POST", "/graphql"),
        ("GET", f"/repos/acme/strong-api/git/trees/{rest.head_sha}"),
    ]
    assert gql.requests_made == 2
    for field in ("full_name", "commit_count", "head_sha", "tree", "readme", "manifests",
                  "languages", "readme_path", "created_at", "pushed_at"):  # fmt: skip
        assert getattr(gql, field) == getattr(rest, field), field
    assert [c.sha for c in gql.commits] == [c.sha for c in rest.commits]


def test_graphql_follows_renames_and_reports_missing_repositories(url):
    assert snap(url, "acme/old-name", token=TOKEN).full_name == "acme/strong-api"
    error = fails(url, "acme/no-such-repo", token=TOKEN)
    assert not error.transient and "not found or private" in str(error)


def test_graphql_rate_limit_is_transient(url, replay):
    replay.set_rate_limit(remaining=0, reset=2_000_060)
    error = fails(url, "acme/strong-api", token=TOKEN, now=lambda: 2_000_000.0)
    assert error.transient and error.retry_after == pytest.approx(60)


def test_a_rejected_token_is_a_configuration_error_that_never_shows_the_token(url):
    wrong = "ghp_wrong_token_value_5678"
    for graphql in (True, False):
        with pytest.raises(ConfigurationError) as info:
            snap(url, "acme/strong-api", token=wrong, use_graphql=graphql)
        assert "401" in str(info.value) and wrong not in str(info.value)


def test_errors_never_quote_the_token(url, replay):
    for status in (404, 451, 503):
        replay.fail_next(status)
        assert TOKEN not in str(fails(url, "acme/strong-api", token=TOKEN))


def test_rate_limit_reports_the_remaining_quota(url, replay):
    replay.set_rate_limit(remaining=42, reset=1_900_000_000, limit=60)

    async def run():
        async with GitHubClient(url) as github:
            return await github.rate_limit()

    quota = asyncio.run(run())
    assert (quota.limit, quota.remaining) == (60, 42)
    assert int(quota.reset.timestamp()) == 1_900_000_000


def test_one_client_serves_successive_event_loops(url):
    """The CLI and Streamlit call ``asyncio.run`` per action with one long-lived client."""
    github = GitHubClient(url)
    counts = [asyncio.run(github.snapshot("acme/strong-api")).commit_count for _ in range(2)]
    assert counts == [18, 18]
