"""The candidate's own work (#19, item 2): the starter a submission builds on (a fork's parent,
a template, commits another author pushed first), generator files and the job's files are set
aside; substance and history are judged on the rest, and the starter's size is said beside it."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tats_core.github.client import GitHubClient
from tats_core.judging.provenance import (
    Given,
    Origin,
    added_bytes,
    own_work,
    starter_ref,
)
from tats_core.judging.signals import compute_signals, own_work_phrase
from tats_core.processing.judgement import read_own_work
from tats_core.repo.snapshot import CommitInfo, RepoSnapshot, TreeEntry
from tats_dev.github_replay import create_app
from tats_dev.replay_build import write_repo
from tests.servers import serve

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
EMPLOYER = ("Hiring Team", "hiring@acme.example", "acme-hiring")
CANDIDATE = ("Ada", "ada@users.noreply.example", "ada")


def history(*authored: tuple[tuple[str, ...], str], step=timedelta(hours=5)) -> list[CommitInfo]:
    """Oldest first in the arguments, newest first in the result."""
    made = [
        CommitInfo(f"{i:040x}", message, T0 + i * step, authors=who)
        for i, (who, message) in enumerate(authored)
    ]
    return made[::-1]


def repo(commits: list[CommitInfo], tree: list[TreeEntry] = (), **facts) -> RepoSnapshot:
    return RepoSnapshot(
        "ada/todo",
        "main",
        "main",
        commits=commits,
        commit_count=len(commits),
        head_sha=commits[0].sha if commits else None,
        tree=list(tree),
        **facts,
    )


PUSHED = history(
    (EMPLOYER, "Starter"), (EMPLOYER, "Brief"), (CANDIDATE, "Add create"), (CANDIDATE, "Add delete")
)


def test_commits_another_person_pushed_before_the_candidates_are_the_starter():
    ref = starter_ref(repo(PUSHED))
    assert ref is not None and ref.origin == Origin.STARTER_COMMITS
    assert (ref.commit, ref.commits) == (f"{1:040x}", 2)  # the newest of the employer's
    assert ref.source == "2 commits by another author"


@pytest.mark.parametrize(
    "commits",
    [
        history((CANDIDATE, "Start"), (EMPLOYER, "Review fixes"), (CANDIDATE, "More")),
        history((EMPLOYER, "Starter"), (EMPLOYER, "Update README.md")),  # nobody answered
        history((("",), "Start"), (CANDIDATE, "More")),  # an author GitHub does not name
        # The owner's account wrote the first commits, under another name and email.
        history((("John at work", "john@corp.example", "ada"), "Start"), (CANDIDATE, "More")),
    ],
    ids=["candidate-wrote-the-first", "no-commit-of-the-candidate", "unknown-author", "owner"],
)
def test_no_starter_when_the_history_does_not_show_one(commits):
    assert starter_ref(repo(commits)) is None


def test_a_readme_edit_by_someone_else_does_not_make_them_the_candidate():
    commits = history(
        (EMPLOYER, "Starter"), (CANDIDATE, "Add the API"), (EMPLOYER, "Update README.md")
    )
    ref = starter_ref(repo(commits))
    assert ref is not None and ref.commits == 1


def test_a_fork_starts_from_what_its_parent_held_when_it_was_made():
    commits = history(
        (EMPLOYER, "Starter"), (EMPLOYER, "Brief"), (CANDIDATE, "Work"), (CANDIDATE, "More")
    )
    snap = repo(commits, fork=True, parent="acme/starter", created_at=T0 + timedelta(hours=7))
    ref = starter_ref(snap)
    assert ref is not None and (ref.origin, ref.commits) == (Origin.FORK, 2)
    assert ref.source == "forked from acme/starter"


def test_a_template_copy_starts_from_its_first_commit():
    commits = history((CANDIDATE, "Initial commit"), (CANDIDATE, "Work"))
    ref = starter_ref(repo(commits, template="acme/starter"))
    assert ref is not None and ref.origin == Origin.TEMPLATE and ref.commit == f"{0:040x}"


def blob(path: str, sha: str, size: int = 2_000) -> TreeEntry:
    return TreeEntry(path, "blob", size, sha)


def test_files_are_the_starters_the_generators_the_jobs_or_the_candidates():
    tree = [
        blob("src/store.js", "s1"),  # unchanged from the starter
        blob("src/routes.js", "c1"),  # the starter's, changed
        blob("src/new.js", "c2"),  # the candidate's
        blob("src/setupTests.js", "g1", 240),  # Create React App's
        blob("src/shared.js", "j1"),  # in most of the job's submissions
        blob("README.md", "s2", 600),
    ]
    starter = [blob("src/store.js", "s1"), blob("src/routes.js", "s0"), blob("README.md", "s2")]
    snap = repo(PUSHED, tree, readme_path="README.md")
    work = own_work(snap, starter_ref(snap), starter, {"j1": "in 5 of the job's 6 submissions"})
    assert work.given == {
        "src/store.js": Given.STARTER,
        "README.md": Given.STARTER,
        "src/setupTests.js": Given.GENERATOR,
        "src/shared.js": Given.JOB,
    }
    assert work.modified == ["src/routes.js"]
    assert [c.message for c in work.own_commits] == ["Add delete", "Add create"]
    s = compute_signals(snap, own=work)
    assert (s.code_file_count, s.starter_commits, s.own_commit_count) == (2, 2, 2)
    assert s.readme_given and s.job_common_files == 1


def test_a_starter_tree_that_is_the_whole_submission_says_nothing():
    tree = [blob("src/a.js", "a"), blob("src/b.js", "b")]
    snap = repo(PUSHED, tree)
    work = own_work(snap, starter_ref(snap), list(tree))
    assert not work.starter_tree_read and work.given == {}
    assert len(work.own_commits) == 2  # the commits are still told apart


def test_added_bytes_count_the_lines_the_candidate_added_or_rewrote():
    before = "a = 1\n# TODO: b\nc = 3\n"
    after = "a = 1\nb = compute(a)\nc = 3\nd = b + c\n"
    assert added_bytes(before, after) == len("b = compute(a)\n") + len("d = b + c\n")
    assert added_bytes(after, after) == 0


STARTER_FILES = {
    "package.json": b'{"name": "todo", "scripts": {"test": "node --test"}}\n',
    "README.md": b"# Todo API take-home\n\n## Your task\n\nYou should finish the routes.\n",
    "src/store.js": b"".join(
        b"function f%d(x) {\n  return x * %d;\n}\n" % (i, i) for i in range(60)
    ),
    "src/routes.js": b"function create(req, res) {\n  // TODO\n  res.status(501).end();\n}\n"
    + b"".join(b"function get%d(req, res) {\n  res.json(%d);\n}\n" % (i, i) for i in range(40)),
}
DONE = STARTER_FILES["src/routes.js"].replace(
    b"  // TODO\n  res.status(501).end();\n", b"  res.status(201).json(store.add(req.body));\n"
)


def write_fork(repos: Path) -> None:
    """A fork of a starter, with one route filled in; the replay holds the starter's tree."""
    starter = write_repo(repos / "starter", "acme/starter", STARTER_FILES, commits=["Starter"])
    messages = ["Starter", "Create a todo", "Tidy"]
    fork = write_repo(repos, "ada/todo", {**STARTER_FILES, "src/routes.js": DONE}, commits=messages)
    data = json.loads((fork / "repo.json").read_text())
    data.update(fork=True, parent={"full_name": "acme/starter"}, created_at="2024-03-01T10:00:00Z")
    (fork / "repo.json").write_text(json.dumps(data))
    oldest = json.loads((fork / "commits.json").read_text())[-1]["sha"]
    (fork / "trees").mkdir()
    shutil.copy(starter / "tree.json", fork / "trees" / f"{oldest}.json")
    for path in (starter / "blobs").iterdir():
        shutil.copy(path, fork / "blobs" / path.name)
    shutil.rmtree(repos / "starter")


def test_a_fork_is_judged_by_what_it_adds_to_its_starter(tmp_path):
    write_fork(tmp_path)
    app = create_app(tmp_path, graphql=False)
    with serve(app) as url:

        async def run():
            async with GitHubClient(url, raw_url=f"{url}/raw") as github:
                snap = await github.snapshot("ada/todo")
                return snap, await read_own_work(github, snap)

        snap, work = asyncio.run(run())
    assert work.starter_tree_read and work.modified == ["src/routes.js"]
    assert work.given_paths(Given.STARTER) == ["README.md", "package.json", "src/store.js"]
    added = len(b"  res.status(201).json(store.add(req.body));\n")
    assert work.added == {"src/routes.js": added}
    assert [f.path for f in snap.sample.files] == ["src/routes.js"]  # the starter's not read
    s = compute_signals(snap, "Finish the todo REST API.", own=work)
    assert s.code_bytes == added and s.near_empty and s.readme_given
    assert own_work_phrase(s) == (
        f"adds {added} bytes of code to a starter of 4 KB (forked from acme/starter), "
        "changing 1 of its files (src/routes.js)"
    )


def test_the_replay_has_no_tree_for_an_older_commit_it_does_not_hold(tmp_path):
    write_repo(tmp_path, "ada/plain", STARTER_FILES, commits=["One", "Two"])
    app = create_app(tmp_path, graphql=False)
    with serve(app) as url:

        async def run():
            async with GitHubClient(url) as github:
                snap = await github.snapshot("ada/plain")
                return await github.tree_at(snap, snap.commits[-1].sha), snap

        older, snap = asyncio.run(run())
    assert older is None and snap.requests_made >= 5
