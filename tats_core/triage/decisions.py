"""One decision for several candidates at once: each goes through ``override_decision`` (so the
status machine checks it, its history records it and agreement counts it), in one transaction:
either every candidate that can take the decision gets it, or none does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.store.models import Candidate, Evaluation
from tats_core.triage.candidates import override_decision
from tats_core.triage.listing import CURRENT_EVALUATION
from tats_core.wording import plural


@dataclass(frozen=True)
class BulkDecision:
    decided: list[int]
    skipped: dict[int, str] = field(default_factory=dict)  # candidate id -> why not


def decide_many(
    session: Session, candidate_ids: Sequence[int], decision: str, *, actor: str, reason: str
) -> BulkDecision:
    """``decision`` with one ``reason`` for each candidate that can take it; candidates still
    being processed or removed are skipped and said so. A reason is needed as soon as one of
    them changes the analyzer's decision (or has none), and then nothing is saved without it."""
    if decision not in statuses.DECISIONS:
        raise InputError(f"'{decision}' is not a decision")
    rows = session.execute(
        select(Candidate.id, Candidate.status, Candidate.removed_at, Evaluation.status)
        .outerjoin(
            Evaluation,
            CURRENT_EVALUATION,
        )
        .where(Candidate.id.in_(list(candidate_ids)))
        .order_by(Candidate.id)
    ).all()
    skipped: dict[int, str] = {}
    ready: list[int] = []
    changing = 0
    for candidate_id, status, removed_at, analyzer_decision in rows:
        if status in statuses.ACTIVE:
            skipped[candidate_id] = "still being processed"
        elif removed_at is not None:
            skipped[candidate_id] = "removed from the job"
        else:
            ready.append(candidate_id)
            changing += analyzer_decision != decision
    if changing and not reason.strip():
        raise InputError(
            f"say why: {plural(changing, 'candidate')} of the {len(ready)} would change from "
            "the analyzer's decision; the reason is kept with each"
        )
    for candidate_id in ready:
        override_decision(session, candidate_id, decision, actor=actor, reason=reason)
    return BulkDecision(ready, skipped)
