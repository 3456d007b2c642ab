"""What TATS knows about one repository: the GitHub snapshot, as TATS's own dataclasses.

``tats_core.github.client`` builds it from the GitHub API; the analyzers and signals read it. No SDK or
HTTP object ever leaves ``github.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tats_core.repo.sample import CodeSample


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    message: str
    authored_at: datetime | None
    # Who wrote it, as GitHub gives it (name, email, login; any may be missing): two commits
    # sharing one of these are by the same person.
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TreeEntry:
    path: str
    type: str  # "blob" or "tree"
    size: int = 0
    sha: str = ""  # the git hash of the blob's bytes: identical files share it across repos


@dataclass
class RepoSnapshot:
    full_name: str  # canonical owner/repo (after following renames)
    default_branch: str
    ref: str  # the branch or ref analysed
    path: str | None = None  # subdirectory submission (/tree/<ref>/<path>), None for the root
    empty: bool = False  # GitHub answered 409 "Git Repository is empty."
    fork: bool = False
    archived: bool = False
    description: str | None = None
    created_at: datetime | None = None
    pushed_at: datetime | None = None
    size_kb: int = 0
    languages: dict[str, int] = field(default_factory=dict)  # bytes per language
    commit_count: int = 0  # total on the ref (from pagination), not just the ones listed
    commits: list[CommitInfo] = field(default_factory=list)  # newest first, at most 100
    head_sha: str | None = None
    tree: list[TreeEntry] = field(default_factory=list)  # limited to ``path`` when set
    tree_truncated: bool = False
    readme: str | None = None  # raw README text, untrusted
    manifests: dict[str, str] = field(default_factory=dict)  # root manifests, raw, untrusted
    requests_made: int = 0  # HTTP requests this snapshot cost (304s included)
    parent: str | None = None  # full_name of the repository this one is a fork of
    template: str | None = None  # full_name of the template it was generated from
    readme_path: str | None = None  # path of ``readme`` relative to the submission root
    commit_count_exact: bool = True  # False when ``commit_count`` is a lower bound
    # Branches whose head differs from the analysed ref (listed when the default branch looked
    # thin and other branches were checked), and why ``ref`` was chosen when it is not the default.
    other_branches: list[str] = field(default_factory=list)
    branch_note: str | None = None
    # The commit whose files ``tree`` lists and ``sample`` was read at (None when empty).
    commit_sha: str | None = None
    # The files a reviewer would open, with their text (``GitHubClient.read_sample``); empty
    # until read, so analyzers work with or without it.
    sample: CodeSample = field(default_factory=CodeSample)
