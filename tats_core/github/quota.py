"""GitHub API quota: how many requests remain, so the app can warn before an upload needs more.

GitHub allows 60 REST requests an hour without a token and 5,000 with one; each candidate costs
about ``REQUESTS_PER_CANDIDATE`` of them. ``GET /rate_limit`` itself is free.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import NamedTuple

import httpx

from tats_core.settings import Settings

REQUESTS_PER_CANDIDATE = 6  # measured by bench/github_requests.py: 6.2 on average without a token
LIMIT_WITHOUT_TOKEN = 60
LIMIT_WITH_TOKEN = 5_000


class Quota(NamedTuple):
    limit: int
    remaining: int
    reset: datetime  # when ``remaining`` goes back to ``limit`` (UTC)


def github_quota(settings: Settings, *, timeout: float = 3.0) -> Quota | None:
    """The core REST quota of the configured GitHub API, or None when it does not answer."""
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "tats"}
    if settings.github_token:
        headers["Authorization"] = f"Bearer {settings.github_token}"
    url = settings.github_api_url.rstrip("/") + "/rate_limit"
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
        response.raise_for_status()
        body = response.json()
        core = body.get("resources", {}).get("core") or body["rate"]
        return Quota(
            limit=int(core["limit"]),
            remaining=int(core["remaining"]),
            reset=datetime.fromtimestamp(int(core["reset"]), UTC),
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
        return None


def requests_needed(candidates: int) -> int:
    return candidates * REQUESTS_PER_CANDIDATE


def candidates_within(quota: Quota) -> int:
    """How many candidates the remaining quota covers before it resets."""
    return math.floor(quota.remaining / REQUESTS_PER_CANDIDATE)
