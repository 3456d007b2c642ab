"""The offline demo: a sample job whose candidates point at synthetic repositories.

The repositories live in ``tats_dev/demo_repos/<owner>__<name>/`` in the GitHub-fixtures format;
``tats dev --demo`` serves them with the GitHub replay server, so the whole product runs without
the network. One candidate points at a repository that does not exist, to show a failure. With
the sandbox installed, ``todo-api``'s tests pass and ``todo-service``'s (the same code with two
bugs, written with ``tats_dev.replay_build``) fail: that is all that tells them apart.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tats_core.processing.intake import ImportResult, NewJob, import_candidates
from tats_core.processing.queue import CandidateQueue
from tats_core.triage.csv_sample import candidates_csv

DEMO_OWNER = "tats-demo"
DEMO_JOB_TITLE = "Demo: Todo list REST API"
DEMO_JOB_DESCRIPTION = (
    "Take-home assignment: build a small REST API for a todo list in the language and framework "
    "of your choice (Python or JavaScript preferred). It should list, create, update and delete "
    "todos, validate input, return correct status codes and persist data. Include tests and a "
    "README explaining how to set it up, run it and run the tests."
)
DEMO_RUBRIC = (
    "A working API covering every endpoint, with automated tests; a README with setup, run and "
    "test steps; a history of commits over time rather than one dump; no committed dependencies "
    "or build output; sensible structure and error handling."
)
MISSING_REPO = "deleted-submission"  # no directory: the replay answers 404, as GitHub would

# (repository, candidate name, email); every repository under demo_repos has a row here.
DEMO_CANDIDATES: tuple[tuple[str, str, str], ...] = (
    ("todo-api", "Ada Lindqvist", "ada.lindqvist@example.com"),
    # todo-api's code with two bugs a skimming reader would not see: its own tests catch them
    ("todo-service", "Hana Sato", "hana.sato@example.com"),
    ("inventory-service", "Bruno Okafor", "bruno.okafor@example.com"),
    ("flask-todos", "Chen Wei", "chen.wei@example.com"),
    ("todo-quick", "Dana Ruiz", "dana.ruiz@example.com"),
    ("nextjs-starter", "Emil Novak", "emil.novak@example.com"),
    ("empty-submission", "Farah Haddad", "farah.haddad@example.com"),
    (MISSING_REPO, "Gus Tanaka", "gus.tanaka@example.com"),
)


def demo_repos_dir() -> Path:
    """The shipped synthetic repositories (``tats_dev/demo_repos``, installed next to us)."""
    return Path(__file__).resolve().parent / "demo_repos"


def demo_repo_names() -> list[str]:
    prefix = f"{DEMO_OWNER}__"
    return sorted(
        p.name[len(prefix) :]
        for p in demo_repos_dir().iterdir()
        if p.is_dir() and p.name.startswith(prefix)
    )


def demo_csv() -> bytes:
    return candidates_csv(
        (name, email, f"https://github.com/{DEMO_OWNER}/{repo}")
        for repo, name, email in DEMO_CANDIDATES
    )


DEMO_JOB = NewJob(DEMO_JOB_TITLE, DEMO_JOB_DESCRIPTION, DEMO_RUBRIC, reuse_by_title=True)


def load_demo(session_factory: sessionmaker[Session], queue: CandidateQueue) -> ImportResult:
    """Create the demo job (once), ingest its candidates and queue them; running it again adds
    nothing."""
    return import_candidates(session_factory, queue, demo_csv(), job=DEMO_JOB)
