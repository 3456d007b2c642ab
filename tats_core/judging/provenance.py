"""The candidate's own work: what they were given, and what they added to it.

A take-home often starts from something the candidate did not write. Judged on the whole tree, a
thin layer over a 40 KB starter looks like 40 KB of work, and the starter's commits look like a
history. This module separates the two, from the snapshot alone plus one tree:

- **the starter** ends at one commit of the history (``starter_ref``): for a fork, the newest
  commit authored before the fork was made (the parent's); for a template copy, its first commit
  (GitHub writes the template's files in it); otherwise the oldest commits when another person
  wrote them all and the candidate's own follow (an assignment pushed by the employer, then
  answered). The tree at that commit (one more tree request, ``GitHubClient.tree_at``) holds the
  starter's files: a file of the submission with the same blob sha came with it, unchanged;
- **generator files** (``generated.GENERATOR_FILES``: Create React App, Rails, Spring
  Initializr...) are the project generator's, not the candidate's;
- **files common to the job** (``job_given``, passed in by the caller: shas found in another
  submission's starter, or in most of the job's submissions) are the assignment's.

``OwnWork`` says which files are given and why, which of the starter's files the candidate
changed, and which commits are the candidate's own; ``signals`` judges substance, tests and
history on that part only. Pure: no I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from tats_core.judging.generated import is_generator_file
from tats_core.judging.history import is_housekeeping
from tats_core.repo import files as repo_files
from tats_core.repo.snapshot import CommitInfo, RepoSnapshot, TreeEntry
from tats_core.wording import plural


class Origin(StrEnum):
    """How the starter reached the repository."""

    FORK = "fork"
    TEMPLATE = "template"
    STARTER_COMMITS = "starter_commits"


class Given(StrEnum):
    """Why a file is not the candidate's own."""

    STARTER = "starter"
    GENERATOR = "generator"
    JOB = "common to the job"


@dataclass(frozen=True)
class StarterRef:
    """Where the starter ends in the history: the commit whose tree holds it."""

    commit: str
    origin: Origin
    commits: int  # how many commits of the history brought it
    source: (
        str  # "forked from acme/starter", "the template acme/tpl", "3 commits by another author"
    )


@dataclass
class OwnWork:
    """Which files and commits of a submission are the candidate's own."""

    starter: StarterRef | None = None
    starter_tree_read: bool = False  # the starter's files are known (its tree was read)
    starter_code_bytes: int = 0  # code in the starter's tree
    given: dict[str, Given] = field(default_factory=dict)  # path -> why it is not theirs
    modified: list[str] = field(default_factory=list)  # starter files the candidate changed
    # Of the changed files whose two versions were read: the bytes of the lines the candidate
    # added or rewrote (``added_bytes``), which count as their code instead of the whole file.
    added: dict[str, int] = field(default_factory=dict)
    own_commits: list[CommitInfo] = field(default_factory=list)  # newest first
    job_reasons: dict[str, str] = field(default_factory=dict)  # path -> "in 9 of 10 ..."

    def given_paths(self, *why: Given) -> list[str]:
        return sorted(p for p, reason in self.given.items() if not why or reason in why)


def identities(commit: CommitInfo) -> frozenset[str]:
    return frozenset(a.strip().lower() for a in commit.authors if a.strip())


def _starter_commits(commits: Sequence[CommitInfo], owner: str) -> int:
    """How many of the oldest commits another person wrote before the candidate's first one.

    The candidate is the author of the newest commit that is not housekeeping (a README edit or
    a merge, which anyone with access may make), and the repository's owner (a commit GitHub
    links to the owner's account is theirs, whatever name it was made under). Zero when the
    candidate wrote the oldest commit, when no author is known, or when no commit of the
    candidate's follows."""
    newest_work = next((c for c in commits if not is_housekeeping(c)), commits[0])
    if not identities(newest_work):
        return 0
    candidate = identities(newest_work) | {owner.lower()}
    count = 0
    for commit in reversed(commits):
        who = identities(commit)
        if not who or who & candidate:
            break
        count += 1
    return count if count < len(commits) else 0


def starter_ref(snapshot: RepoSnapshot) -> StarterRef | None:
    """The commit where the starter ends, when the history shows one; None otherwise.

    Only the commits the snapshot lists (the newest 100) are looked at: a starter whose end lies
    beyond them is not found, and the whole history counts as the candidate's."""
    commits = snapshot.commits
    if len(commits) < 2 or snapshot.commit_count > len(commits):
        return None
    if snapshot.fork and snapshot.created_at is not None:
        before = [c for c in commits if c.authored_at and c.authored_at <= snapshot.created_at]
        if before and len(before) < len(commits):
            source = f"forked from {snapshot.parent}" if snapshot.parent else "forked"
            return StarterRef(before[0].sha, Origin.FORK, len(before), source)
        return None
    if snapshot.template:
        source = f"the template {snapshot.template}"
        return StarterRef(commits[-1].sha, Origin.TEMPLATE, 1, source)
    count = _starter_commits(commits, snapshot.full_name.split("/", 1)[0])
    if not count:
        return None
    boundary = commits[len(commits) - count]
    source = f"{plural(count, 'commit')} by another author"
    return StarterRef(boundary.sha, Origin.STARTER_COMMITS, count, source)


def all_theirs(snapshot: RepoSnapshot) -> OwnWork:
    """Every file and commit counted as the candidate's (how TATS judged before it looked for
    what was given; the benchmark's comparison)."""
    return OwnWork(own_commits=list(snapshot.commits))


def own_work(
    snapshot: RepoSnapshot,
    starter: StarterRef | None,
    starter_tree: Sequence[TreeEntry] | None,
    job_given: Mapping[str, str] | None = None,
) -> OwnWork:
    """Split the snapshot's files and commits into the candidate's and what they were given.

    ``starter_tree``: the tree at ``starter.commit`` (None when not read). A starter tree that is
    the submission's whole tree unchanged says nothing (a source that cannot tell one commit's
    tree from another's answers so), and is ignored. ``job_given``: blob sha -> why it is the
    job's (``triage.shared_code.job_given``)."""
    work = OwnWork(starter=starter)
    blobs = [e for e in snapshot.tree if e.type == "blob"]
    if starter is not None:
        index = next((i for i, c in enumerate(snapshot.commits) if c.sha == starter.commit), None)
        work.own_commits = list(snapshot.commits[:index]) if index is not None else []
    else:
        work.own_commits = list(snapshot.commits)
    starter_blobs = [e for e in starter_tree or () if e.type == "blob"]
    if starter_blobs and not _same_files(starter_blobs, blobs):
        work.starter_tree_read = True
        _mark_starter(work, blobs, starter_blobs)
    for entry in blobs:
        if entry.path in work.given:
            continue
        if is_generator_file(entry.path) and repo_files.code_language(entry.path):
            work.given[entry.path] = Given.GENERATOR
        elif job_given and entry.sha in job_given:
            work.given[entry.path] = Given.JOB
            work.job_reasons[entry.path] = job_given[entry.sha]
    return work


def _same_files(a: Iterable[TreeEntry], b: Iterable[TreeEntry]) -> bool:
    return {(e.path, e.sha) for e in a} == {(e.path, e.sha) for e in b}


def _mark_starter(work: OwnWork, blobs: list[TreeEntry], starter: list[TreeEntry]) -> None:
    shas = {e.sha for e in starter if e.sha}
    by_path = {e.path: e.sha for e in starter}
    work.starter_code_bytes = sum(
        repo_files.counted_bytes(e.path, e.size)
        for e in starter
        if repo_files.code_language(e.path)
    )
    for entry in blobs:
        if entry.sha and entry.sha in shas:
            work.given[entry.path] = Given.STARTER
        elif entry.path in by_path and repo_files.code_language(entry.path):
            work.modified.append(entry.path)


def added_bytes(before: str, after: str) -> int:
    """Bytes of the lines ``after`` adds to or rewrites in ``before``: the candidate's part of a
    starter file they changed."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return sum(
        len(line) + 1
        for tag, _, _, start, end in matcher.get_opcodes()
        if tag in ("insert", "replace")
        for line in new[start:end]
    )


def changed_entries(
    snapshot: RepoSnapshot, own: OwnWork, starter_tree: Sequence[TreeEntry], limit: int
) -> list[tuple[TreeEntry, TreeEntry]]:
    """(starter's version, candidate's version) of the changed code files worth comparing: at
    most ``limit``, the smallest first (a diff of a huge file says little more)."""
    before = {e.path: e for e in starter_tree if e.type == "blob"}
    after = {e.path: e for e in snapshot.tree if e.type == "blob"}
    pairs = [(before[p], after[p]) for p in own.modified if p in before and p in after]
    return sorted(pairs, key=lambda pair: pair[1].size)[:limit]
