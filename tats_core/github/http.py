"""HTTP to GitHub, in one place: every request TATS sends to the API, to raw file text and to
archive downloads goes through ``GitHubHttp``, which builds the headers, counts the requests,
reads bodies within a bound, and translates failed answers into the TATS error taxonomy.

A 5xx, a timeout, a dropped connection or a secondary rate limit (403/429 with ``Retry-After``)
is usually gone a few seconds later, so ``get`` and ``archive.download_archive`` try again
themselves (``retrying``: a ``tats_core.retry.Backoff``, honouring ``Retry-After``, a bounded
total wait) before raising a transient ``GitHubError`` for the queue to retry the candidate
(issue #11). An exhausted hourly quota (reset far away) is not waited for here.

Every answer becomes our own type (``Reply``, ``Body``, ``Quota``); callers in this package may
also read the ``httpx.Response`` of ``send``, but no httpx object leaves the package.
Conditional requests: the cached ETag goes out as ``If-None-Match``; a ``304`` returns the
cached body and its ``link`` header.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tats_core.errors import ConfigurationError, GitHubError
from tats_core.github.cache import HttpCacheProtocol
from tats_core.retry import Backoff, RetryableFault, parse_retry_after
from tats_core.store.db import in_thread
from tats_core.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger("tats.github")

T = TypeVar("T")

JSON = "application/vnd.github+json"
RAW = "application/vnd.github.raw+json"
ANY = "*/*"
DEFAULT_RETRY_S = 60.0
ERROR_BODY_BYTES = 64_000  # enough for GitHub's error message; a larger error body is not read


class Quota(NamedTuple):
    """A GitHub rate-limit budget: from ``GET /rate_limit`` or from an answer's headers."""

    limit: int
    remaining: int
    reset: datetime  # when ``remaining`` goes back to ``limit`` (UTC)


@dataclass
class Reply:
    status: int
    body: str
    link: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Body:
    """A downloaded body, read no further than the bound it was asked for."""

    status: int
    headers: httpx.Headers
    content: bytes  # empty when ``too_large``
    size: int  # bytes announced or read: a lower bound when ``too_large``
    too_large: bool = False


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


async def _read_within(response: httpx.Response, max_bytes: int) -> tuple[bytes, int, bool]:
    """The body (decoded, as it streams in), its size, and whether it ran past ``max_bytes``:
    then reading stops, so a huge or endless body never sits in memory."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return b"", int(declared), True
    content = bytearray()
    async for chunk in response.aiter_bytes():
        content += chunk
        if len(content) > max_bytes:
            return b"", len(content), True
    return bytes(content), len(content), False


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
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self.base = base_url.rstrip("/")
        self._telemetry = telemetry
        self.token = token
        self._injected = http
        self._own: httpx.AsyncClient | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._cache = cache
        self._timeout = timeout
        self._now = now
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.last_rate_limit: Quota | None = None  # from the latest answer's headers

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

    def headers(self, accept: str = JSON, *, authorized: bool = True) -> dict[str, str]:
        """The headers of every request to GitHub; ``authorized=False`` leaves the token out
        (raw file text lives on another host, which needs none for public repositories)."""
        headers = {"Accept": accept, "User-Agent": "tats", "X-GitHub-Api-Version": "2022-11-28"}
        if self.token and authorized:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    # -- one request -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _reaching(self, tally: Tally) -> AsyncIterator[None]:
        """Count one request, answered or not; no answer (or a body cut off) is a transient
        ``GitHubError``."""
        tally.requests += 1
        try:
            yield
        except httpx.TimeoutException as exc:
            self._telemetry.github_request(None, None)
            raise GitHubError(
                f"GitHub did not answer within {self._timeout:g} s", transient=True
            ) from exc
        except httpx.TransportError as exc:
            self._telemetry.github_request(None, None)
            raise GitHubError(
                f"could not reach GitHub ({type(exc).__name__})", transient=True
            ) from exc

    def _answered(self, tally: Tally, response: httpx.Response) -> None:
        tally.requests += len(response.history)  # each redirect followed is a request too
        first = response.history[0] if response.history else response
        quota = self._note_rate_limit(first.headers)
        for answer in (*response.history, response):
            remaining = quota.remaining if quota and answer is first else None
            self._telemetry.github_request(answer.status_code, remaining)

    async def send(self, tally: Tally, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async with self._reaching(tally):
            response = await self._client().request(
                method, url, follow_redirects=True, timeout=self._timeout, **kwargs
            )
        self._answered(tally, response)
        return response

    async def post_graphql(self, tally: Tally, payload: dict[str, Any]) -> httpx.Response:
        return await self.send(
            tally, "POST", graphql_url(self.base), json=payload, headers=self.headers()
        )

    async def download(
        self, tally: Tally, url: str, *, max_bytes: int, authorized: bool = True
    ) -> Body:
        """``GET url``, following redirects (``Location`` as given; httpx drops the token when
        it leads to another host), reading at most ``max_bytes`` of a 200's body."""
        headers = self.headers(ANY, authorized=authorized)
        async with (
            self._reaching(tally),
            self._client().stream(
                "GET", url, headers=headers, follow_redirects=True, timeout=self._timeout
            ) as response,
        ):
            self._answered(tally, response)
            bound = max_bytes if response.status_code == 200 else ERROR_BODY_BYTES
            content, size, too_large = await _read_within(response, bound)
        return Body(response.status_code, response.headers, content, size, too_large)

    async def retrying(self, label: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` under this client's ``Backoff`` (it raises ``RetryableFault``)."""

        def note(fault: RetryableFault, wait: float) -> None:
            log.info("GitHub %s: %s; trying again in %.1f s", label, fault, wait)

        return await self.backoff.run(attempt, sleep=self._sleep, on_retry=note)

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
        cached = await in_thread(self._cache.get, url) if self._cache else None
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
                    await in_thread(self._cache.put, url, etag, response.text, kept)
                return Reply(200, response.text, link)
            if response.status_code in allow:
                return Reply(response.status_code, response.text)
            raise fault(self.error(response, not_found))

        return await self.retrying(path, attempt)

    def _note_rate_limit(self, headers: httpx.Headers) -> Quota | None:
        """The quota this answer states, kept as the latest; None when it states none."""
        try:
            quota = Quota(
                limit=int(headers["x-ratelimit-limit"]),
                remaining=int(headers["x-ratelimit-remaining"]),
                reset=datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), UTC),
            )
        except (KeyError, ValueError):
            return None
        self.last_rate_limit = quota
        return quota

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

    def error(self, response: httpx.Response | Body, not_found: str) -> Exception:
        """Translate a failed answer into the TATS taxonomy (never quoting the token)."""
        status = response.status_code if isinstance(response, httpx.Response) else response.status
        try:
            message = str(json.loads(response.content).get("message", ""))[:200]
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


def fault(error: Exception) -> Exception:
    """What an attempt raises for ``error``: a ``RetryableFault`` when it is transient."""
    if isinstance(error, GitHubError) and error.transient:
        return RetryableFault(error, error.retry_after)
    return error
