"""Ingest a candidates CSV into a job: validate every row, then insert the valid ones at once.

``plan_ingest`` reads and validates (it needs the job's existing keys, so it takes a session but
writes nothing); ``apply_ingest`` bulk-inserts the plan's rows as ``pending``. The caller owns the
transaction, so either every valid row is stored or none is. Enqueueing follows the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

import pandas as pd
import psycopg
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.github.url import InvalidRepoUrl, parse_repo_url
from tats_core.store.models import Candidate, utcnow
from tats_core.triage.csv_reader import CsvLayout, ProgressCallback, inspect_layout, read_rows
from tats_core.triage.export import to_csv_bytes

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INSERT_BATCH = 5_000
# The keys of a planned row, in the order the PostgreSQL COPY writes them.
ROW_COLUMNS = (
    "job_id",
    "name",
    "email",
    "email_key",
    "github_url",
    "repo_full_name",
    "repo_key",
    "repo_ref",
    "repo_path",
)
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
    rows: list[dict[str, Any]] = field(default_factory=list)  # ready for INSERT
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


def plan_ingest(
    session: Session,
    job_id: int,
    source: str | Path | bytes,
    *,
    mapping: dict[str, str | None] | None = None,
    progress: ProgressCallback | None = None,
) -> IngestPlan:
    layout = inspect_layout(source)
    mapping = mapping or layout.mapping
    plan = IngestPlan(layout=layout, mapping=mapping)
    # key -> the file's row that brought it, or None when the job already had it
    existing_repos, existing_emails = _existing_keys(session, job_id)
    seen_repos: dict[str, int | None] = dict.fromkeys(existing_repos)
    seen_emails: dict[str, int | None] = dict.fromkeys(existing_emails)
    for chunk in read_rows(source, layout, mapping, progress):
        # Plain lists: iterating the pandas columns row by row costs more than the checks.
        columns = (chunk[c].tolist() for c in ("row", "github_url", "name", "email"))
        for row, url, name, email in zip(*columns, strict=True):
            url, name, email = url.strip(), name.strip(), email.strip()
            try:
                repo = parse_repo_url(url)
            except InvalidRepoUrl as exc:
                plan.invalid.append(RowProblem(row, url, str(exc), name))
                continue
            if len(name) > MAX_NAME:
                plan.invalid.append(
                    RowProblem(row, name, f"name is longer than {MAX_NAME} characters", name[:80])
                )
                continue
            if len(email) > MAX_EMAIL:
                plan.invalid.append(
                    RowProblem(row, email, f"email is longer than {MAX_EMAIL} characters", name)
                )
                continue
            if repo.ref and len(repo.ref) > MAX_REF:
                plan.invalid.append(
                    RowProblem(row, url, f"branch name is longer than {MAX_REF} characters", name)
                )
                continue
            if email and not EMAIL_RE.match(email):
                plan.invalid.append(RowProblem(row, email, "not an email address", name))
                continue
            email_key = email.lower() or None
            repo_key = repo.key
            if repo_key in seen_repos:
                where = _first_seen(seen_repos[repo_key])
                plan.duplicates.append(
                    RowProblem(row, url, f"repository {repo.full_name} is {where}", name)
                )
                continue
            if email_key and email_key in seen_emails:
                where = _first_seen(seen_emails[email_key])
                plan.duplicates.append(RowProblem(row, email, f"email is {where}", name))
                continue
            seen_repos[repo_key] = row
            if email_key:
                seen_emails[email_key] = row
            plan.rows.append(
                {
                    "job_id": job_id,
                    "name": name,
                    "email": email,
                    "email_key": email_key,
                    "github_url": url,
                    "repo_full_name": repo.full_name,
                    "repo_key": repo_key,
                    "repo_ref": repo.ref,
                    "repo_path": repo.path,
                }
            )
    if plan.total_rows == 0:
        raise InputError("the file has a header but no candidate rows")
    return plan


def _first_seen(row: int | None) -> str:
    return "already in this job" if row is None else f"also on row {row} of this file"


def _existing_keys(session: Session, job_id: int) -> tuple[set[str], set[str]]:
    rows = session.execute(
        select(Candidate.repo_key, Candidate.email_key).where(Candidate.job_id == job_id)
    )
    repos: set[str] = set()
    emails: set[str] = set()
    for repo_key, email_key in rows:
        repos.add(repo_key)
        if email_key:
            emails.add(email_key)
    return repos, emails


def apply_ingest(session: Session, job_id: int, plan: IngestPlan) -> IngestReport:
    """Insert the plan's rows as ``pending`` (no commit: the caller frames the transaction)."""
    now = utcnow()
    common = {"status": statuses.PENDING, "attempt": 1, "created_at": now, "updated_at": now}
    connection = session.connection()
    try:
        if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
            _copy_candidates(connection, plan.rows, common)
        else:
            for start in range(0, len(plan.rows), INSERT_BATCH):
                batch = [{**row, **common} for row in plan.rows[start : start + INSERT_BATCH]]
                session.execute(insert(Candidate), batch)
        session.flush()
    except (IntegrityError, psycopg.IntegrityError):
        # Another upload into the same job committed the same repository meanwhile.
        raise InputError(
            "another upload into this job added some of these candidates at the same time; "
            "nothing was imported, please upload the file again"
        ) from None
    # No 'imported' status event per row: ``candidates.history`` derives that first entry from
    # the row's ``created_at`` (writing 100,000 of them doubled the database's share of the work).
    return IngestReport(job_id, len(plan.rows), plan.duplicates, plan.invalid)


def _copy_candidates(
    connection: Connection, rows: list[dict[str, Any]], common: dict[str, Any]
) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` on the session's own connection, so it is part of
    the caller's transaction. Multi-row INSERTs of a large upload were ~5x slower than COPY
    (see ``bench/ingest.py``)."""
    fixed = {**common, "enqueue_count": 0}
    dialect = connection.dialect
    # The same conversions the ORM applies (UTCDateTime stores naive UTC).
    values: list[Any] = []
    for name, value in fixed.items():
        process = Candidate.__table__.c[name].type.bind_processor(dialect)
        values.append(process(value) if process else value)
    fixed_values = tuple(values)
    columns = ", ".join([*ROW_COLUMNS, *fixed])
    values_of = itemgetter(*ROW_COLUMNS)
    if not rows:
        return
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {Candidate.__tablename__} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(values_of(row) + fixed_values)


def skipped_rows_csv(invalid: list[RowProblem], duplicates: list[RowProblem]) -> bytes:
    """The rows an import left out and why, as a CSV the recruiter can fix and upload again."""
    frame = pd.DataFrame.from_records(
        [
            {"row": p.row, "name": p.name, "value": p.value, "problem": kind, "reason": p.reason}
            for kind, problems in (("invalid", invalid), ("duplicate", duplicates))
            for p in problems
        ],
        columns=["row", "name", "value", "problem", "reason"],
    ).sort_values("row", kind="stable")
    return to_csv_bytes(frame)
