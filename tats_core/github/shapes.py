"""GitHub's JSON shapes -> pieces of a ``RepoSnapshot`` (shared by the REST and GraphQL paths).

Pure functions: no HTTP here, so ``github.py`` stays about requests and errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tats_core.errors import GitHubError
from tats_core.repo import files as repo_files
from tats_core.repo.snapshot import CommitInfo, RepoSnapshot, TreeEntry
from tats_core.wording import plural

MAX_MANIFESTS = 4
THIN_COMMITS = 3
THIN_CODE_FILES = 2


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def snapshot_from_repo(repo: dict[str, Any], ref: str | None, path: str | None) -> RepoSnapshot:
    """The repository's facts from ``GET /repos/{o}/{r}`` (after any rename)."""
    return RepoSnapshot(
        full_name=repo["full_name"],
        default_branch=repo.get("default_branch") or "main",
        ref=ref or repo.get("default_branch") or "main",
        path=path,
        fork=bool(repo.get("fork")),
        archived=bool(repo.get("archived")),
        description=repo.get("description"),
        created_at=parse_time(repo.get("created_at")),
        pushed_at=parse_time(repo.get("pushed_at")),
        size_kb=int(repo.get("size") or 0),
        parent=(repo.get("parent") or {}).get("full_name"),
        template=(repo.get("template_repository") or {}).get("full_name"),
    )


def commit_from_rest(item: dict[str, Any]) -> CommitInfo:
    commit = item.get("commit", {})
    author = commit.get("author") or commit.get("committer") or {}
    login = (item.get("author") or {}).get("login")
    return CommitInfo(
        item["sha"],
        commit.get("message", ""),
        parse_time(author.get("date")),
        authors=authors(author.get("name"), author.get("email"), login),
    )


def authors(*names: str | None) -> tuple[str, ...]:
    """What a commit says of its author (name, email, login), the blanks left out."""
    return tuple(n for n in names if n)


def apply_commits(snap: RepoSnapshot, commits: list[CommitInfo], total: int, exact: bool) -> None:
    snap.commits = commits[:100]
    snap.commit_count = total
    snap.commit_count_exact = exact
    snap.head_sha = commits[0].sha if commits else None
    snap.commit_sha = snap.head_sha


def tree_entries(entries: list[dict[str, Any]], path: str | None) -> list[TreeEntry]:
    """A recursive tree's blobs and folders, limited to (and relative to) ``path`` when set."""
    tree = [
        TreeEntry(e["path"], e.get("type", "blob"), int(e.get("size") or 0), e.get("sha") or "")
        for e in entries
    ]
    tree = [e for e in tree if e.type in ("blob", "tree")]
    if path:
        prefix = path + "/"
        tree = [
            TreeEntry(e.path[len(prefix) :], e.type, e.size, e.sha)
            for e in tree
            if e.path.startswith(prefix)
        ]
    return tree


def apply_tree(snap: RepoSnapshot, entries: list[dict[str, Any]], truncated: bool) -> None:
    """The tree, limited to (and relative to) the submission's subdirectory when it has one."""
    tree = tree_entries(entries, snap.path)
    if snap.path and not tree and not truncated:
        raise GitHubError(f"path '{snap.path}' not found on '{snap.ref}'")
    snap.tree, snap.tree_truncated = tree, truncated
    snap.readme_path = readme_path(tree)


def readme_path(tree: list[TreeEntry]) -> str | None:
    return repo_files.preferred_readme([e.path for e in tree if e.type == "blob"])


def wanted_files(snap: RepoSnapshot) -> list[str]:
    """README and the most telling root manifests, among those the tree actually holds."""
    present = {e.path for e in snap.tree if e.type == "blob" and "/" not in e.path}
    wanted = [snap.readme_path] if snap.readme_path else []
    manifests = [m for m in repo_files.MANIFESTS if m in present]
    manifests += sorted(p for p in present if p.endswith(".csproj"))
    return wanted + manifests[:MAX_MANIFESTS]


def is_thin(snap: RepoSnapshot) -> bool:
    """Little on the default branch: worth checking whether another branch holds the work."""
    code = sum(1 for e in snap.tree if e.type == "blob" and repo_files.code_language(e.path))
    return snap.commit_count <= THIN_COMMITS or code <= THIN_CODE_FILES


def switch_branch(snap: RepoSnapshot, branch: str, others: list[str], default_count: int) -> None:
    snap.branch_note = (
        f"Analysed branch '{branch}': the default branch '{snap.default_branch}' holds little "
        f"({plural(default_count, 'commit')})."
    )
    snap.ref = branch
    snap.other_branches = [b for b in others if b != branch]
