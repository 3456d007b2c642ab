"""HTTP to the GitHub API for ``GitHubClient``: headers, ETags, request counting, and the
translation of failed answers into the TATS error taxonomy, and retries of transient answers.

A 5xx, a timeout, a dropped connection or a secondary rate limit (403/429 with ``Retry-After``)
is usually gone a few seconds later, so ``get`` tries again itself (``tats_core.retry.Backoff``:
a few tries, honouring ``Retry-After``, a bounded total wait) before raising a transient
``GitHubError`` for the queue to retry the candidate (issue #11). An exhausted hourly quota
(reset far away) is not waited for here.

Every answer becomes a ``Reply`` (our own type; no httpx object leaves this module and
``github.py``). Conditional requests: the cached ETag goes out as ``If-None-Match``; a ``304``
returns the cached body and its ``link`` header.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tats_core.errors import ConfigurationError, GitHubError
from tats_core.github.cache import HttpCacheProtocol
from tats_core.retry import Backoff, RetryableFault, parse_retry_after

log = logging.getLogger("tats.github")

JSON = "application/vnd.github+json"
RAW = "application/vnd.github.raw+json"
DEFAULT_RETRY_S = 60.0


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset_at: datetime
    resource: str = "core"


@dataclass
class Reply:
    status: int
    body: str
    link: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


class Tally:
    """Requests spent on one snapshot (several may run at once on one client)."""

    def __init__(self) -> None:
        self.requests = 0


def last_page(link: str | None) -> int | None:
    """The page number of ``rel="last"`` in a Link header."""
    for part in (link or "").split(","):
        if 'rel="last"' in part:
            url = part.split(";")[0].strip().strip("<>")
            pages = parse_qs(urlsplit(url).query).get("page")
            return int(pages[0]) if pages else None
    return None


def graphql_url(base_url: str) -> str:
    """``{base}/graphql``; GitHub Enterprise serves it at ``/api/graphql``, beside ``/api/v3``."""
    base = base_url.rstrip("/")
    return base[: -len("/v3")] + "/graphql" if base.endswith("/api/v3") else base + "/graphql"


class GitHubHttp:
    """One base URL and token; shared by every snapshot a client takes."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        http: httpx.AsyncClient | None,
        cache: HttpCacheProtocol | None,
        timeout: float,
        now: Callable[[], float] = time.time,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.token = token
        self._injected = http
        self._own: httpx.AsyncClient | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._cache = cache
        self._timeout = timeout
        self._now = now
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.last_rate_limit: RateLimit | None = None  # from the latest answer's headers

    async def aclose(self) -> None:
        if self._own is not None and self._own_loop is asyncio.get_running_loop():
            await self._own.aclose()
        self._own = None

    def _client(self) -> httpx.AsyncClient:
        """The injected client, or our own for the running event loop: a client kept across
        ``asyncio.run`` calls (CLI, Streamlit) would reuse connections of a closed loop."""
        if self._injected is not None:
            return self._injected
        loop = asyncio.get_running_loop()
        if self._own is None or self._own_loop is not loop:
            self._own, self._own_loop = httpx.AsyncClient(timeout=self._timeout), loop
        return self._own

    def headers(self, accept: str = JSON) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": "tats", "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    # -- one request -------------------------------------------------------------------------

    async def send(self, tally: Tally, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client().request(
                method, url, follow_redirects=True, timeout=self._timeout, **kwargs
            )
        except httpx.TimeoutException as exc:
            tally.requests += 1
            raise GitHubError(
                f"GitHub did not answer within {self._timeout:g} s", transient=True
            ) from exc
        except httpx.TransportError as exc:
            tally.requests += 1
            raise GitHubError(
                f"could not reach GitHub ({type(exc).__name__})", transient=True
            ) from exc
        tally.requests += 1 + len(response.history)
        self._note_rate_limit(response.headers)
        return response

    async def get(
        self,
        tally: Tally,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        accept: str = JSON,
        allow: tuple[int, ...] = (),
        not_found: str = "repository not found or private",
    ) -> Reply:
        url = self.base + path + ("?" + urlencode(params) if params else "")
        headers = self.headers(accept)
        cached = await asyncio.to_thread(self._cache.get, url) if self._cache else None
        if cached:
            headers["If-None-Match"] = cached.etag

        async def attempt() -> Reply:
            try:
                response = await self.send(tally, "GET", url, headers=headers)
            except GitHubError as exc:  # timeouts and dropped connections
                raise RetryableFault(exc, exc.retry_after) from exc
            link = response.headers.get("link")
            if response.status_code == 304 and cached:
                return Reply(200, cached.body, link or cached.headers.get("link"))
            if response.status_code == 200:
                etag = response.headers.get("etag")
                if etag and self._cache:
                    kept = {"link": link} if link else {}
                    await asyncio.to_thread(self._cache.put, url, etag, response.text, kept)
                return Reply(200, response.text, link)
            if response.status_code in allow:
                return Reply(response.status_code, response.text)
            error = self.error(response, not_found)
            if isinstance(error, GitHubError) and error.transient:
                raise RetryableFault(error, error.retry_after)
            raise error

        def note(fault: RetryableFault, wait: float) -> None:
            log.info("GitHub %s: %s; trying again in %.1f s", path, fault, wait)

        return await self.backoff.run(attempt, sleep=self._sleep, on_retry=note)

    def _note_rate_limit(self, headers: httpx.Headers) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.last_rate_limit = RateLimit(
                limit=int(headers["x-ratelimit-limit"]),
                remaining=int(headers["x-ratelimit-remaining"]),
                reset_at=datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), UTC),
                resource=headers.get("x-ratelimit-resource", "core"),
            )

    def retry_after(self, headers: httpx.Headers) -> float | None:
        if value := headers.get("retry-after"):
            seconds = parse_retry_after(value, now=self._now())
            return DEFAULT_RETRY_S if seconds is None else max(seconds, 1.0)
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                return max(float(headers["x-ratelimit-reset"]) - self._now(), 1.0)
            except ValueError:
                return DEFAULT_RETRY_S
        return None

    def error(self, response: httpx.Response, not_found: str) -> Exception:
        """Translate a failed answer into the TATS taxonomy (never quoting the token)."""
        status = response.status_code
        try:
            message = str(response.json().get("message", ""))[:200]
        except (ValueError, AttributeError):
            message = ""
        if status == 401:
            if self.token:
                return ConfigurationError(
                    "GitHub rejected GITHUB_TOKEN (401); fix or remove it", dependency="github"
                )
            return ConfigurationError(
                "GitHub asks for authentication (401); set GITHUB_TOKEN", dependency="github"
            )
        if status in (403, 429):
            retry = self.retry_after(response.headers)
            if retry is not None or status == 429 or "rate limit" in message.lower():
                wait = retry if retry is not None else DEFAULT_RETRY_S
                return GitHubError(
                    f"GitHub rate limit reached ({status}); retry in {wait:.0f} s",
                    transient=True,
                    retry_after=wait,
                )
            return GitHubError(
                f"repository access blocked by GitHub (403: {message or 'Forbidden'})"
            )
        if status == 404:
            return GitHubError(f"{not_found} (404)")
        if status == 451:
            return GitHubError(
                "repository unavailable for legal reasons (451, e.g. a DMCA takedown)"
            )
        if status == 410:
            return GitHubError("repository gone or disabled (410)")
        if status >= 500 or status == 408:
            return GitHubError(
                f"GitHub server error ({status})",
                transient=True,
                retry_after=self.retry_after(response.headers),
            )
        return GitHubError(f"unexpected answer from GitHub ({status}: {message or 'no message'})")
