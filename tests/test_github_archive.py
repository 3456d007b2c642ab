"""The submission at its commit as one archive, against the replay on loopback: the tarball
redirect followed, one API request, the archive cache by commit sha (memory, SQLite and
PostgreSQL), the size bound, and every failure classified like any other GitHub answer; and
the client's three database caches, which never fail a candidate when the database is down."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, StreamingResponse
from starlette.routing import Route

from tats_core.errors import GitHubError
from tats_core.github.archive_cache import DbArchiveCache, MemoryArchiveCache
from tats_core.github.blob_cache import DbBlobCache
from tats_core.github.cache import DbHttpCache
from tats_core.github.client import GitHubClient
from tats_core.repo.sample import CodeSample
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.retry import Backoff
from tats_core.store.db import make_engine, make_session_factory
from tests import replay_fixtures
from tests.replay_fixtures import REPOS, TOKEN
from tests.servers import serve

STRONG = REPOS / "acme__strong-api"
HEAD = json.loads((STRONG / "commits.json").read_text())[0]["sha"]
replay, url = replay_fixtures.replay, replay_fixtures.url
QUICK = Backoff(tries=3, base=0.01, max_wait=0.1)  # the product's policy, without the waiting


def archive(url: str, name: str = "acme/strong-api", sha: str = HEAD, **kwargs) -> bytes:
    async def run() -> bytes:
        token = kwargs.pop("token", None)
        async with GitHubClient(url, token, backoff=QUICK, **kwargs) as github:
            return await github.archive(name, sha)

    return asyncio.run(run())


def fails(url: str, name: str = "acme/strong-api", sha: str = HEAD, **kwargs) -> GitHubError:
    with pytest.raises(GitHubError) as info:
        archive(url, name, sha, **kwargs)
    return info.value


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def file_text(data: bytes, name: str) -> str:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        extracted = tar.extractfile(name)
        assert extracted is not None
        return extracted.read().decode()


def test_the_tarball_redirect_is_followed_for_one_api_request(url, replay):
    before = replay.remaining
    data = archive(url, token=TOKEN)
    assert [(path.split("/")[1], status) for _, path, status in replay.log] == [
        ("repos", 302),
        ("codeload", 200),
    ]
    assert replay.log[0][1] == f"/repos/acme/strong-api/tarball/{HEAD}"
    assert replay.remaining == before - 1 and replay.api_requests() == 1
    # GitHub's layout: one top folder named after the repository and the commit.
    top = f"acme-strong-api-{HEAD[:7]}"
    names = members(data)
    assert {n.split("/")[0] for n in names} == {top}
    tree = json.loads((STRONG / "tree.json").read_text())["tree"]
    assert {f"{top}/{e['path']}" for e in tree if e["type"] == "blob"} <= set(names)
    sha = next(e["sha"] for e in tree if e["path"] == "todo/app.py")
    assert file_text(data, f"{top}/todo/app.py") == (STRONG / "blobs" / sha).read_text()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        assert tar.pax_headers["comment"] == HEAD


def test_a_cached_commit_is_not_downloaded_again_even_for_another_repository(url, replay):
    cache = MemoryArchiveCache()
    first = archive(url, archive_cache=cache)
    replay.clear_log()
    again = archive(url, "acme/strong-api-fork", archive_cache=cache)  # the same commit
    assert again == first and replay.log == []


def test_the_database_cache_serves_every_worker_and_rerun(url, replay, session_factory):
    first = archive(url, archive_cache=DbArchiveCache(session_factory))
    replay.clear_log()
    assert archive(url, archive_cache=DbArchiveCache(session_factory)) == first
    assert replay.log == []
    DbArchiveCache(session_factory).put(HEAD, b"a second store of the same commit is ignored")
    assert DbArchiveCache(session_factory).get(HEAD) == first


def test_an_archive_over_the_limit_is_refused_and_not_cached(url, replay):
    cache = MemoryArchiveCache()
    error = fails(url, max_archive_bytes=1_000, archive_cache=cache)
    assert not error.transient and "larger than" in str(error)
    assert cache.entries == {}
    assert replay.requests_to("/codeload/") == 1  # refused, never retried


@pytest.mark.parametrize(
    ("name", "sha", "fragment"),
    [
        ("acme/strong-api", HEAD, "/tarball/"),
        ("acme/strong-api", HEAD, "/codeload/"),
        ("acme/strong-api", "f" * 40, None),
        ("acme/no-such-repo", HEAD, None),
    ],
    ids=["api-404", "download-404", "unknown-commit", "unknown-repository"],
)
def test_a_missing_repository_or_commit_is_permanent(url, replay, name, sha, fragment):
    if fragment:
        replay.fail_next(404, path_contains=fragment)
    error = fails(url, name, sha)
    assert not error.transient and "not found" in str(error) and sha[:7] in str(error)


@pytest.mark.parametrize("fragment", ["/tarball/", "/codeload/"])
def test_server_errors_are_retried_then_transient(url, replay, fragment):
    replay.fail_next(502, times=3, path_contains=fragment)
    error = fails(url)
    assert error.transient and "502" in str(error)
    assert replay.requests_to(fragment) == 3


def test_a_server_error_that_passes_costs_a_retry_only(url, replay):
    replay.fail_next(503, path_contains="/codeload/")
    assert members(archive(url))
    assert replay.requests_to("/codeload/") == 2


def test_an_exhausted_rate_limit_is_transient_until_the_reset(url, replay):
    replay.set_rate_limit(remaining=0, reset=1_000_120)
    error = fails(url, now=lambda: 1_000_000.0)
    assert error.transient and error.retry_after == pytest.approx(120)
    assert replay.requests_to("/codeload/") == 0


def test_only_a_full_commit_sha_is_taken():
    for ref in ("main", HEAD[:7], HEAD.upper(), ""):
        with pytest.raises(ValueError, match="full commit sha"):
            archive("http://127.0.0.1:9", sha=ref)


def elsewhere(seen: list[dict[str, str]], *, endless: bool) -> Starlette:
    """A download host apart from the API: it records what it was sent and answers with a
    small body, or one that never ends."""

    async def body() -> AsyncIterator[bytes]:
        while True:
            yield b"\0" * 65_536
            if not endless:
                return
            await asyncio.sleep(0)  # lets the server notice the client has gone

    async def download(request: Request) -> StreamingResponse:
        seen.append(dict(request.headers))
        return StreamingResponse(body(), media_type="application/x-gzip")

    return Starlette(routes=[Route("/archive", download)])


def api_redirecting_to(target: str) -> Starlette:
    async def tarball(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{target}/archive", status_code=302)

    return Starlette(routes=[Route("/repos/{owner}/{name}/tarball/{sha}", tarball)])


def test_the_token_is_not_sent_to_another_host_and_an_endless_body_is_cut_short():
    seen: list[dict[str, str]] = []
    with (
        serve(elsewhere(seen, endless=False)) as small,
        serve(api_redirecting_to(small)) as api,
    ):
        assert archive(api, token=TOKEN) == b"\0" * 65_536
    assert seen and "authorization" not in seen[0]
    with (
        serve(elsewhere(seen, endless=True)) as endless,
        serve(api_redirecting_to(endless)) as api,
    ):
        error = fails(api, max_archive_bytes=1_000_000)
    assert not error.transient and "larger than" in str(error)


def test_caches_on_a_database_that_is_down_are_misses_and_fail_nothing(url, replay, tmp_path):
    # A file in a folder that does not exist: every statement fails, as on a database that is down.
    down = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'gone' / 'tats.db'}"))

    async def run() -> tuple[RepoSnapshot, CodeSample, bytes]:
        async with GitHubClient(
            url, cache=DbHttpCache(down), blob_cache=DbBlobCache(down),
            archive_cache=DbArchiveCache(down), backoff=QUICK,
        ) as github:  # fmt: skip
            snap = await github.snapshot("acme/strong-api")
            return snap, await github.read_sample(snap), await github.archive(snap.full_name, HEAD)

    snap, sample, data = asyncio.run(run())
    assert snap.commit_count == 18 and len(sample.files) >= 8 and members(data)
    assert DbArchiveCache(down).get(HEAD) is None
    assert DbBlobCache(down).get_many([sample.files[0].sha]) == {}
    assert DbHttpCache(down).get(f"{url}/repos/acme/strong-api") is None
