"""Ingest a candidates CSV into a job: validate every row, store the valid ones as ``pending``.

Two ways in, over the same row checks and the same writer:

- ``ingest`` does it in one pass: each chunk of rows is written as soon as it is checked, so the
  database indexes one chunk while this process reads the next (the CLI and the import use case);
- ``plan_ingest`` then ``apply_ingest`` split it for the upload page, which shows the plan (counts,
  invalid rows, duplicates) before the recruiter confirms.

Either way the caller owns the transaction, so either every valid row is stored or none is.
Enqueueing follows the commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, cast

import psycopg
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.github.url import InvalidRepoUrl, parse_repo_url
from tats_core.store.models import Candidate, utcnow
from tats_core.triage.csv_reader import (
    CsvLayout,
    CsvRow,
    ProgressCallback,
    inspect_layout,
    read_rows,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INSERT_BATCH = 5_000


class NewCandidate(NamedTuple):
    """A checked row, ready to store; its fields are ``candidate`` columns, in COPY order."""

    job_id: int
    name: str
    email: str
    email_key: str | None
    github_url: str
    repo_full_name: str
    repo_key: str
    repo_ref: str | None
    repo_path: str | None


ROW_COLUMNS = NewCandidate._fields


# PostgreSQL refuses a value longer than its column (SQLite keeps it): one overlong cell must be
# reported as that row's problem, not fail the whole import.
def _max_length(column: Any) -> int:
    return int(column.type.length)


MAX_NAME = _max_length(Candidate.name)
MAX_EMAIL = _max_length(Candidate.email)
MAX_REF = _max_length(Candidate.repo_ref)


@dataclass(frozen=True)
class RowProblem:
    row: int
    value: str
    reason: str
    name: str = ""  # the candidate's name on that row, so a recruiter can tell who it was

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "value": self.value, "reason": self.reason}


@dataclass
class IngestPlan:
    layout: CsvLayout
    mapping: dict[str, str | None]
    rows: list[NewCandidate] = field(default_factory=list)
    invalid: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return len(self.rows) + len(self.invalid) + len(self.duplicates)


@dataclass
class IngestReport:
    job_id: int
    inserted: int
    duplicates: list[RowProblem]
    invalid: list[RowProblem]

    def to_dict(self, enqueued: int = 0) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "inserted": self.inserted,
            "duplicates": len(self.duplicates),
            "invalid": [p.to_dict() for p in self.invalid],
            "enqueued": enqueued,
        }


def ingest(
    session: Session,
    job_id: int,
    source: str | Path | bytes,
    *,
    mapping: dict[str, str | None] | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Check and store the file's rows in one pass (no commit: the caller frames the
    transaction). Raises ``InputError`` for a file that cannot be read or has no rows."""
    layout = inspect_layout(source)
    checker = RowChecker(session, job_id)
    inserted = 0
    with candidate_writer(session) as write:
        for chunk in read_rows(source, layout, mapping or layout.mapping, progress):
            rows = checker.check(chunk)
            write(rows)
            inserted += len(rows)
        checker.require_rows(inserted)
    return IngestReport(job_id, inserted, checker.duplicates, checker.invalid)


def plan_ingest(
    session: Session,
    job_id: int,
    source: str | Path | bytes,
    *,
    mapping: dict[str, str | None] | None = None,
    progress: ProgressCallback | None = None,
) -> IngestPlan:
    """Read and check the file without writing anything, for a preview."""
    layout = inspect_layout(source)
    mapping = mapping or layout.mapping
    checker = RowChecker(session, job_id)
    plan = IngestPlan(layout, mapping, invalid=checker.invalid, duplicates=checker.duplicates)
    for chunk in read_rows(source, layout, mapping, progress):
        plan.rows.extend(checker.check(chunk))
    checker.require_rows(len(plan.rows))
    return plan


def apply_ingest(session: Session, job_id: int, plan: IngestPlan) -> IngestReport:
    """Store the plan's rows as ``pending`` (no commit: the caller frames the transaction)."""
    with candidate_writer(session) as write:
        write(plan.rows)
    return IngestReport(job_id, len(plan.rows), plan.duplicates, plan.invalid)


class RowChecker:
    """The checks every row goes through, and the keys already taken: by the job's candidates
    (read once, at the start) and by the rows checked so far."""

    def __init__(self, session: Session, job_id: int):
        self.job_id = job_id
        self.invalid: list[RowProblem] = []
        self.duplicates: list[RowProblem] = []
        # key -> the file's row that brought it, or None when the job already had it
        self.repos: dict[str, int | None] = {}
        self.emails: dict[str, int | None] = {}
        for repo_key, email_key in session.execute(
            select(Candidate.repo_key, Candidate.email_key).where(Candidate.job_id == job_id)
        ):
            self.repos[repo_key] = None
            if email_key:
                self.emails[email_key] = None

    def require_rows(self, accepted: int) -> None:
        if accepted + len(self.invalid) + len(self.duplicates) == 0:
            raise InputError("the file has a header but no candidate rows")

    def check(self, chunk: list[CsvRow]) -> list[NewCandidate]:
        accepted: list[NewCandidate] = []
        for row, url, name, email in chunk:
            problem = None
            url, name, email = url.strip(), name.strip(), email.strip()
            try:
                repo = parse_repo_url(url)
            except InvalidRepoUrl as exc:
                self.invalid.append(RowProblem(row, url, str(exc), name))
                continue
            if len(name) > MAX_NAME:
                problem = RowProblem(
                    row, name, f"name is longer than {MAX_NAME} characters", name[:80]
                )
            elif len(email) > MAX_EMAIL:
                problem = RowProblem(
                    row, email, f"email is longer than {MAX_EMAIL} characters", name
                )
            elif repo.ref and len(repo.ref) > MAX_REF:
                problem = RowProblem(
                    row, url, f"branch name is longer than {MAX_REF} characters", name
                )
            elif email and not EMAIL_RE.match(email):
                problem = RowProblem(row, email, "not an email address", name)
            if problem:
                self.invalid.append(problem)
                continue
            email_key = email.lower() or None
            repo_key = repo.key
            if repo_key in self.repos:
                where = _first_seen(self.repos[repo_key])
                self.duplicates.append(
                    RowProblem(row, url, f"repository {repo.full_name} is {where}", name)
                )
                continue
            if email_key and email_key in self.emails:
                where = _first_seen(self.emails[email_key])
                self.duplicates.append(RowProblem(row, email, f"email is {where}", name))
                continue
            self.repos[repo_key] = row
            if email_key:
                self.emails[email_key] = row
            accepted.append(
                NewCandidate(
                    self.job_id,
                    name,
                    email,
                    email_key,
                    url,
                    repo.full_name,
                    repo_key,
                    repo.ref,
                    repo.path,
                )
            )
        return accepted


def _first_seen(row: int | None) -> str:
    return "already in this job" if row is None else f"also on row {row} of this file"


Write = Callable[[list[NewCandidate]], None]


@contextmanager
def candidate_writer(session: Session) -> Iterator[Write]:
    """A function that stores rows as ``pending`` candidates, all with one creation time.

    On PostgreSQL (psycopg) it streams them into one ``COPY ... FROM STDIN`` on the session's
    own connection, inside the caller's transaction: multi-row INSERTs of a large upload were
    ~5x slower (``bench/ingest.py``). Elsewhere it inserts in batches.
    """
    now = utcnow()
    common = {"status": statuses.PENDING, "attempt": 1, "created_at": now, "updated_at": now}
    connection = session.connection()
    try:
        if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
            with _copy_writer(connection, {**common, "enqueue_count": 0}) as write:
                yield write
        else:
            yield lambda rows: _insert(session, rows, common)
            session.flush()
    except (IntegrityError, psycopg.IntegrityError):
        # Another upload into the same job committed the same repository meanwhile.
        raise InputError(
            "another upload into this job added some of these candidates at the same time; "
            "nothing was imported, please upload the file again"
        ) from None


def _insert(session: Session, rows: list[NewCandidate], common: dict[str, Any]) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        batch = [{**row._asdict(), **common} for row in rows[start : start + INSERT_BATCH]]
        session.execute(insert(Candidate), batch)


@contextmanager
def _copy_writer(connection: Connection, fixed: dict[str, Any]) -> Iterator[Write]:
    dialect = connection.dialect
    # The same conversions the ORM applies (UTCDateTime stores naive UTC).
    values: list[Any] = []
    for name, value in fixed.items():
        process = Candidate.__table__.c[name].type.bind_processor(dialect)
        values.append(process(value) if process else value)
    fixed_values = tuple(values)
    columns = ", ".join([*ROW_COLUMNS, *fixed])
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {Candidate.__tablename__} ({columns}) FROM STDIN") as copy,
    ):

        def write(rows: list[NewCandidate]) -> None:
            for row in rows:
                copy.write_row(row + fixed_values)

        yield write
