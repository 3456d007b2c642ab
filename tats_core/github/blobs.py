"""Reading the text of a code sample's files, each file once across every candidate.

Order of sources, per chosen file: the blob cache (by git blob sha; nothing is requested), then

- without a token, the raw endpoint ``{GITHUB_RAW_URL}/{owner}/{repo}/{commit sha}/{path}``
  (not counted against the API limit; counted in ``CodeSample.files_downloaded``), at most
  ``CONCURRENCY`` at once;
- with a token, GraphQL blobs (``object(expression: "<sha>:<path>")``, aliased per path) in a
  few queries of bounded size (counted in ``CodeSample.api_requests``); a query that fails
  falls back to raw for its files.

A file that cannot be read is skipped with its reason (``not found``, ``binary``,
``too large``, ``rate limited``, ``server error``, ``unreachable``); it never fails the
candidate. Rate limits and server errors are retried after a short, bounded backoff
(``BLOB_BACKOFF``, a ``tats_core.retry.Backoff``); once one file has used its backoff up, the
others of the same sample give up at once. Every request goes through ``GitHubHttp``; a raw
file is read no further than ``max_file_bytes``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from tats_core.errors import GitHubError
from tats_core.github import graphql
from tats_core.github.blob_cache import BlobCacheProtocol, CachedBlob
from tats_core.github.http import Body, GitHubHttp, Tally
from tats_core.repo.sample import (
    MAX_FILE_BYTES,
    CodeSample,
    SampleEntry,
    SampleFile,
    SamplePlan,
    SkippedFile,
)
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.retry import Backoff, RetryableFault
from tats_core.store.db import in_thread

CONCURRENCY = 8
# Three tries of a rate-limited or failing file, about 1 s and 2 s apart; a Retry-After longer
# than 5 s is not waited for (the file is skipped): a sample never holds a worker for long.
BLOB_BACKOFF = Backoff(tries=3, base=1.0, max_wait=5.0, total_wait=10.0)
# Reasons that reading again would not change: cached with the blob's sha.
PERMANENT = {"binary", "too large"}


@dataclass(frozen=True)
class Read:
    """One blob's outcome: its text, or why there is none."""

    text: str | None
    size: int
    skipped: str | None = None


def decode(data: bytes, max_bytes: int) -> Read:
    if len(data) > max_bytes:
        return Read(None, len(data), "too large")
    if b"\0" in data:  # also keeps NUL out of PostgreSQL text
        return Read(None, len(data), "binary")
    try:
        return Read(data.decode("utf-8"), len(data))
    except UnicodeDecodeError:
        return Read(None, len(data), "binary")


class BlobReader:
    """Reads a ``SamplePlan``'s files for ``GitHubClient.read_sample``."""

    def __init__(
        self,
        api: GitHubHttp,
        raw_url: str,
        *,
        cache: BlobCacheProtocol | None,
        use_graphql: bool,
        concurrency: int = CONCURRENCY,
        backoff: Backoff = BLOB_BACKOFF,
        max_file_bytes: int = MAX_FILE_BYTES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._api = api
        self._raw = raw_url.rstrip("/")
        self._cache = cache
        self._graphql = use_graphql
        self._concurrency = max(1, concurrency)
        self._backoff = backoff
        self._max_bytes = max_file_bytes
        self._sleep = sleep

    async def read(self, snap: RepoSnapshot, plan: SamplePlan) -> CodeSample:
        sample = CodeSample(left_out=dict(plan.left_out), total_files=plan.total_files)
        if not plan.entries:
            return sample
        if not snap.commit_sha:
            sample.skipped = [SkippedFile(e.path, "no commit") for e in plan.entries]
            return sample
        shas = {e.sha for e in plan.entries}
        known: dict[str, Read] = {}
        if self._cache is not None:
            cached = await in_thread(self._cache.get_many, shas)
            known = {sha: Read(c.text, c.size, c.skipped) for sha, c in cached.items()}
        # One read per sha, even when several paths of the tree share it.
        missing: dict[str, SampleEntry] = {}
        for entry in plan.entries:
            if entry.sha not in known:
                missing.setdefault(entry.sha, entry)
        downloads, api = Tally(), Tally()
        fresh = await self._fetch(snap, list(missing.values()), downloads, api)
        if self._cache is not None:
            keep = [
                CachedBlob(sha, r.text, r.size, r.skipped)
                for sha, r in fresh.items()
                if r.text is not None or r.skipped in PERMANENT
            ]
            await in_thread(self._cache.put_many, keep)
        known.update(fresh)
        for entry in plan.entries:
            result = known[entry.sha]
            if result.text is None:
                sample.skipped.append(SkippedFile(entry.path, result.skipped or "unreadable"))
            else:
                sample.files.append(
                    SampleFile(entry.path, entry.sha, entry.size, entry.why, result.text)
                )
        sample.files_downloaded, sample.api_requests = downloads.requests, api.requests
        return sample

    async def _fetch(
        self, snap: RepoSnapshot, entries: list[SampleEntry], downloads: Tally, api: Tally
    ) -> dict[str, Read]:
        if not entries:
            return {}
        results: dict[str, Read] = {}
        raw_entries = entries
        if self._graphql:
            results = await self._graphql_read(snap, entries, api)
            raw_entries = [e for e in entries if e.sha not in results]
        # Made per sample: a client outlives event loops (CLI, Streamlit), a semaphore may not.
        state = _RawState(asyncio.Semaphore(self._concurrency))
        reads = await asyncio.gather(
            *(self._raw_read(snap, e, downloads, state) for e in raw_entries)
        )
        results.update({e.sha: r for e, r in zip(raw_entries, reads, strict=True)})
        return results

    # -- raw ---------------------------------------------------------------------------------

    async def _raw_read(
        self, snap: RepoSnapshot, entry: SampleEntry, downloads: Tally, state: _RawState
    ) -> Read:
        path = f"{snap.path}/{entry.path}" if snap.path else entry.path
        url = f"{self._raw}/{snap.full_name}/{snap.commit_sha}/{quote(path)}"

        async def attempt() -> Read:
            try:
                async with state.slots:
                    body = await self._api.download(
                        downloads, url, max_bytes=self._max_bytes, authorized=False
                    )
            except GitHubError as exc:
                raise state.fault("unreachable", exc.retry_after) from exc
            return self._outcome(entry, body, state)

        try:
            return await self._backoff.run(attempt, sleep=self._sleep)
        except GitHubError as exc:
            state.gave_up = True
            return Read(None, entry.size, exc.message)

    def _outcome(self, entry: SampleEntry, body: Body, state: _RawState) -> Read:
        """A raw answer's ``Read``; a rate limit or server error is raised to try again."""
        status = body.status
        if status == 200:
            if body.too_large:
                return Read(None, max(body.size, entry.size), "too large")
            return decode(body.content, self._max_bytes)
        if status in (404, 410, 451):
            return Read(None, entry.size, "not found")
        if status not in (403, 429) and status < 500:
            return Read(None, entry.size, f"answered {status}")
        reason = "rate limited" if status in (403, 429) else "server error"
        raise state.fault(reason, self._api.retry_after(body.headers))

    # -- GraphQL -----------------------------------------------------------------------------

    async def _graphql_read(
        self, snap: RepoSnapshot, entries: list[SampleEntry], api: Tally
    ) -> dict[str, Read]:
        """Results for the files the queries answered; the others are left to raw."""
        batches: list[list[SampleEntry]] = [[]]
        size = 0
        for entry in entries:
            full = batches[-1]
            if full and (
                len(full) >= graphql.MAX_BLOBS_PER_QUERY
                or size + entry.size > graphql.MAX_BLOB_BYTES_PER_QUERY
            ):
                batches.append([])
                size = 0
            batches[-1].append(entry)
            size += entry.size
        answers = await asyncio.gather(*(self._graphql_batch(snap, b, api) for b in batches))
        return {sha: read for answer in answers for sha, read in answer.items()}

    async def _graphql_batch(
        self, snap: RepoSnapshot, batch: list[SampleEntry], api: Tally
    ) -> dict[str, Read]:
        owner, _, name = snap.full_name.partition("/")
        prefix = f"{snap.path}/" if snap.path else ""
        variables = {"owner": owner, "name": name}
        variables.update(
            {f"b{i}": f"{snap.commit_sha}:{prefix}{e.path}" for i, e in enumerate(batch)}
        )
        payload = {"query": graphql.blob_query(len(batch)), "variables": variables}
        try:
            response = await self._api.post_graphql(api, payload)
            body = response.json() if response.status_code == 200 else None
        except (GitHubError, json.JSONDecodeError, ValueError):
            body = None
        repo = ((body or {}).get("data") or {}).get("repository")
        if not isinstance(repo, dict):
            return {}  # rate limited, refused or broken: raw reads these files instead
        results = {}
        for i, entry in enumerate(batch):
            blob = repo.get(f"b{i}")
            size = int((blob or {}).get("byteSize") or entry.size)
            if blob is None:
                results[entry.sha] = Read(None, entry.size, "not found")
            elif blob.get("isBinary"):
                results[entry.sha] = Read(None, size, "binary")
            elif blob.get("isTruncated") or size > self._max_bytes or blob.get("text") is None:
                results[entry.sha] = Read(None, size, "too large")
            else:
                results[entry.sha] = Read(str(blob["text"]), size)
        return results


class _RawState:
    """Shared by one sample's raw reads: the concurrency bound, and whether one has given up
    (then the rest do not wait)."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.gave_up = False

    def fault(self, reason: str, retry_after: float | None) -> Exception:
        """Why a file is unreadable for now: worth another try unless one file gave up."""
        error = GitHubError(reason, transient=True, retry_after=retry_after)
        return error if self.gave_up else RetryableFault(error, retry_after)
