"""The GitHub quota, asked through the one HTTP client against the replay on loopback: what it
reads, what it sends, and how its failures are classified (the UI decides what to show)."""

from __future__ import annotations

import asyncio

import pytest

from tats_core.errors import ConfigurationError, GitHubError
from tats_core.github.client import GitHubClient
from tats_core.github.quota import candidates_within, github_quota, requests_needed
from tats_core.settings import load_settings
from tats_dev.github_replay import ReplayApp, create_app
from tests import replay_fixtures
from tests.replay_fixtures import REPOS, TOKEN
from tests.servers import free_port

url = replay_fixtures.url


@pytest.fixture
def replay() -> ReplayApp:
    app = create_app(REPOS, token=TOKEN)
    app.set_rate_limit(remaining=4_321, reset=1_900_000_000, limit=5_000)
    return app


def test_the_quota_reads_the_core_limit_with_the_token(url, replay):
    quota = github_quota(load_settings(GITHUB_API_URL=url, GITHUB_TOKEN=TOKEN))
    assert (quota.limit, quota.remaining) == (5_000, 4_321)
    assert int(quota.reset.timestamp()) == 1_900_000_000
    assert candidates_within(quota) == 4_321 // 6
    assert requests_needed(100) == 600
    assert replay.log == [("GET", "/rate_limit", 200)]


def test_the_client_and_the_sidebar_read_the_quota_alike(url):
    async def ask():
        async with GitHubClient(url) as github:
            return await github.rate_limit()

    assert asyncio.run(ask()) == github_quota(load_settings(GITHUB_API_URL=url))


def test_a_rejected_token_is_a_configuration_error_that_never_shows_it(url):
    wrong = "ghp_wrong_token_value_5678"
    with pytest.raises(ConfigurationError) as info:
        github_quota(load_settings(GITHUB_API_URL=url, GITHUB_TOKEN=wrong))
    assert "401" in str(info.value) and wrong not in str(info.value)


def test_an_unreachable_github_is_a_transient_github_error():
    with pytest.raises(GitHubError) as info:
        github_quota(load_settings(GITHUB_API_URL=f"http://127.0.0.1:{free_port()}"))
    assert info.value.transient


def test_a_server_error_is_transient_and_asked_once(url, replay):
    replay.fail_next(503, times=5)
    with pytest.raises(GitHubError) as info:
        github_quota(load_settings(GITHUB_API_URL=url))
    assert info.value.transient and "503" in str(info.value)
    assert len(replay.log) == 1  # a sidebar does not wait for retries


def test_a_slow_github_is_transient_within_the_timeout(url, replay):
    replay.set_latency(0.5)
    with pytest.raises(GitHubError) as info:
        github_quota(load_settings(GITHUB_API_URL=url), timeout=0.2)
    assert info.value.transient and "did not answer" in str(info.value)
