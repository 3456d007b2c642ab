"""What a recruiter needs to check a verdict and know whether it would repeat: the job's
criteria with their weights, whether the job's rubric changed since the verdict, and the
earlier evaluation it was reused from (``processing.reuse``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from tats_core.store.models import Candidate, Evaluation, Job
from tats_core.triage.jobs import criteria_of, rubric_hash_of


@dataclass(frozen=True)
class ReusedFrom:
    candidate_id: int
    attempt: int
    evaluated_at: datetime


@dataclass(frozen=True)
class VerdictCheck:
    weights: dict[str, int] = field(default_factory=dict)  # criterion -> weight, the job's now
    rubric_changed: bool = False  # the job's description, rubric or criteria changed since
    reused: ReusedFrom | None = None


def verdict_check(session: Session, evaluation: Evaluation) -> VerdictCheck:
    candidate = session.get(Candidate, evaluation.candidate_id)
    job = session.get(Job, candidate.job_id) if candidate else None
    if job is None:
        return VerdictCheck()
    origin = session.get(Evaluation, evaluation.reused_from) if evaluation.reused_from else None
    return VerdictCheck(
        weights={c.name: c.weight for c in criteria_of(job)},
        rubric_changed=bool(evaluation.rubric_hash)
        and evaluation.rubric_hash != rubric_hash_of(job),
        reused=ReusedFrom(origin.candidate_id, origin.attempt, origin.evaluated_at)
        if origin
        else None,
    )
