"""The GitHub API quota as the app shows it (sidebar, upload page): read at most once a minute."""

from __future__ import annotations

import streamlit as st

from tats_core.errors import ConfigurationError, GitHubError
from tats_core.github.quota import Quota, github_quota
from tats_core.settings import Settings
from tats_ui.deps import get_deps


@st.cache_data(ttl=60, show_spinner=False)
def _quota(api_url: str, _settings: Settings) -> Quota | None:
    try:
        return github_quota(_settings)
    except (GitHubError, ConfigurationError):
        return None  # shown as "quota unknown"; a rejected token is the worker's banner


def current_quota() -> Quota | None:
    """GitHub's quota for this app's token, or None when the API does not answer."""
    settings = get_deps().settings
    return _quota(settings.github_api_url, settings)
