"""Repositories on disk in the GitHub-fixtures format, as the replay server reads them.

``<repos_dir>/<owner>__<name>/``:

- ``repo.json``, ``languages.json``, ``commits.json`` (default branch, newest first),
  ``tree.json`` (recursive tree of the default branch), ``branches.json``, ``readme.md`` (the raw
  README, when there is one), ``contents/`` (raw files by path: root manifests, or a
  subdirectory's README for a subdirectory submission);
- optionally ``blobs/<sha>``: the bytes of the tree's files by git blob sha (served raw, by
  ``contents/{path}``, ``git/blobs/{sha}`` and GraphQL blob objects), shared by every branch;
- optionally ``branches/<branch>/`` with the same files for a non-default branch;
- optionally a ``"files": [paths]`` list on a commit, so ``commits?path=`` can filter
  (without it every commit is taken to touch every path);
- optionally ``trees/<commit sha>.json``: the tree at an older commit (a starter the candidate
  built on). Without it, a tree asked for by the sha of a commit that heads no branch answers
  404: the directory does not hold it.

``<repos_dir>/redirects.json`` maps an old ``owner/name`` to the current one (renames answer 301).

A branch whose commits the directory does not hold (its head is neither in ``commits.json`` nor
in ``branches/<branch>/``) answers 404 on REST and ``totalCount: 0`` on GraphQL.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from tats_core.repo.files import is_readme


@dataclass
class RefData:
    """One branch's commits, tree and files."""

    directory: Path
    commits: list[dict[str, Any]]
    tree: dict[str, Any] | None
    readme: str | None
    blobs: Path | None = None  # the repository's ``blobs/`` folder

    @cached_property
    def _shas(self) -> dict[str, str]:
        entries = (self.tree or {}).get("tree", [])
        return {e["path"]: str(e.get("sha")) for e in entries if e.get("type") == "blob"}

    def blob_sha(self, path: str) -> str | None:
        return self._shas.get(path)

    def blob(self, path: str) -> bytes | None:
        """A file's bytes at this ref, from ``blobs/<sha>`` (or ``file`` as UTF-8)."""
        sha = self.blob_sha(path)
        if sha and self.blobs is not None and (self.blobs / sha).is_file():
            return (self.blobs / sha).read_bytes()
        text = self.file(path, from_blobs=False)
        return None if text is None else text.encode()

    def file(self, path: str, *, from_blobs: bool = True) -> str | None:
        """A file's text at this ref: ``contents/<path>``, the README the tree lists, or the
        file's blob."""
        candidate = self.directory / "contents" / path
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
        if "/" not in path and self.readme is not None and self.tree is not None:
            names = {e["path"] for e in self.tree.get("tree", []) if e.get("type") == "blob"}
            if path in names and is_readme(path):
                return self.readme
            # A truncated listing may leave the README out; its usual name still finds it.
            if (
                self.tree.get("truncated")
                and path == "README.md"
                and not any(is_readme(n) for n in names)
            ):
                return self.readme
        sha = self.blob_sha(path) if from_blobs else None
        if sha and self.blobs is not None and (self.blobs / sha).is_file():
            return (self.blobs / sha).read_text(encoding="utf-8", errors="replace")
        return None

    @property
    def head(self) -> str | None:
        return self.commits[0]["sha"] if self.commits else None


@dataclass
class RepoData:
    directory: Path
    repo: dict[str, Any]
    languages: dict[str, int]
    branches: list[dict[str, Any]]
    default: RefData
    by_branch: dict[str, RefData] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return str(self.repo["full_name"])

    @property
    def id(self) -> int:
        return int(self.repo.get("id") or zlib.crc32(self.full_name.lower().encode()))

    def blob(self, sha: str) -> bytes | None:
        path = self.directory / "blobs" / sha
        return path.read_bytes() if len(sha) >= 7 and path.is_file() else None

    @property
    def empty(self) -> bool:
        return not self.default.commits

    def file_at(self, rev: str, path: str) -> bytes | None:
        """A file's bytes at a branch or commit: from the tree held for that commit when there
        is one (``trees/<sha>.json``), else as the branch holding the commit has it."""
        held = self.directory / "trees" / f"{rev}.json"
        if held.is_file():
            entries = json.loads(held.read_text(encoding="utf-8")).get("tree", [])
            sha = next((e["sha"] for e in entries if e.get("path") == path), None)
            return self.blob(str(sha)) if sha else None
        data = self.ref(rev)
        return data.blob(path) if data is not None else None

    def tree_at(self, rev: str) -> dict[str, Any] | None:
        """The recursive tree at a branch, commit or tree sha; None when not held."""
        held = self.directory / "trees" / f"{rev}.json"
        if held.is_file():
            return dict(json.loads(held.read_text(encoding="utf-8")))
        data = self.ref(rev)
        if data is None or data.tree is None:
            return None
        heads = {b["commit"]["sha"] for b in self.branches} | {
            d.head for d in (self.default, *self.by_branch.values()) if d.head
        }
        is_older_commit = any(
            c["sha"] == rev or (len(rev) >= 7 and c["sha"].startswith(rev))
            for d in (self.default, *self.by_branch.values())
            for c in d.commits
        ) and not any(h == rev or (len(rev) >= 7 and h.startswith(rev)) for h in heads)
        return None if is_older_commit else data.tree

    def ref(self, rev: str | None) -> RefData | None:
        """The data of a branch name, commit SHA or ``HEAD``; None when not held."""
        if rev in (None, "", "HEAD", self.repo.get("default_branch")):
            return self.default
        assert rev is not None
        if rev in self.by_branch:
            return self.by_branch[rev]
        head = next((b["commit"]["sha"] for b in self.branches if b["name"] == rev), rev)
        for data in (self.default, *self.by_branch.values()):
            for i, commit in enumerate(data.commits):
                if commit["sha"] == head or (len(head) >= 7 and commit["sha"].startswith(head)):
                    return replace(data, commits=data.commits[i:])
            if data.tree is not None and data.tree.get("sha") == rev:
                return data
        return None


def _json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


def _ref_data(directory: Path, blobs: Path) -> RefData:
    readme = directory / "readme.md"
    return RefData(
        blobs=blobs,
        directory=directory,
        commits=_json(directory / "commits.json", []),
        tree=_json(directory / "tree.json", None),
        readme=readme.read_text(encoding="utf-8", errors="replace") if readme.is_file() else None,
    )


def load_repo(directory: Path) -> RepoData:
    branches_dir = directory / "branches"
    by_branch = {}
    if branches_dir.is_dir():
        by_branch = {
            d.name: _ref_data(d, directory / "blobs")
            for d in sorted(branches_dir.iterdir())
            if d.is_dir()
        }
    return RepoData(
        directory=directory,
        repo=_json(directory / "repo.json", {}),
        languages=_json(directory / "languages.json", {}),
        branches=_json(directory / "branches.json", []),
        default=_ref_data(directory, directory / "blobs"),
        by_branch=by_branch,
    )


class RepoStore:
    """Every repository under ``repos_dir``, loaded on first use, found case-insensitively."""

    def __init__(self, repos_dir: Path) -> None:
        self.repos_dir = Path(repos_dir)
        self._dirs: dict[str, Path] = {}
        self._ids: dict[int, str] = {}
        self._loaded: dict[str, RepoData] = {}
        self.redirects = {
            k.lower(): v for k, v in _json(self.repos_dir / "redirects.json", {}).items()
        }
        for directory in sorted(self.repos_dir.iterdir()) if self.repos_dir.is_dir() else ():
            repo = _json(directory / "repo.json", None)
            if directory.is_dir() and repo and repo.get("full_name"):
                key = str(repo["full_name"]).lower()
                self._dirs[key] = directory
                data = RepoData(directory, repo, {}, [], RefData(directory, [], None, None))
                self._ids[data.id] = key

    def get(self, full_name: str) -> RepoData | None:
        key = full_name.lower()
        if key not in self._dirs:
            return None
        if key not in self._loaded:
            self._loaded[key] = load_repo(self._dirs[key])
        return self._loaded[key]

    def by_id(self, repo_id: int) -> RepoData | None:
        key = self._ids.get(repo_id)
        return self.get(key) if key else None

    def renamed(self, full_name: str) -> RepoData | None:
        """The repository an old name now points to (following chained renames)."""
        seen = set()
        key = full_name.lower()
        while key in self.redirects and key not in seen:
            seen.add(key)
            key = self.redirects[key].lower()
        return self.get(key) if seen else None
