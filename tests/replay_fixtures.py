"""The GitHub replay over ``tests/github_repos``, served on loopback: the fixtures the GitHub
client's tests share (import them into a test module by name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tats_dev.github_replay import ReplayApp, create_app
from tests.servers import serve

REPOS = Path(__file__).parent / "github_repos"
TOKEN = "ghp_test_secret_value_1234"  # the replay answers 401 to any other token


@pytest.fixture
def replay() -> ReplayApp:
    return create_app(REPOS, token=TOKEN)


@pytest.fixture
def url(replay: ReplayApp) -> Iterator[str]:
    with serve(replay) as base:
        yield base
