"""Submissions of our own for ``bench/quality.py``: thin layers over a starter, and a small
complete solution to a small assignment, written as replay repositories.

- ``acme-hiring/todo-starter``: the employer's starter (``submissions/todo-starter``: an Express
  service whose create, update and delete routes are TODOs), three commits by the employer;
- three thin layers over it (``THIN_EDITS``: create and delete filled in, nothing else, two
  commits within the hour, the starter's README and tests left as they were), reached
  three ways: a fork of the starter, a copy of it as a template, and the starter pushed by the
  employer into the candidate's repository before the candidate's commits. Each must come out
  ``low_effort``: judged on its own part, it is a few hundred bytes;
- ``ada/roman-numerals`` (``submissions/roman-small``): a complete, tested solution to a small
  assignment, under 2.5 KB of code, committed over two days: it must not be ``low_effort``;
- ``bob/roman-numerals``: a few lines toward the same assignment, no tests: ``low_effort``.

Nothing here is special-cased by the analyzer: the same rules judge the fixtures.

    .venv/bin/python bench/starters.py OUT_DIR   # writes the repositories, prints their names
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tats_dev.replay_build import read_folder, write_repo

SUBMISSIONS = Path(__file__).with_name("submissions")
STARTER = "acme-hiring/todo-starter"
TODO_JOB = (
    "Backend take-home: starting from the provided starter, finish a REST API for a todo list "
    "(create, update and delete todos) backed by a database, with input validation and tests."
)
ROMAN_JOB = (
    "Coding exercise: write a function that converts integers from 1 to 3999 to Roman "
    "numerals and back, rejecting invalid input. Include tests and say how to run them."
)
EMPLOYER = {"name": "Hiring Team", "email": "hiring@acme.example", "login": "acme-hiring"}
CANDIDATE = {"name": "Candidate", "email": "candidate@users.noreply.example", "login": "candidate"}
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
STARTER_MESSAGES = ["Starter: Express service and store", "Starter: validation", "Starter: brief"]
THIN_MESSAGES = ["Add create route", "Add delete route"]


@dataclass(frozen=True)
class Submission:
    full_name: str
    job: str
    expected: str  # the decision it must get; "not low_effort" for the small solution
    what: str


SUBMISSIONS_JUDGED = (
    Submission("thin-fork/todo-api", TODO_JOB, "low_effort", "thin layer over a fork"),
    Submission("thin-template/todo-api", TODO_JOB, "low_effort", "thin layer over a template"),
    Submission("thin-pushed/todo-api", TODO_JOB, "low_effort", "thin layer over pushed starter"),
    Submission("ada/roman-numerals", ROMAN_JOB, "not low_effort", "small complete solution"),
    Submission("bob/roman-numerals", ROMAN_JOB, "low_effort", "small assignment, barely begun"),
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")


def _restamp(repo_dir: Path, people_and_times: list[tuple[dict[str, str], datetime]]) -> None:
    """Give the commits (oldest first in ``people_and_times``) their authors and dates."""
    commits = _load(repo_dir / "commits.json")
    for commit, (person, when) in zip(reversed(commits), people_and_times, strict=True):
        who = {"name": person["name"], "email": person["email"], "date": _iso(when)}
        commit["commit"]["author"] = commit["commit"]["committer"] = who
        commit["author"] = {"login": person["login"]}
    _dump(repo_dir / "commits.json", commits)
    repo = _load(repo_dir / "repo.json")
    repo["pushed_at"] = repo["updated_at"] = _iso(people_and_times[-1][1])
    _dump(repo_dir / "repo.json", repo)


def _hold_starter_tree(repo_dir: Path, starter_dir: Path, commit_index: int) -> None:
    """The tree at the candidate's ``commit_index``-th commit (oldest first) is the starter's:
    ``trees/<sha>.json``, and its blobs, so the replay serves that older tree."""
    commits = _load(repo_dir / "commits.json")
    sha = list(reversed(commits))[commit_index]["sha"]
    (repo_dir / "trees").mkdir(exist_ok=True)
    shutil.copy(starter_dir / "tree.json", repo_dir / "trees" / f"{sha}.json")
    for blob in (starter_dir / "blobs").iterdir():
        shutil.copy(blob, repo_dir / "blobs" / blob.name)


# The thin layer: the create and delete routes filled in, as a candidate would in the starter's
# own file; update is left a TODO.
THIN_EDITS = (
    (
        b"const { parseId } = require('../validation');",
        b"const { parseId, validateNewTodo } = require('../validation');",
    ),
    (
        b"    // TODO: validate the body and create the todo\n"
        b"    res.status(501).json({ error: 'not implemented' });\n",
        b"    const todo = store.create(validateNewTodo(req.body, config.maxTitleLength));\n"
        b"    res.status(201).json(todo);\n",
    ),
    (
        b"    // TODO: delete the todo\n    res.status(501).json({ error: 'not implemented' });\n",
        b"    const id = parseId(req.params.id);\n"
        b"    if (id === null || !store.remove(id)) {\n"
        b"      return res.status(404).json({ error: 'todo not found' });\n"
        b"    }\n"
        b"    return res.status(204).end();\n",
    ),
)


def _thin_files() -> dict[str, bytes]:
    files = read_folder(SUBMISSIONS / "todo-starter")
    routes = files["src/routes/todos.js"]
    for before, after in THIN_EDITS:
        assert before in routes, before
        routes = routes.replace(before, after)
    return {**files, "src/routes/todos.js": routes}


def write_starter_layers(out: Path) -> None:
    """The starter and the three thin layers over it."""
    starter_times = [START + timedelta(hours=2 * i) for i in range(len(STARTER_MESSAGES))]
    starter_dir = write_repo(
        out, STARTER, SUBMISSIONS / "todo-starter", commits=list(STARTER_MESSAGES)
    )
    _restamp(starter_dir, [(EMPLOYER, t) for t in starter_times])
    later = START + timedelta(days=10)
    thin_times = [later, later + timedelta(minutes=35)]

    fork = write_repo(
        out, "thin-fork/todo-api", _thin_files(), commits=STARTER_MESSAGES + THIN_MESSAGES
    )
    _restamp(fork, [(EMPLOYER, t) for t in starter_times] + [(CANDIDATE, t) for t in thin_times])
    _set_repo(
        fork, fork=True, parent={"full_name": STARTER}, created_at=_iso(later - timedelta(hours=1))
    )
    _hold_starter_tree(fork, starter_dir, len(STARTER_MESSAGES) - 1)

    template = write_repo(
        out, "thin-template/todo-api", _thin_files(), commits=["Initial commit", *THIN_MESSAGES]
    )
    _restamp(
        template, [(CANDIDATE, later - timedelta(hours=1))] + [(CANDIDATE, t) for t in thin_times]
    )
    _set_repo(template, template_repository={"full_name": STARTER})
    _hold_starter_tree(template, starter_dir, 0)

    pushed = write_repo(
        out, "thin-pushed/todo-api", _thin_files(), commits=STARTER_MESSAGES + THIN_MESSAGES
    )
    _restamp(pushed, [(EMPLOYER, t) for t in starter_times] + [(CANDIDATE, t) for t in thin_times])
    _hold_starter_tree(pushed, starter_dir, len(STARTER_MESSAGES) - 1)


def _set_repo(repo_dir: Path, **fields: Any) -> None:
    repo = _load(repo_dir / "repo.json")
    repo.update(fields)
    _dump(repo_dir / "repo.json", repo)


def write_small_solutions(out: Path) -> None:
    """A complete, tested small solution over two days, and one barely begun."""
    messages = [
        "Start the Roman numerals package",
        "Write numbers as Roman numerals",
        "Test the conversion to numerals",
        "Read Roman numerals back",
        "Refuse numerals that are not canonical",
        "Test the round trip for every number",
        "Refuse numbers out of range",
        "README: how to run the tests",
    ]
    write_repo(out, "ada/roman-numerals", SUBMISSIONS / "roman-small", commits=messages)
    begun = {
        "roman.js": b"function toRoman(n) {\n  // TODO: the rest\n  return n === 1 ? 'I' : '';\n}\n"
        b"module.exports = { toRoman };\n",
        "README.md": b"# Roman numerals\n",
    }
    write_repo(out, "bob/roman-numerals", begun, commits=["roman"])


def write_all(out: Path) -> list[Submission]:
    """Write every repository under ``out``; the submissions to judge, with what they must get."""
    write_starter_layers(out)
    write_small_solutions(out)
    return list(SUBMISSIONS_JUDGED)


if __name__ == "__main__":
    for submission in write_all(Path(sys.argv[1])):
        print(f"{submission.full_name}: {submission.what} (must be {submission.expected})")
