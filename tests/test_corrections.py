"""Fixing a candidate's data keeps its history (issue #21, defect 2): a new repository URL typed
in the panel or brought by a re-import, removing a candidate and bringing it back."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, CandidateFile
from tats_core.triage import jobs
from tats_core.triage.agreement import agreement
from tats_core.triage.candidates import get_candidate, history, override_decision
from tats_core.triage.corrections import change_repository, remove_candidate, restore_candidate
from tats_core.triage.export import evaluations_frame
from tats_core.triage.ingest import apply_ingest, ingest, plan_ingest
from tats_core.triage.listing import candidate_page
from tats_core.triage.reviews import job_reviews
from tests.app_fixtures import Seeded, seed_every_status


def reasons(session_factory: sessionmaker[Session], candidate_id: int) -> list[str]:
    with session_factory() as session:
        return [e.reason for e in history(session, candidate_id)]


def fail_with_a_wrong_path(session_factory: sessionmaker[Session]) -> Seeded:
    """The walk-through's candidate: imported with ``…/tree/main/sub``, "path 'sub' not found"."""
    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session:
        gita = get_candidate(session, seeded.ids["github_failed"])
        gita.github_url = "https://github.com/gita-missing/take-home/tree/main/sub"
        gita.repo_ref, gita.repo_path = "main", "sub"
    return seeded


def test_a_new_url_starts_a_new_attempt_and_keeps_the_history(session_factory):
    seeded = fail_with_a_wrong_path(session_factory)
    gita = seeded.ids["github_failed"]
    with transaction(session_factory) as session:
        session.add(
            CandidateFile(job_id=seeded.job_id, candidate_id=gita, sha="a", path="x", size=1)
        )
        change_repository(session, gita, " https://github.com/gita/take-home ", actor="Dana")
    with session_factory() as session:
        candidate = get_candidate(session, gita)
        assert (candidate.status, candidate.attempt) == (statuses.PENDING, 2)
        assert (candidate.repo_full_name, candidate.repo_ref, candidate.repo_path) == (
            "gita/take-home",
            None,
            None,
        )
        assert candidate.enqueued_at is None  # waiting for the outbox
        files = session.scalars(select(CandidateFile).where(CandidateFile.candidate_id == gita))
        assert list(files) == []  # the old repository's files no longer speak for it
        last = history(session, gita)[-1]
    assert (last.actor, last.from_status, last.to_status) == ("Dana", "github_failed", "pending")
    assert last.reason == (
        "repository URL changed: https://github.com/gita-missing/take-home/tree/main/sub → "
        "https://github.com/gita/take-home"
    )
    assert reasons(session_factory, gita)[0] == "imported from CSV"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://github.com/someone", "is not a repository URL: a GitHub profile"),
        ("https://github.com/grace-hopper/take-home", "belongs to candidate"),
        ("https://github.com/gita-missing/take-home/tree/main/sub", "already this candidate's"),
    ],
)
def test_a_new_url_is_checked_like_an_import(session_factory, url, message):
    seeded = fail_with_a_wrong_path(session_factory)
    with transaction(session_factory) as session, pytest.raises(InputError, match=message):
        change_repository(session, seeded.ids["github_failed"], url, actor="Dana")


def test_a_candidate_being_processed_is_not_changed_or_removed(session_factory):
    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session:
        with pytest.raises(InputError, match="still being processed"):
            change_repository(session, seeded.ids["processing"], "a/b", actor="Dana")
        with pytest.raises(InputError, match="still being processed"):
            remove_candidate(session, seeded.ids["pending"], actor="Dana")


def test_a_removed_candidate_leaves_the_lists_counts_exports_and_agreement(session_factory):
    seeded = seed_every_status(session_factory)
    low = seeded.ids["low_effort"]
    with transaction(session_factory) as session:
        override_decision(session, low, "looks_fine", actor="Dana", reason="strong in person")
        remove_candidate(session, low, actor="Dana")
    with session_factory() as session:
        counts = jobs.status_counts(session, seeded.job_id)
        page = candidate_page(session, seeded.job_id)
        exported = evaluations_frame(session, seeded.job_id)
        reviewed = job_reviews(session, seeded.job_id)
        [summary] = jobs.list_jobs(session)
        removed = get_candidate(session, low)
    assert counts[statuses.LOW_EFFORT] == 0 and summary.total == len(statuses.ALL) - 1
    assert low not in [row["candidate_id"] for row in page.rows] and page.total == 7
    assert low not in set(exported["candidate_id"])
    assert reviewed == {} and agreement([]).reviewed == 0
    assert (removed.removed_by, removed.status) == ("Dana", "looks_fine")  # kept, as it was
    assert reasons(session_factory, low)[-1] == "strong in person"  # its history too

    with transaction(session_factory) as session:
        restore_candidate(session, low)
    with session_factory() as session:
        assert jobs.status_counts(session, seeded.job_id)[statuses.LOOKS_FINE] == 2


def test_a_reimport_with_the_corrected_url_replaces_it_when_asked(session_factory):
    seeded = fail_with_a_wrong_path(session_factory)
    gita = seeded.ids["github_failed"]
    corrected = (
        b"name,email,github_url\n"
        b"Gita Missing,gita-missing@example.com,https://github.com/gita-missing/take-home/tree/main\n"
        b"Someone New,new@example.com,https://github.com/someone-new/repo\n"
    )
    with transaction(session_factory) as session:
        plan = plan_ingest(session, seeded.job_id, corrected)
    [replacement] = plan.replacements
    assert (replacement.row, replacement.candidate_id, replacement.name) == (
        2,
        gita,
        "Gita Missing",
    )
    assert replacement.describe() == (
        "gita-missing/take-home @ main / sub → https://github.com/gita-missing/take-home/tree/main"
    )
    assert plan.duplicates == [] and len(plan.rows) == 1

    with transaction(session_factory) as session:
        report = apply_ingest(session, seeded.job_id, plan, replace=True, actor="Dana")
    assert (report.inserted, [r.candidate_id for r in report.replaced]) == (1, [gita])
    with session_factory() as session:
        candidate = get_candidate(session, gita)
        assert (candidate.attempt, candidate.status, candidate.repo_path) == (2, "pending", None)
    assert reasons(session_factory, gita)[-1].startswith("re-imported: https://github.com/")


def test_a_reimport_without_replacements_reports_them_as_duplicates(session_factory):
    seeded = fail_with_a_wrong_path(session_factory)
    corrected = (
        b"name,email,github_url\n"
        b"Gita,gita-missing@example.com,https://github.com/gita-missing/take-home\n"
    )
    with transaction(session_factory) as session:
        report = ingest(session, seeded.job_id, corrected)
    [duplicate] = report.duplicates
    assert duplicate.reason.startswith(f"changes candidate {seeded.ids['github_failed']} (")
    with session_factory() as session:
        assert get_candidate(session, seeded.ids["github_failed"]).attempt == 1


def test_a_removed_candidate_comes_back_with_a_reimport(session_factory):
    seeded = seed_every_status(session_factory)
    grace = seeded.ids["looks_fine"]
    with transaction(session_factory) as session:
        remove_candidate(session, grace, actor="Dana")
    again = b"name,github_url\nGrace Hopper,https://github.com/grace-hopper/take-home\n"
    with transaction(session_factory) as session:
        plan = plan_ingest(session, seeded.job_id, again)
        assert [r.restores for r in plan.replacements] == [True]
        apply_ingest(session, seeded.job_id, plan, replace=True)
    with session_factory() as session:
        back = session.scalar(select(Candidate).where(Candidate.id == grace))
        assert back is not None and back.removed_at is None
        assert (back.status, back.attempt) == ("looks_fine", 1)  # the same repository: as it was
