"""Fixing a candidate's data without losing its history: a new repository URL (typed in the
panel, or brought by a re-import), removal from the job, and bringing a removed one back.

A candidate is never deleted: its status changes, evaluations, reviews and notes stay. A new
URL starts a new attempt (the change and its author are the reason in the history); a removed
candidate leaves the job's lists, counts and exports until a re-import brings it back.
Functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.github.url import InvalidRepoUrl, RepoRef, parse_repo_url
from tats_core.store.models import Candidate, CandidateFile, utcnow
from tats_core.triage.candidates import get_candidate, new_attempt
from tats_core.triage.replacement import Replacement


@dataclass(frozen=True)
class Repository:
    """A repository URL as written, and what it names."""

    github_url: str
    repo: RepoRef

    @classmethod
    def parse(cls, url: str) -> Repository:
        written = url.strip()
        try:
            return cls(written, parse_repo_url(written))
        except InvalidRepoUrl as exc:
            raise InputError(f"'{written}' is not a repository URL: {exc}") from None

    def same_as(self, candidate: Candidate) -> bool:
        return (self.repo.full_name, self.repo.ref, self.repo.path) == (
            candidate.repo_full_name,
            candidate.repo_ref,
            candidate.repo_path,
        )


def _require_settled(candidate: Candidate, what: str) -> None:
    if candidate.status in statuses.ACTIVE:
        raise InputError(f"this candidate is still being processed; {what} once it is done")


def _holder(session: Session, candidate: Candidate, repo: RepoRef) -> Candidate | None:
    """Another candidate of the job (removed or not) with this repository."""
    return session.scalar(
        select(Candidate).where(
            Candidate.job_id == candidate.job_id,
            Candidate.repo_key == repo.key,
            Candidate.id != candidate.id,
        )
    )


def set_repository(
    session: Session, candidate: Candidate, repository: Repository, *, actor: str, why: str
) -> None:
    """Point the candidate at another repository URL and start a new attempt on it; the old URL
    stays in the history (``why`` says what brought the change)."""
    old = candidate.github_url
    repo = repository.repo
    candidate.github_url = repository.github_url
    candidate.repo_full_name, candidate.repo_key = repo.full_name, repo.key
    candidate.repo_ref, candidate.repo_path = repo.ref, repo.path
    # The stored files were the old repository's: no shared-code match may rest on them.
    session.execute(delete(CandidateFile).where(CandidateFile.candidate_id == candidate.id))
    new_attempt(session, candidate, actor=actor, reason=f"{why}: {old} → {repository.github_url}")


def change_repository(session: Session, candidate_id: int, url: str, *, actor: str) -> Candidate:
    """A recruiter corrects the repository URL: checked like an import's, then a new attempt."""
    repository = Repository.parse(url)
    candidate = get_candidate(session, candidate_id, for_update=True)
    _require_settled(candidate, "change its repository")
    if repository.github_url == candidate.github_url:
        raise InputError("that is already this candidate's repository URL")
    other = _holder(session, candidate, repository.repo)
    if other is not None:
        raise InputError(
            f"repository {repository.repo.full_name} belongs to candidate {other.id} "
            f"({other.name or 'no name'}) in this job"
        )
    set_repository(session, candidate, repository, actor=actor, why="repository URL changed")
    return candidate


def remove_candidate(session: Session, candidate_id: int, *, actor: str) -> Candidate:
    """Take the candidate out of the job's lists, counts and exports; its history is kept."""
    candidate = get_candidate(session, candidate_id, for_update=True)
    _require_settled(candidate, "remove it")
    if candidate.removed_at is None:
        candidate.removed_at, candidate.removed_by = utcnow(), actor
        session.execute(delete(CandidateFile).where(CandidateFile.candidate_id == candidate.id))
    return candidate


def restore_candidate(session: Session, candidate_id: int) -> Candidate:
    """Undo a removal: the candidate is back as it was (a re-run judges it again if needed)."""
    candidate = get_candidate(session, candidate_id, for_update=True)
    candidate.removed_at = candidate.removed_by = None
    return candidate


def apply_replacements(
    session: Session, replacements: Iterable[Replacement], *, actor: str
) -> list[int]:
    """Re-imported rows change the candidates they name: name and email when given, another
    repository URL as a new attempt, a removed candidate back in the job. A candidate that got
    busy since the plan is left alone. Returns the ids changed."""
    changed = []
    try:
        for replacement in replacements:
            if _replace(session, replacement, actor=actor):
                changed.append(replacement.candidate_id)
        session.flush()
    except IntegrityError:
        raise InputError(
            "another upload into this job changed some of these candidates at the same time; "
            "nothing was imported, please upload the file again"
        ) from None
    return changed


def _replace(session: Session, replacement: Replacement, *, actor: str) -> bool:
    candidate = get_candidate(session, replacement.candidate_id, for_update=True)
    if candidate.status in statuses.ACTIVE:
        return False
    new = replacement.new
    candidate.removed_at = candidate.removed_by = None
    candidate.name = new.name or candidate.name
    if new.email_key:
        candidate.email, candidate.email_key = new.email, new.email_key
    owner, name = new.repo_full_name.split("/", 1)
    repository = Repository(new.github_url, RepoRef(owner, name, new.repo_ref, new.repo_path))
    if not repository.same_as(candidate):
        set_repository(session, candidate, repository, actor=actor, why="re-imported")
    return True
