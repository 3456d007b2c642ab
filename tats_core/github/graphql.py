"""The one GraphQL query a snapshot costs with a token, and how its answer is read.

One query returns the repository's facts, languages, the newest 100 commits of the ref with the
total count, every branch head with its commit count (to spot work on another branch), and the
README and root manifests as blobs, asked for by name (``<rev>:<path>``; absent ones are null).
The recursive tree is not in it: GraphQL trees nest level by level, so the REST recursive tree
(one request, by commit SHA) is cheaper.

The query text is fixed; only variables change, so the local replay server can answer it
without a GraphQL engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tats_core.errors import GitHubError
from tats_core.github.shapes import authors, parse_time
from tats_core.repo import files as repo_files
from tats_core.repo.snapshot import CommitInfo

# README names (every usual spelling) and root manifests, asked for by exact path.
FILE_NAMES = repo_files.README_SPELLINGS + repo_files.MANIFESTS
BLOB = "... on Blob { text isBinary }"

QUERY = (
    "query Snapshot($owner: String!, $name: String!, $rev: String!, $path: String, "
    + ", ".join(f"$f{i}: String!" for i in range(len(FILE_NAMES)))
    + """) {
  rateLimit { limit remaining resetAt cost }
  repository(owner: $owner, name: $name) {
    nameWithOwner isFork isArchived isEmpty description createdAt pushedAt diskUsage
    parent { nameWithOwner }
    templateRepository { nameWithOwner }
    defaultBranchRef { name }
    languages(first: 20, orderBy: {field: SIZE, direction: DESC}) { edges { size node { name } } }
    refs(refPrefix: "refs/heads/", first: 30) {
      nodes { name target { oid ... on Commit { history(first: 1) { totalCount } } } }
    }
    commit: object(expression: $rev) {
      ... on Commit {
        oid
        history(first: 100, path: $path) { totalCount nodes { oid message authoredDate author { name email user { login } } } }
      }
    }
"""
    + "\n".join(f"    f{i}: object(expression: $f{i}) {{ {BLOB} }}" for i in range(len(FILE_NAMES)))
    + "\n  }\n}\n"
)


@dataclass
class Branch:
    name: str
    oid: str | None
    commit_count: int


@dataclass
class ParsedRepo:
    repo: dict[str, Any]  # in the shape of REST ``GET /repos/{o}/{r}``
    empty: bool
    languages: dict[str, int]
    commits: list[CommitInfo] | None  # None: the revision does not resolve (or empty repo)
    commit_count: int
    branches: list[Branch] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # path relative to the submission root


def variables(owner: str, name: str, rev: str, path: str | None) -> dict[str, Any]:
    prefix = f"{path}/" if path else ""
    files = {f"f{i}": f"{rev}:{prefix}{n}" for i, n in enumerate(FILE_NAMES)}
    return {"owner": owner, "name": name, "rev": rev, "path": path, **files}


def check_errors(body: dict[str, Any], full_name: str, retry_after: float | None) -> None:
    errors = body.get("errors") or []
    types = {e.get("type") for e in errors}
    if "RATE_LIMITED" in types:
        wait = retry_after or 60.0
        raise GitHubError(
            f"GitHub GraphQL rate limit reached; retry in {wait:.0f} s",
            transient=True,
            retry_after=wait,
        )
    if "NOT_FOUND" in types and not (body.get("data") or {}).get("repository"):
        raise GitHubError("repository not found or private (GraphQL NOT_FOUND)")
    if errors and not (body.get("data") or {}).get("repository"):
        message = str(errors[0].get("message", ""))[:200]
        raise GitHubError(f"GitHub GraphQL error: {message}")


def parse(body: dict[str, Any]) -> ParsedRepo:
    repo = body["data"]["repository"]
    default = (repo.get("defaultBranchRef") or {}).get("name")
    rest_shape = {
        "full_name": repo["nameWithOwner"],
        "default_branch": default,
        "fork": repo.get("isFork"),
        "archived": repo.get("isArchived"),
        "description": repo.get("description"),
        "created_at": repo.get("createdAt"),
        "pushed_at": repo.get("pushedAt"),
        "size": repo.get("diskUsage") or 0,
        "parent": {"full_name": (repo.get("parent") or {}).get("nameWithOwner")},
        "template_repository": {
            "full_name": (repo.get("templateRepository") or {}).get("nameWithOwner")
        },
    }
    languages = {
        e["node"]["name"]: int(e["size"]) for e in (repo.get("languages") or {}).get("edges", [])
    }
    commit = repo.get("commit") or {}
    history = commit.get("history")
    commits = None
    if history is not None:
        commits = [
            CommitInfo(
                n["oid"],
                n.get("message", ""),
                parse_time(n.get("authoredDate")),
                authors=_authors(n.get("author")),
            )
            for n in history.get("nodes", [])
        ]
    branches = []
    for node in (repo.get("refs") or {}).get("nodes", []):
        target = node.get("target") or {}
        count = ((target.get("history") or {}).get("totalCount")) or 0
        branches.append(Branch(node["name"], target.get("oid"), int(count)))
    files = {}
    for i, name in enumerate(FILE_NAMES):
        blob = repo.get(f"f{i}")
        if blob and blob.get("text") is not None and not blob.get("isBinary"):
            files[name] = blob["text"]
    return ParsedRepo(
        repo=rest_shape,
        empty=bool(repo.get("isEmpty")) or default is None,
        languages=languages,
        commits=commits,
        commit_count=int(history["totalCount"]) if history else 0,
        branches=branches,
        files=files,
    )


def _authors(author: dict[str, Any] | None) -> tuple[str, ...]:
    author = author or {}
    return authors(author.get("name"), author.get("email"), (author.get("user") or {}).get("login"))


# -- file text: many blobs per query, aliased per path --------------------------------------

BLOB_TEXT = "... on Blob { text byteSize isBinary isTruncated }"
MAX_BLOBS_PER_QUERY = 25  # a few queries of bounded size per candidate, far below node limits
MAX_BLOB_BYTES_PER_QUERY = 200_000


def blob_query(count: int) -> str:
    """``b0 .. b{count-1}``: one ``<commit sha>:<path>`` expression each (variables ``$b{i}``)."""
    params = ", ".join(f"$b{i}: String!" for i in range(count))
    aliases = "\n".join(
        f"    b{i}: object(expression: $b{i}) {{ {BLOB_TEXT} }}" for i in range(count)
    )
    return (
        f"query Blobs($owner: String!, $name: String!, {params}) {{\n"
        "  rateLimit { cost remaining }\n"
        f"  repository(owner: $owner, name: $name) {{\n{aliases}\n  }}\n}}\n"
    )
