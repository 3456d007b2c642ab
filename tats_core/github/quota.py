"""GitHub API quota: how many requests remain, so the app can warn before an upload needs more.

GitHub allows 60 REST requests an hour without a token and 5,000 with one; each candidate costs
about ``REQUESTS_PER_CANDIDATE`` of them. ``GET /rate_limit`` itself is free. It is asked through
``GitHubHttp`` like every other request, so its failures are ``GitHubError`` (or a
``ConfigurationError`` for a rejected token); whether to show "quota unknown" instead is the
caller's decision.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime

from tats_core.errors import GitHubError
from tats_core.github.http import GitHubHttp, Quota, Tally
from tats_core.retry import Backoff
from tats_core.settings import Settings

__all__ = [
    "LIMIT_WITHOUT_TOKEN",
    "LIMIT_WITH_TOKEN",
    "REQUESTS_PER_CANDIDATE",
    "Quota",
    "candidates_within",
    "github_quota",
    "read_quota",
    "requests_needed",
]

REQUESTS_PER_CANDIDATE = 6  # measured by bench/github_requests.py: 6.2 on average without a token
LIMIT_WITHOUT_TOKEN = 60
LIMIT_WITH_TOKEN = 5_000
# A page waiting on the sidebar's quota should not wait long: one try, a short timeout.
QUOTA_TIMEOUT_S = 3.0


async def read_quota(api: GitHubHttp) -> Quota:
    """The core REST quota (``GET /rate_limit`` costs none of it)."""
    reply = await api.get(Tally(), "/rate_limit")
    try:
        body = reply.json()
        core = body.get("resources", {}).get("core") or body["rate"]
        return Quota(
            limit=int(core["limit"]),
            remaining=int(core["remaining"]),
            reset=datetime.fromtimestamp(int(core["reset"]), UTC),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise GitHubError("GitHub answered /rate_limit in an unexpected shape") from exc


def github_quota(settings: Settings, *, timeout: float = QUOTA_TIMEOUT_S) -> Quota:
    """The core REST quota of the configured GitHub API, asked once (no retry).

    Raises ``GitHubError`` when GitHub does not answer or fails, ``ConfigurationError`` when it
    rejects the token."""

    async def ask() -> Quota:
        api = GitHubHttp(
            settings.github_api_url,
            settings.github_token,
            http=None,
            cache=None,
            timeout=timeout,
            backoff=Backoff(tries=1),
        )
        try:
            return await read_quota(api)
        finally:
            await api.aclose()

    return asyncio.run(ask())


def requests_needed(candidates: int) -> int:
    return candidates * REQUESTS_PER_CANDIDATE


def candidates_within(quota: Quota) -> int:
    """How many candidates the remaining quota covers before it resets."""
    return math.floor(quota.remaining / REQUESTS_PER_CANDIDATE)
