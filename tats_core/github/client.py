"""GitHub client: one repository -> one ``RepoSnapshot``, in as few requests as possible.

Requests per candidate, counted in ``snapshot.requests_made`` (redirects and 304s included):

- REST, no token: repo facts 1, languages 1, commits 1 (+1 for the last page when the ref has
  more than 100 commits, so the count is exact), recursive tree 1, README 0-1 (only when the
  tree shows one), root manifests 0-4 (only those present in the tree). Usually 5-9.
- GraphQL, with a token: 1 query (facts, languages, last 100 commits with ``totalCount``,
  branch heads with their counts, README and manifest blobs by name) + 1 REST recursive tree
  by commit SHA (immutable, so its ETag always matches on a re-run) = 2.
- A starter in the history (a fork's parent, a template, commits another person pushed first:
  ``judging.provenance``): its tree, by commit SHA (+1, ``tree_at``).
- A thin default branch (at most 3 commits, or at most 2 source files) costs more: REST asks
  for the branches (+1) and probes up to 3 branches whose head differs (+1 each); switching to
  a branch with more commits fetches its tree (+1). GraphQL has the counts already and switches
  with one more query and tree (+2). Without a ``ref`` from the candidate's URL, the branch with
  the most commits wins when the default one is thin; the others are listed in
  ``snapshot.other_branches``.

``read_sample`` then reads the text of the files a reviewer would open (``github.blobs``): raw
downloads without a token (``files_downloaded``, no API request), 1-2 GraphQL queries with one,
none at all for files whose blob sha was read before. ``archive`` gives the whole submission at
a commit as GitHub's tar.gz (``github.archive``): one API request, none when the commit's
archive was downloaded before (``github.archive_cache``).

Errors follow ``tats_core.errors``: missing, private, blocked (404/410/451/403) are permanent
``GitHubError``; 5xx, timeouts, connection errors and rate limits are transient (``retry_after``
from ``retry-after`` or ``x-ratelimit-reset``); a rejected token is a ``ConfigurationError``.
An empty repository (409 on commits) is a snapshot with ``empty=True``, not an error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx

from tats_core.errors import GitHubError
from tats_core.github import graphql
from tats_core.github.archive import MAX_ARCHIVE_BYTES, check_commit_sha, download_archive
from tats_core.github.archive_cache import ArchiveCacheProtocol
from tats_core.github.blob_cache import BlobCacheProtocol
from tats_core.github.blobs import BLOB_BACKOFF, BlobReader
from tats_core.github.cache import HttpCacheProtocol
from tats_core.github.http import RAW, GitHubHttp, Quota, Tally, last_page
from tats_core.github.quota import read_quota
from tats_core.github.shapes import (
    apply_commits,
    apply_tree,
    commit_from_rest,
    is_thin,
    snapshot_from_repo,
    switch_branch,
    tree_entries,
    wanted_files,
)
from tats_core.repo import files as repo_files
from tats_core.repo.sample import (
    CodeSample,
    SampleBudget,
    SampleEntry,
    SamplePlan,
    Why,
    choose_sample,
)
from tats_core.repo.snapshot import RepoSnapshot, TreeEntry
from tats_core.retry import Backoff
from tats_core.settings import raw_url_for
from tats_core.store.db import in_thread
from tats_core.telemetry import NO_TELEMETRY, Telemetry

PER_PAGE = 100
GIVEN_LEFT_OUT = "given (a starter's or common to the job)"
MAX_README_CHARS = 64_000  # enough for any analyzer; the rest is not read
MAX_BRANCH_PROBES = 3


class GitHubClient:
    def __init__(
        self,
        base_url: str = "https://api.github.com",
        token: str | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        cache: HttpCacheProtocol | None = None,
        timeout: float = 15.0,
        use_graphql: bool | None = None,
        now: Callable[[], float] = time.time,
        raw_url: str | None = None,
        blob_cache: BlobCacheProtocol | None = None,
        blob_backoff: Backoff = BLOB_BACKOFF,
        archive_cache: ArchiveCacheProtocol | None = None,
        max_archive_bytes: int = MAX_ARCHIVE_BYTES,
        backoff: Backoff | None = None,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._api = GitHubHttp(
            base_url,
            token,
            http=http,
            cache=cache,
            timeout=timeout,
            now=now,
            backoff=backoff,
            telemetry=telemetry,
        )
        self._graphql = bool(token) if use_graphql is None else use_graphql
        self._blobs = BlobReader(
            self._api,
            raw_url or raw_url_for(base_url),
            cache=blob_cache,
            use_graphql=self._graphql,
            backoff=blob_backoff,
        )
        self._archives = archive_cache
        self._max_archive_bytes = max_archive_bytes

    @property
    def last_rate_limit(self) -> Quota | None:
        """The quota GitHub reported on its latest answer (no request spent)."""
        return self._api.last_rate_limit

    async def aclose(self) -> None:
        await self._api.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- public API --------------------------------------------------------------------------

    async def rate_limit(self) -> Quota:
        """The core REST quota (``GET /rate_limit`` costs none of it)."""
        return await read_quota(self._api)

    async def snapshot(
        self, full_name: str, ref: str | None = None, path: str | None = None
    ) -> RepoSnapshot:
        """Everything TATS knows about ``full_name`` at ``ref`` (default branch when None),
        limited to the subdirectory ``path`` when the candidate submitted one."""
        tally = Tally()
        path = (path or "").strip("/") or None
        if self._graphql:
            snap = await self._graphql_snapshot(tally, full_name, ref, path)
        else:
            snap = await self._rest_snapshot(tally, full_name, ref, path)
        snap.requests_made = tally.requests
        return snap

    async def read_sample(
        self,
        snapshot: RepoSnapshot,
        budget: SampleBudget | None = None,
        *,
        leave_out: Collection[str] = (),
    ) -> CodeSample:
        """The text of the files a reviewer would open (``tats_core.repo.sample``), at the
        snapshot's commit; files already read for any candidate come from the blob cache.
        ``leave_out``: paths the candidate was given (a starter's), never read. Unreadable
        files are listed in ``skipped``; this never raises for one of them."""
        if snapshot.empty:
            return CodeSample()
        given = set(leave_out)
        plan = choose_sample([e for e in snapshot.tree if e.path not in given], budget)
        if given:
            left_out = {**plan.left_out, GIVEN_LEFT_OUT: len(given)}
            plan = replace(plan, left_out=left_out, total_files=plan.total_files + len(given))
        return await self._blobs.read(snapshot, plan)

    async def tree_at(self, snapshot: RepoSnapshot, commit_sha: str) -> list[TreeEntry] | None:
        """The snapshot's files at an older commit (a starter the candidate built on), relative
        to its subdirectory when it has one: one recursive tree request (added to
        ``snapshot.requests_made``), cached like any other (a commit's tree never changes, so a
        re-run costs a 304). None when GitHub cannot give it (an unknown commit, or a listing
        it cut short)."""
        tally = Tally()
        reply = await self._api.get(
            tally,
            f"/repos/{snapshot.full_name}/git/trees/{quote(commit_sha, safe='')}",
            {"recursive": 1},
            allow=(404, 409, 422),
        )
        snapshot.requests_made += tally.requests
        if reply.status != 200:
            return None
        body = reply.json()
        if body.get("truncated"):
            return None
        return tree_entries(body.get("tree", []), snapshot.path)

    async def read_files(
        self, snapshot: RepoSnapshot, commit_sha: str, entries: Sequence[TreeEntry]
    ) -> dict[str, str]:
        """The text of some files at a commit of the snapshot's repository (a starter's version
        of files the candidate changed), by blob sha through the blob cache: raw downloads, or
        GraphQL with a token (its requests added to ``snapshot.requests_made``). Files that
        cannot be read are left out."""
        if not entries:
            return {}
        plan = SamplePlan(
            tuple(SampleEntry(e.path, e.sha, e.size, Why.SOURCE) for e in entries), {}, 0
        )
        sample = await self._blobs.read(replace(snapshot, commit_sha=commit_sha), plan)
        snapshot.requests_made += sample.api_requests
        return {f.path: f.text for f in sample.files}

    async def archive(self, full_name: str, commit_sha: str) -> bytes:
        """The whole repository at ``commit_sha`` (a full sha), as GitHub's tar.gz with one top
        folder ``{owner}-{repo}-{sha7}/``: from the archive cache when any candidate's commit
        was downloaded before, else one API request and the download it redirects to.
        Untrusted bytes, at most ``max_archive_bytes``; a larger archive is a permanent
        ``GitHubError``."""
        check_commit_sha(commit_sha)
        if self._archives is not None:
            cached = await in_thread(self._archives.get, commit_sha)
            if cached is not None:
                return cached
        data = await download_archive(
            self._api, full_name, commit_sha, max_bytes=self._max_archive_bytes
        )
        if self._archives is not None:
            await in_thread(self._archives.put, commit_sha, data)
        return data

    # -- REST --------------------------------------------------------------------------------

    async def _rest_snapshot(
        self, tally: Tally, full_name: str, ref: str | None, path: str | None
    ) -> RepoSnapshot:
        repo = (await self._api.get(tally, f"/repos/{full_name}")).json()
        snap = snapshot_from_repo(repo, ref, path)
        name = snap.full_name
        languages, commits, tree = await asyncio.gather(
            self._api.get(tally, f"/repos/{name}/languages"),
            self._commits(tally, name, snap.ref, path, per_page=PER_PAGE),
            self._tree(tally, name, snap.ref),
        )
        snap.languages = {k: int(v) for k, v in languages.json().items()}
        if commits is None:
            snap.empty = True
            return snap
        items, total, exact = commits
        apply_commits(snap, [commit_from_rest(c) for c in items], total, exact)
        apply_tree(snap, *tree)
        if ref is None and is_thin(snap):
            await self._rest_pick_branch(tally, snap)
        await self._files(tally, snap)
        return snap

    async def _commits(
        self, tally: Tally, name: str, ref: str, path: str | None, *, per_page: int
    ) -> tuple[list[dict[str, Any]], int, bool] | None:
        """Newest commits, exact total, and whether the total is exact; None when empty."""
        params: dict[str, Any] = {"sha": ref, "per_page": per_page}
        if path:
            params["path"] = path
        not_found = f"branch or ref '{ref}' not found"
        reply = await self._api.get(
            tally, f"/repos/{name}/commits", params, allow=(409,), not_found=not_found
        )
        if reply.status == 409:  # "Git Repository is empty."
            return None
        items = reply.json()
        pages = last_page(reply.link)
        if not pages or pages <= 1:
            return items, len(items), True
        last = await self._api.get(tally, f"/repos/{name}/commits", {**params, "page": pages})
        return items, per_page * (pages - 1) + len(last.json()), True

    async def _tree(self, tally: Tally, name: str, sha: str) -> tuple[list[dict[str, Any]], bool]:
        reply = await self._api.get(
            tally,
            f"/repos/{name}/git/trees/{quote(sha, safe='')}",
            {"recursive": 1},
            allow=(409,),
            not_found=f"branch or ref '{sha}' not found",
        )
        if reply.status == 409:
            return [], False
        body = reply.json()
        return body.get("tree", []), bool(body.get("truncated"))

    async def _rest_pick_branch(self, tally: Tally, snap: RepoSnapshot) -> None:
        reply = await self._api.get(
            tally, f"/repos/{snap.full_name}/branches", {"per_page": PER_PAGE}
        )
        others = [
            b["name"]
            for b in reply.json()
            if b["name"] != snap.ref and b.get("commit", {}).get("sha") != snap.head_sha
        ]
        probes = await asyncio.gather(
            *(self._probe(tally, snap.full_name, b) for b in others[:MAX_BRANCH_PROBES])
        )
        best = max((p for p in probes if p), key=lambda p: p[2], default=None)
        if best is None or best[2] <= snap.commit_count:
            snap.other_branches = others
            return
        branch, items, total, exact = best
        if not exact:
            items, total, exact = await self._commits(
                tally, snap.full_name, branch, None, per_page=PER_PAGE
            ) or ([], 0, True)
        tree = await self._tree(tally, snap.full_name, branch)
        switch_branch(snap, branch, others, snap.commit_count)
        apply_commits(snap, [commit_from_rest(c) for c in items], total, exact)
        apply_tree(snap, *tree)

    async def _probe(
        self, tally: Tally, name: str, branch: str
    ) -> tuple[str, list[dict[str, Any]], int, bool] | None:
        """A branch's newest commits and count; None when GitHub cannot list them."""
        params = {"sha": branch, "per_page": PER_PAGE}
        reply = await self._api.get(tally, f"/repos/{name}/commits", params, allow=(404, 409, 422))
        if reply.status != 200:
            return None
        items = reply.json()
        pages = last_page(reply.link)
        # More than one page is plainly more than a thin branch; count exactly only if chosen.
        return branch, items, len(items) if not pages else PER_PAGE * pages, not pages

    async def _files(
        self, tally: Tally, snap: RepoSnapshot, have: dict[str, str] | None = None
    ) -> None:
        """README and root manifests, only those the tree shows (no 404s spent)."""
        have = have or {}
        wanted = wanted_files(snap)
        prefix = f"{snap.path}/" if snap.path else ""

        async def fetch(rel: str) -> tuple[str, str | None]:
            if rel in have:
                return rel, have[rel]
            reply = await self._api.get(
                tally,
                f"/repos/{snap.full_name}/contents/{quote(prefix + rel)}",
                {"ref": snap.ref},
                accept=RAW,
                allow=(404,),
            )
            return rel, reply.body if reply.status == 200 else None

        results = dict(await asyncio.gather(*(fetch(rel) for rel in wanted)))
        readme = snap.readme_path
        if readme is None and snap.tree_truncated:
            # The listing was cut short; a README may exist all the same.
            readme = next((n for n in repo_files.README_SPELLINGS if n in have), None)
            if readme:
                snap.readme_path, results[readme] = readme, have[readme]
        if readme is None and snap.tree_truncated and not snap.path:
            reply = await self._api.get(
                tally,
                f"/repos/{snap.full_name}/readme",
                {"ref": snap.ref},
                accept=RAW,
                allow=(404,),
            )
            if reply.status == 200:
                snap.readme_path, results["README"] = "README", reply.body
                readme = "README"
        readme_text = results.get(readme) if readme else None
        if readme_text is not None:
            snap.readme = readme_text[:MAX_README_CHARS]
        snap.manifests = {
            rel: text for rel, text in results.items() if rel != readme and text is not None
        }

    # -- GraphQL -----------------------------------------------------------------------------

    async def _query(
        self, tally: Tally, full_name: str, rev: str, path: str | None
    ) -> graphql.ParsedRepo:
        owner, _, name = full_name.partition("/")
        payload = {
            "query": graphql.QUERY,
            "variables": graphql.variables(owner, name, rev, path),
        }
        response = await self._api.post_graphql(tally, payload)
        if response.status_code != 200:
            raise self._api.error(response, "repository not found or private")
        try:
            body = response.json()
        except ValueError as exc:
            raise GitHubError("GitHub GraphQL answered with invalid JSON", transient=True) from exc
        graphql.check_errors(body, full_name, self._api.retry_after(response.headers))
        return graphql.parse(body)

    async def _graphql_snapshot(
        self, tally: Tally, full_name: str, ref: str | None, path: str | None
    ) -> RepoSnapshot:
        parsed = await self._query(tally, full_name, ref or "HEAD", path)
        snap = snapshot_from_repo(parsed.repo, ref, path)
        snap.languages = parsed.languages
        if parsed.empty:
            snap.empty = True
            return snap
        if parsed.commits is None:
            raise GitHubError(f"branch or ref '{ref}' not found")
        apply_commits(snap, parsed.commits, parsed.commit_count, True)
        apply_tree(snap, *await self._tree(tally, snap.full_name, snap.head_sha or snap.ref))
        if ref is None and is_thin(snap):
            others = [b for b in parsed.branches if b.name != snap.ref and b.oid != snap.head_sha]
            best = max(others, key=lambda b: b.commit_count, default=None)
            if best is None or best.commit_count <= snap.commit_count:
                snap.other_branches = [b.name for b in others]
            else:
                default_count = snap.commit_count
                parsed = await self._query(tally, snap.full_name, best.name, path)
                if parsed.commits is not None:
                    switch_branch(snap, best.name, [b.name for b in others], default_count)
                    apply_commits(snap, parsed.commits, parsed.commit_count, True)
                    tree = await self._tree(tally, snap.full_name, snap.head_sha or best.name)
                    apply_tree(snap, *tree)
        await self._files(tally, snap, have=parsed.files)
        return snap
