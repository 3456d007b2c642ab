"""Two to four candidates of a job side by side: each one's decision (the recruiter's beside the
analyzer's), score, criteria with their evidence, tests, shared code, notes and history, read in
one place so the page only lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core.judging.overlap import Overlap
from tats_core.store.models import Candidate, CandidateNote, Evaluation, StatusEvent
from tats_core.triage.candidates import current_evaluation, history
from tats_core.triage.listing import LIVE
from tats_core.triage.notes import notes_by_candidate
from tats_core.triage.reviews import Review, current_reviews
from tats_core.triage.shared_code import overlaps_of
from tats_core.wording import plural

MIN_COMPARED, MAX_COMPARED = 2, 4


@dataclass
class Compared:
    candidate: Candidate
    evaluation: Evaluation | None
    review: Review | None
    shared: list[Overlap] = field(default_factory=list)
    events: list[StatusEvent] = field(default_factory=list)
    notes: list[CandidateNote] = field(default_factory=list)

    @property
    def criteria(self) -> dict[str, dict[str, Any]]:
        """The evaluation's criteria by name."""
        found = (self.evaluation.criteria if self.evaluation else None) or []
        return {str(c.get("criterion", "")): c for c in found}

    @property
    def tests(self) -> str:
        return summary_of_tests(own_test_run(self.evaluation))


def compare(session: Session, job_id: int, candidate_ids: Sequence[int]) -> list[Compared]:
    """The job's candidates among ``candidate_ids`` (at most ``MAX_COMPARED``, in that order;
    ids of other jobs, removed candidates and repeats are left out)."""
    wanted = list(dict.fromkeys(candidate_ids))
    found = {
        c.id: c
        for c in session.scalars(
            select(Candidate).where(Candidate.id.in_(wanted), Candidate.job_id == job_id, LIVE)
        )
    }
    chosen = [found[i] for i in wanted if i in found][:MAX_COMPARED]
    ids = [c.id for c in chosen]
    reviews = current_reviews(session, ids)
    notes = notes_by_candidate(session, ids)
    return [
        Compared(
            candidate,
            current_evaluation(session, candidate),
            reviews.get(candidate.id),
            overlaps_of(session, job_id, candidate.id),
            history(session, candidate.id),
            notes.get(candidate.id, []),
        )
        for candidate in chosen
    ]


def criterion_names(compared: Sequence[Compared]) -> list[str]:
    """Every criterion any of them was judged on, in the order first met."""
    return list(dict.fromkeys(name for c in compared for name in c.criteria))


def own_test_run(evaluation: Evaluation | None) -> dict[str, Any] | None:
    """The submission's own test run, as the evaluation stores it (``evaluation.tests``, the
    sandbox's report: ``status``, ``passed``, ``failed``, ``errors``, ``note``): the comparison's
    "Tests" row."""
    run = ((evaluation.tests if evaluation else None) or {}).get("tests")
    return run if isinstance(run, dict) else None


def summary_of_tests(run: dict[str, Any] | None) -> str:
    """One line for a test run: its status, counts and note; "not run" without one."""
    if not run or not run.get("status"):
        return "not run"
    failed = int(run.get("failed") or 0) + int(run.get("errors") or 0)
    counts = []
    if run.get("passed") is not None:
        counts.append(plural(int(run["passed"]), "passed test", "passed tests"))
    if failed:
        counts.append(plural(failed, "failed test", "failed tests"))
    line = str(run["status"]).replace("_", " ") + (f" ({', '.join(counts)})" if counts else "")
    return line + (f": {run['note']}" if run.get("note") else "")
