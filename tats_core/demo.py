"""The offline demo: a sample job whose candidates point at synthetic repositories.

The repositories live in ``tats_dev/demo_repos/<owner>__<name>/`` in the GitHub-fixtures format;
``tats dev --demo`` serves them with the GitHub replay server, so the whole product runs without
the network. One candidate points at a repository that does not exist, to show a failure.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy.orm import Session

from tats_core.ingest import apply_ingest, plan_ingest
from tats_core.jobs import create_job, find_job_by_title

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
    ("inventory-service", "Bruno Okafor", "bruno.okafor@example.com"),
    ("flask-todos", "Chen Wei", "chen.wei@example.com"),
    ("todo-quick", "Dana Ruiz", "dana.ruiz@example.com"),
    ("nextjs-starter", "Emil Novak", "emil.novak@example.com"),
    ("empty-submission", "Farah Haddad", "farah.haddad@example.com"),
    (MISSING_REPO, "Gus Tanaka", "gus.tanaka@example.com"),
)


def demo_repos_dir() -> Path:
    """The shipped synthetic repositories (``tats_dev/demo_repos``, installed next to us)."""
    return Path(__file__).resolve().parent.parent / "tats_dev" / "demo_repos"


def demo_repo_names() -> list[str]:
    prefix = f"{DEMO_OWNER}__"
    return sorted(
        p.name[len(prefix) :]
        for p in demo_repos_dir().iterdir()
        if p.is_dir() and p.name.startswith(prefix)
    )


def _csv(rows: list[tuple[str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "email", "github_url"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def demo_csv() -> bytes:
    return _csv(
        [
            (name, email, f"https://github.com/{DEMO_OWNER}/{repo}")
            for repo, name, email in DEMO_CANDIDATES
        ]
    )


def sample_csv() -> bytes:
    """A small file showing the upload format (and the URL forms candidates write)."""
    return _csv(
        [
            ("Ada Lindqvist", "ada@example.com", "https://github.com/tats-demo/todo-api"),
            ("Bruno Okafor", "bruno@example.com", "github.com/tats-demo/inventory-service.git"),
            ("Chen Wei", "", "https://github.com/tats-demo/flask-todos/tree/main"),
        ]
    )


def load_demo(session: Session) -> int:
    """Create the demo job (once) and ingest its candidates; running it again adds nothing."""
    job = find_job_by_title(session, DEMO_JOB_TITLE) or create_job(
        session, DEMO_JOB_TITLE, DEMO_JOB_DESCRIPTION, DEMO_RUBRIC
    )
    job.archived_at = None
    apply_ingest(session, job.id, plan_ingest(session, job.id, demo_csv()))
    return job.id
