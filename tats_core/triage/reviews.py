"""Reviews: the recruiters' decisions on candidates, read from the audit trail.

A recruiter's decision is a ``status_event`` row with ``override`` set: it records who, why and
when, so no column of its own is needed. The *current* review of a candidate is the latest such
row of its current attempt (a re-run starts a new attempt, which has none yet); beside it stands
the analyzer's own decision, the status of that attempt's evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.listing import CURRENT_EVALUATION, LIVE


@dataclass(frozen=True)
class Review:
    """A recruiter's decision on a candidate's current attempt, beside the analyzer's."""

    candidate_id: int
    decision: str
    actor: str
    reason: str
    at: datetime
    analyzer_decision: str | None  # None when the attempt has no analyzer decision

    @property
    def overrides(self) -> bool:
        """The human decision differs from the analyzer's (not a confirmation)."""
        return self.decision != self.analyzer_decision


def current_reviews(session: Session, candidate_ids: Iterable[int]) -> dict[int, Review]:
    """The current review of each of these candidates that has one, by candidate id."""
    ids = list(candidate_ids)
    if not ids:
        return {}
    return _reviews(session, Candidate.id.in_(ids))


def job_reviews(session: Session, job_id: int) -> dict[int, Review]:
    """Every reviewed candidate of a job (removed ones left out), by candidate id."""
    return _reviews(session, and_(Candidate.job_id == job_id, LIVE))


def _reviews(session: Session, where: object) -> dict[int, Review]:
    query = (
        select(StatusEvent, Evaluation.status)
        .join(
            Candidate,
            and_(
                Candidate.id == StatusEvent.candidate_id, Candidate.attempt == StatusEvent.attempt
            ),
        )
        .outerjoin(
            Evaluation,
            CURRENT_EVALUATION,
        )
        .where(where, StatusEvent.override.is_(True))  # type: ignore[arg-type]
        .order_by(StatusEvent.id)
    )
    reviews: dict[int, Review] = {}
    for event, analyzer_status in session.execute(query):
        reviews[event.candidate_id] = Review(  # later rows replace earlier ones
            candidate_id=event.candidate_id,
            decision=event.to_status,
            actor=event.actor,
            reason=event.reason,
            at=event.created_at,
            analyzer_decision=analyzer_status if analyzer_status in statuses.DECISIONS else None,
        )
    return reviews
