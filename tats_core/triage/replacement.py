"""What a checked import row is, and what it may do to a candidate the job already has.

- ``NewCandidate``  a checked row, ready to store (its fields are ``candidate`` columns)
- ``RowProblem``    a row left out (invalid, duplicate) or stored with a note, and why
- ``Known``         a candidate already in the job, as a new row may meet it
- ``Replacement``   a row that changes a known candidate (applied by ``corrections``)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


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


@dataclass(frozen=True)
class RowProblem:
    row: int
    value: str
    reason: str
    name: str = ""  # the candidate's name on that row, so a recruiter can tell who it was

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "value": self.value, "reason": self.reason}


class Known(NamedTuple):
    """A candidate already in the job, as a new row may meet it."""

    id: int
    name: str
    repo_full_name: str
    repo_ref: str | None
    repo_path: str | None
    status: str
    removed: bool

    def label(self) -> str:
        return f"candidate {self.id}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class Replacement:
    """A row that changes a candidate already in the job: another repository URL for the same
    email or repository, or a removed candidate coming back. Applied only when asked."""

    row: int
    candidate_id: int
    name: str  # the candidate's name as stored
    old_url: str  # owner/repo[@ref][/path] as stored
    new: NewCandidate
    restores: bool  # the candidate had been removed from the job

    def describe(self) -> str:
        what = "back, " if self.restores else ""
        return f"{what}{self.old_url} → {self.new.github_url}"

    def as_duplicate(self) -> RowProblem:
        return RowProblem(
            self.row,
            self.new.github_url,
            f"changes candidate {self.candidate_id} ({self.describe()}); import with "
            "replacements to apply it",
            self.new.name,
        )


def place(full_name: str, ref: str | None, path: str | None) -> str:
    """``owner/repo``, with the branch and folder a ``/tree/...`` URL names."""
    return full_name + (f" @ {ref}" if ref else "") + (f" / {path}" if path else "")
