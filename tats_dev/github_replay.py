"""A replay of the GitHub API over a directory of repositories (format: ``replay_data``).

It speaks the REST endpoints TATS uses with GitHub's shapes (``/repos/{o}/{r}``, ``languages``,
``commits`` with ``Link`` pagination, ``branches``, ``git/trees/{sha}?recursive=1``, ``readme``,
``contents/{path}``, ``/repositories/{id}/...``, ``/rate_limit``), ETags with ``304``, ``409``
for an empty repository, ``404`` for an unknown one, ``301`` for a renamed one, rate-limit
headers with a budget (403 with ``x-ratelimit-remaining: 0`` once spent), and the one GraphQL
query ``tats_core.github.graphql`` sends, and the blob queries that read a code sample. File text
comes from each repository's ``blobs/<sha>`` folder, three ways as GitHub serves it:
``/repos/{o}/{r}/contents/{path}``, ``/repos/{o}/{r}/git/blobs/{sha}``, and raw at
``/raw/{owner}/{repo}/{commit sha}/{path}`` — so point ``GITHUB_RAW_URL`` at ``{replay}/raw``.
Raw downloads are logged like any request (``app.downloads()`` counts them) but, as on GitHub,
spend none of the API budget. Archives as GitHub gives them: ``/repos/{o}/{r}/tarball/{ref}``
(one API request) answers 302 to ``/codeload/{o}/{r}/legacy.tar.gz/{ref}``, a tar.gz built from
the repository's files with one top folder ``{owner}-{repo}-{sha7}/`` (``replay_archive``),
logged but not counted against the budget.

It serves the offline demo (``tats dev --demo``) and the tests and benchmarks, which script it:

    app = create_app(repos_dir)
    app.fail_next(503, times=2)                   # the next two requests answer 503
    app.set_rate_limit(remaining=0, reset=...)    # exhaust the budget
    app.set_latency(2.0)                          # answer slowly
    app.log                                       # [(method, path?query, status), ...]
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tats_dev import replay_api
from tats_dev.replay_data import RepoStore

DOCS = "https://docs.github.com/rest"
MESSAGES = {
    401: "Bad credentials",
    403: "Repository access blocked",
    404: "Not Found",
    409: "Git Repository is empty.",
    410: "Repository access blocked",
    422: "Validation Failed",
    429: "You have exceeded a secondary rate limit.",
    451: "Repository access blocked",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class _Failure:
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    path_contains: str | None = None


class ReplayApp(Starlette):
    """The ASGI app, with the scripting hooks tests and the demo use."""

    def __init__(
        self,
        repos_dir: Path,
        *,
        latency_s: float = 0.0,
        graphql: bool = True,
        rate_limit: int = 5000,
        token: str | None = None,
    ) -> None:
        super().__init__(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])
        self.store = RepoStore(repos_dir)
        self.graphql_enabled = graphql
        self.token = token  # when set, any other bearer token answers 401
        self.log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._latency = latency_s
        self._failures: list[_Failure] = []
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + 3600

    # -- scripting hooks ---------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        *,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (whose path contains ``path_contains``, if given)
        with ``status`` and GitHub's message for it."""
        with self._lock:
            self._failures.append(_Failure(status, times, dict(headers or {}), path_contains))

    def set_latency(self, seconds: float) -> None:
        self._latency = seconds

    def set_rate_limit(
        self, remaining: int, reset: float | None = None, limit: int | None = None
    ) -> None:
        with self._lock:
            self.remaining = remaining
            self.limit = limit if limit is not None else max(self.limit, remaining)
            if reset is not None:
                self.reset_at = int(reset)

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def downloads(self) -> int:
        """How many raw file downloads were logged."""
        return self.requests_to("/raw/")

    def api_requests(self) -> int:
        """How many logged requests were API requests (not raw or archive downloads)."""
        return len(self.log) - self.downloads() - self.requests_to("/codeload/")

    def requests_to(self, fragment: str = "") -> int:
        """How many logged requests have ``fragment`` in their path."""
        return sum(1 for _, path, _ in self.log if fragment in path)

    # -- plumbing ----------------------------------------------------------------------------

    def rate_headers(self, resource: str = "core") -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-used": str(max(self.limit - self.remaining, 0)),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": resource,
        }

    def _take_failure(self, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.path_contains is None or failure.path_contains in path:
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    async def _handle(self, request: Request) -> Response:
        if self._latency:
            await asyncio.sleep(self._latency)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = await self._answer(request)
        with self._lock:
            self.log.append((request.method, target, response.status_code))
        return response

    async def _answer(self, request: Request) -> Response:
        path = request.url.path
        graphql = path == "/graphql"
        resource = "graphql" if graphql else "core"
        failure = self._take_failure(path)
        if failure is not None:
            message = MESSAGES.get(failure.status, "Error")
            headers = {**self.rate_headers(resource), **failure.headers}
            return error(failure.status, message, headers)
        auth = request.headers.get("authorization")
        if self.token is not None and auth is not None and auth != f"Bearer {self.token}":
            return error(401, "Bad credentials", self.rate_headers(resource))
        if path == "/rate_limit":
            return self._rate_limit()
        if path.startswith("/raw/"):
            return replay_api.raw(self.store, request)  # not counted against the API limit
        if path.startswith("/codeload/"):
            return replay_api.codeload(self.store, request)  # nor are archive downloads
        if graphql and not self.graphql_enabled:
            return error(404, "Not Found", {})
        with self._lock:
            exhausted = self.remaining <= 0
        if exhausted:
            message = (
                f"API rate limit exceeded for {request.client.host if request.client else ''}."
            )
            if graphql:
                body = {"errors": [{"type": "RATE_LIMITED", "message": message}]}
                return json_response(body, headers=self.rate_headers(resource))
            return error(403, message, self.rate_headers(resource))
        if graphql:
            if request.method != "POST":
                return error(404, "Not Found", {})
            if auth is None:
                return error(401, "This endpoint requires you to be authenticated.", {})
            response = await replay_api.graphql(self.store, request)
        elif request.method == "GET":
            response = replay_api.rest(self.store, request)
        else:
            response = error(404, "Not Found", {})
        response = conditional(request, response)
        if response.status_code != 304:
            with self._lock:
                self.remaining -= 1
        response.headers.update(self.rate_headers(resource))
        return response

    def _rate_limit(self) -> Response:
        core = {
            "limit": self.limit,
            "remaining": max(self.remaining, 0),
            "reset": self.reset_at,
            "used": max(self.limit - self.remaining, 0),
            "resource": "core",
        }
        body = {
            "resources": {"core": core, "graphql": {**core, "resource": "graphql"}},
            "rate": core,
        }
        return json_response(body, headers=self.rate_headers())


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body), status, dict(headers or {}), media_type="application/json; charset=utf-8"
    )


def error(status: int, message: str, headers: Mapping[str, str]) -> Response:
    return json_response({"message": message, "documentation_url": DOCS}, status, headers)


def conditional(request: Request, response: Response) -> Response:
    """Strong ETags on successful GETs; ``304`` (headers kept, body dropped) when they match."""
    if request.method != "GET" or response.status_code != 200:
        return response
    etag = '"' + hashlib.sha256(bytes(response.body)).hexdigest()[:40] + '"'
    response.headers["etag"] = etag
    if request.headers.get("if-none-match") == etag:
        kept = {k: v for k, v in response.headers.items() if k in ("etag", "link")}
        return Response(status_code=304, headers=kept)
    return response


def create_app(
    repos_dir: Path,
    *,
    latency_s: float = 0.0,
    graphql: bool = True,
    rate_limit: int = 5000,
    token: str | None = None,
) -> ReplayApp:
    """The replay server for ``repos_dir``; serve it with uvicorn (or ``tests.servers.serve``)."""
    return ReplayApp(
        Path(repos_dir), latency_s=latency_s, graphql=graphql, rate_limit=rate_limit, token=token
    )
