"""Ingest a candidates CSV into a job: validate every row, then insert the valid ones at once.

``plan_ingest`` reads and validates (it needs the job's existing keys, so it takes a session but
writes nothing); ``apply_ingest`` bulk-inserts the plan's rows as ``pending``. The caller owns the
transaction, so either every valid row is stored or none is. Enqueueing follows the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import false, insert, literal, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.csv_reader import CsvLayout, ProgressCallback, inspect_layout, read_rows
from tats_core.errors import InputError
from tats_core.github_url import InvalidRepoUrl, parse_repo_url
from tats_core.models import Candidate, StatusEvent, utcnow

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INSERT_BATCH = 5_000


@dataclass(frozen=True)
class RowProblem:
    row: int
    value: str
    reason: str

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
    seen_repos, seen_emails = _existing_keys(session, job_id)
    for chunk in read_rows(source, layout, mapping, progress):
        for row, url, name, email in zip(
            chunk["row"], chunk["github_url"], chunk["name"], chunk["email"], strict=True
        ):
            url, name, email = url.strip(), name.strip(), email.strip()
            try:
                repo = parse_repo_url(url)
            except InvalidRepoUrl as exc:
                plan.invalid.append(RowProblem(row, url, str(exc)))
                continue
            if email and not EMAIL_RE.match(email):
                plan.invalid.append(RowProblem(row, email, "not an email address"))
                continue
            email_key = email.lower() or None
            if repo.key in seen_repos:
                plan.duplicates.append(
                    RowProblem(row, url, f"repository {repo.full_name} is already in this job")
                )
                continue
            if email_key and email_key in seen_emails:
                plan.duplicates.append(RowProblem(row, email, "email is already in this job"))
                continue
            seen_repos.add(repo.key)
            if email_key:
                seen_emails.add(email_key)
            plan.rows.append(
                {
                    "job_id": job_id,
                    "name": name,
                    "email": email,
                    "email_key": email_key,
                    "github_url": url,
                    "repo_full_name": repo.full_name,
                    "repo_key": repo.key,
                    "repo_ref": repo.ref,
                    "repo_path": repo.path,
                }
            )
    if plan.total_rows == 0:
        raise InputError("the file has a header but no candidate rows")
    return plan


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
    try:
        for start in range(0, len(plan.rows), INSERT_BATCH):
            batch = [{**row, **common} for row in plan.rows[start : start + INSERT_BATCH]]
            session.execute(insert(Candidate), batch)
        session.flush()
    except IntegrityError:
        # Another upload into the same job committed the same repository meanwhile.
        raise InputError(
            "another upload into this job added some of these candidates at the same time; "
            "nothing was imported, please upload the file again"
        ) from None
    _record_creation(session, job_id, now, len(plan.rows))
    return IngestReport(job_id, len(plan.rows), plan.duplicates, plan.invalid)


def _record_creation(session: Session, job_id: int, at: datetime, count: int) -> None:
    """The audit trail starts with one 'imported' event per new candidate (one INSERT ... SELECT)."""
    if not count:
        return
    columns = [
        "candidate_id",
        "attempt",
        "from_status",
        "to_status",
        "actor",
        "reason",
        "override",
        "created_at",
    ]
    new_candidates = select(
        Candidate.id,
        Candidate.attempt,
        null(),
        literal(statuses.PENDING),
        literal("system"),
        literal("imported from CSV"),
        false(),
        literal(at, type_=Candidate.created_at.type),
    ).where(Candidate.job_id == job_id, Candidate.created_at == at)
    session.execute(insert(StatusEvent).from_select(columns, new_candidates))
