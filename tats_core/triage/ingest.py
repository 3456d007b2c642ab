"""Ingest a candidates CSV into a job: validate every row, store the valid ones as ``pending``.

Two ways in, over the same row checks and the same writer (``row_writer``):

- ``ingest`` does it in one pass: each chunk of rows is written as soon as it is checked, so the
  database indexes one chunk while this process reads the next (the CLI and the import use case);
- ``plan_ingest`` then ``apply_ingest`` split it for the upload page, which shows the plan (counts,
  invalid rows, duplicates, replacements) before the recruiter confirms.

A row may also name a candidate the job already has with other data (another repository URL for
the same email, a corrected ``/tree/...`` path, a removed candidate): a ``Replacement``, applied
only when the caller asks (``replace=True``), otherwise reported as a duplicate.

Either way the caller owns the transaction, so either every valid row is stored or none is.
Enqueueing follows the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.github.url import InvalidRepoUrl, RepoRef
from tats_core.store.models import Candidate
from tats_core.triage.corrections import apply_replacements
from tats_core.triage.csv_reader import (
    ColumnChoice,
    CsvLayout,
    CsvRow,
    ProgressCallback,
    columns_of,
    inspect_layout,
    read_rows,
)
from tats_core.triage.links import find_repository
from tats_core.triage.replacement import Known, NewCandidate, Replacement, RowProblem, place
from tats_core.triage.row_writer import candidate_writer

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IMPORT_ACTOR = "import"


# PostgreSQL refuses a value longer than its column (SQLite keeps it): one overlong cell must be
# reported as that row's problem, not fail the whole import.
def _max_length(column: Any) -> int:
    return int(column.type.length)


MAX_NAME = _max_length(Candidate.name)
MAX_EMAIL = _max_length(Candidate.email)
MAX_REF = _max_length(Candidate.repo_ref)


@dataclass
class IngestPlan:
    layout: CsvLayout
    mapping: ColumnChoice
    rows: list[NewCandidate] = field(default_factory=list)
    invalid: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)  # stored, with a value left out
    replacements: list[Replacement] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        checked = len(self.rows) + len(self.invalid) + len(self.duplicates)
        return checked + len(self.replacements)


@dataclass
class IngestReport:
    job_id: int
    inserted: int
    duplicates: list[RowProblem]
    invalid: list[RowProblem]
    notes: list[RowProblem] = field(default_factory=list)
    replaced: list[Replacement] = field(default_factory=list)

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
    mapping: ColumnChoice | None = None,
    progress: ProgressCallback | None = None,
    replace: bool = False,
    actor: str = IMPORT_ACTOR,
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
    plan = IngestPlan(layout, mapping or layout.mapping, [], checker.invalid, checker.duplicates)
    plan.notes, plan.replacements = checker.notes, checker.replacements
    return _report(session, job_id, plan, inserted, replace=replace, actor=actor)


def plan_ingest(
    session: Session,
    job_id: int,
    source: str | Path | bytes,
    *,
    mapping: ColumnChoice | None = None,
    progress: ProgressCallback | None = None,
) -> IngestPlan:
    """Read and check the file without writing anything, for a preview."""
    layout = inspect_layout(source)
    chosen = columns_of(mapping or layout.mapping)
    checker = RowChecker(session, job_id)
    plan = IngestPlan(layout, chosen, invalid=checker.invalid, duplicates=checker.duplicates)
    plan.notes, plan.replacements = checker.notes, checker.replacements
    for chunk in read_rows(source, layout, chosen, progress):
        plan.rows.extend(checker.check(chunk))
    checker.require_rows(len(plan.rows))
    return plan


def apply_ingest(
    session: Session,
    job_id: int,
    plan: IngestPlan,
    *,
    replace: bool = False,
    actor: str = IMPORT_ACTOR,
) -> IngestReport:
    """Store the plan's rows as ``pending``, and its replacements when ``replace`` (no commit:
    the caller frames the transaction)."""
    with candidate_writer(session) as write:
        write(plan.rows)
    return _report(session, job_id, plan, len(plan.rows), replace=replace, actor=actor)


def _report(
    session: Session, job_id: int, plan: IngestPlan, inserted: int, *, replace: bool, actor: str
) -> IngestReport:
    """The replacements applied when asked (else reported as duplicates), and the report."""
    duplicates = list(plan.duplicates)
    if replace:
        apply_replacements(session, plan.replacements, actor=actor)
    else:
        duplicates += [r.as_duplicate() for r in plan.replacements]
        duplicates.sort(key=lambda p: p.row)
    replaced = plan.replacements if replace else []
    return IngestReport(job_id, inserted, duplicates, plan.invalid, plan.notes, replaced)


class RowChecker:
    """The checks every row goes through, and the keys already taken: by the job's candidates
    (read once, at the start) and by the rows checked so far."""

    def __init__(self, session: Session, job_id: int):
        self.job_id = job_id
        self.invalid: list[RowProblem] = []
        self.duplicates: list[RowProblem] = []
        self.notes: list[RowProblem] = []  # rows stored with a value left out, and why
        self.replacements: list[Replacement] = []
        # key -> the file's row that brought it, or the job's candidate that has it
        self.repos: dict[str, int | Known] = {}
        self.emails: dict[str, int | Known] = {}
        for row in session.execute(
            select(
                Candidate.id,
                Candidate.name,
                Candidate.repo_full_name,
                Candidate.repo_ref,
                Candidate.repo_path,
                Candidate.status,
                Candidate.removed_at.is_not(None),
                Candidate.repo_key,
                Candidate.email_key,
            ).where(Candidate.job_id == job_id)
        ):
            known = Known(*row[:7])
            self.repos[row.repo_key] = known
            if row.email_key:
                self.emails[row.email_key] = known

    def require_rows(self, accepted: int) -> None:
        found = accepted + len(self.invalid) + len(self.duplicates) + len(self.replacements)
        if found == 0:
            raise InputError("the file has a header but no candidate rows")

    def check(self, chunk: list[CsvRow]) -> list[NewCandidate]:
        accepted: list[NewCandidate] = []
        for row, cell, raw_name, raw_email in chunk:
            name = raw_name.strip()
            try:
                url, repo = find_repository(cell)
            except InvalidRepoUrl as exc:
                shown = ", ".join(cell.split())  # several link columns arrive one per line
                self.invalid.append(RowProblem(row, shown, str(exc), name))
                continue
            problem = _too_long(row, url, repo, name)
            if problem:
                self.invalid.append(problem)
                continue
            email = self._email(row, raw_email.strip(), name)
            new = NewCandidate(
                self.job_id,
                name,
                email,
                email.lower() or None,
                url,
                repo.full_name,
                repo.key,
                repo.ref,
                repo.path,
            )
            if self._settle(row, new):
                accepted.append(new)
        return accepted

    def _email(self, row: int, raw: str, name: str) -> str:
        """The row's email (the first of several); a malformed one is left out with a note,
        never a reason to leave out a row whose repository is fine."""
        if not raw or (len(raw) <= MAX_EMAIL and EMAIL_RE.match(raw)):
            return raw  # the usual cell: one email, or none
        email = next((e for e in re.split(r"[\s,;]+", raw) if EMAIL_RE.match(e)), None)
        if email is None or len(email) > MAX_EMAIL:
            why = (
                "not an email address"
                if email is None
                else f"email is longer than {MAX_EMAIL} characters"
            )
            self.notes.append(RowProblem(row, raw, f"{why}; imported without an email", name))
            return ""
        return email

    def _settle(self, row: int, new: NewCandidate) -> bool:
        """Whether the row is a new candidate; otherwise it is recorded as a duplicate or as a
        replacement of a candidate already in the job."""
        by_repo, by_email = self.repos.get(new.repo_key), self.emails.get(new.email_key or "")
        if by_repo is None and by_email is None:  # the usual row: nobody has it yet
            self._take(row, new)
            return True
        for seen, what in ((by_repo, f"repository {new.repo_full_name}"), (by_email, "email")):
            if isinstance(seen, int):
                value = new.github_url if by_repo is seen else new.email
                self._duplicate(row, value, f"{what} is also on row {seen} of this file", new)
                return False
        self._meet(row, _known(by_repo), _known(by_email), new)
        return False

    def _meet(
        self, row: int, by_repo: Known | None, by_email: Known | None, new: NewCandidate
    ) -> None:
        """A row naming a candidate the job already has: a duplicate, or a replacement."""
        known = by_repo or by_email
        assert known is not None
        if by_email is not None and by_email.id != known.id:
            reason = (
                f"the repository belongs to {known.label()} and the email to {by_email.label()}"
            )
            return self._duplicate(row, new.github_url, reason, new)
        what = f"repository {new.repo_full_name}" if by_repo else "email"
        same = (known.repo_full_name.lower(), known.repo_ref, known.repo_path) == (
            new.repo_key,
            new.repo_ref,
            new.repo_path,
        )
        if same and not known.removed:
            reason = f"{what} is already in this job: {known.label()}"
            return self._duplicate(row, new.github_url if by_repo else new.email, reason, new)
        if known.status in statuses.ACTIVE:
            reason = (
                f"{what} belongs to {known.label()}, which is still being processed: "
                "re-import this row once it is done"
            )
            return self._duplicate(row, new.github_url, reason, new)
        old = place(known.repo_full_name, known.repo_ref, known.repo_path)
        self.replacements.append(Replacement(row, known.id, known.name, old, new, known.removed))
        self._take(row, new)

    def _duplicate(self, row: int, value: str, reason: str, new: NewCandidate) -> None:
        self.duplicates.append(RowProblem(row, value, reason, new.name))

    def _take(self, row: int, new: NewCandidate) -> None:
        self.repos[new.repo_key] = row
        if new.email_key:
            self.emails[new.email_key] = row


def _known(seen: int | Known | None) -> Known | None:
    return seen if isinstance(seen, Known) else None


def _too_long(row: int, url: str, repo: RepoRef, name: str) -> RowProblem | None:
    """A value longer than its column (PostgreSQL refuses it; SQLite would keep it)."""
    if len(name) > MAX_NAME:
        return RowProblem(row, name, f"name is longer than {MAX_NAME} characters", name[:80])
    if repo.ref and len(repo.ref) > MAX_REF:
        return RowProblem(row, url, f"branch name is longer than {MAX_REF} characters", name)
    return None
