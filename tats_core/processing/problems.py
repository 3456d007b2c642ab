"""Configuration problems of outside services: a rejected or missing key or token.

A problem makes candidates *wait*, never fail: a delivery that meets one (or finds one recorded)
sends its candidate back to the outbox without spending its retries, ``reconcile`` publishes
nothing while one is recorded, and ``/healthz`` and the pages' banner say what to fix. Each
``reconcile`` (every minute, from the queue's schedule) probes the recorded services; once one
answers, its problem is cleared and the waiting candidates are published again, with no
command run. Rows live in ``dependency_problem``, shared by every process; messages never hold
a secret (the errors that carry them are built that way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.store.models import Candidate, DependencyProblem, utcnow

NAMES = {"cohere": "Cohere", "github": "GitHub", "settings": "TATS's settings"}


@dataclass(frozen=True)
class Problem:
    dependency: str
    message: str
    since: datetime

    @property
    def headline(self) -> str:
        """One line for a person: which service, and what to check."""
        return f"{NAMES.get(self.dependency, self.dependency)}: {self.message}"


def report(session: Session, dependency: str, message: str, *, now: datetime | None = None) -> None:
    """Record (or refresh) a problem; the first sighting's time is kept."""
    now = now or utcnow()
    values = {"message": message[:1000], "last_seen_at": now}
    refreshed = session.execute(
        update(DependencyProblem).where(DependencyProblem.dependency == dependency).values(**values)
    )
    if refreshed.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(DependencyProblem(dependency=dependency, first_seen_at=now, **values))
    except IntegrityError:
        pass  # another process recorded it meanwhile


def clear(session: Session, dependency: str) -> bool:
    """The service answered: forget its problem. True when there was one."""
    result = session.execute(
        delete(DependencyProblem).where(DependencyProblem.dependency == dependency)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def active(session: Session) -> list[Problem]:
    rows = session.scalars(select(DependencyProblem).order_by(DependencyProblem.first_seen_at))
    return [Problem(r.dependency, r.message, r.first_seen_at) for r in rows]


def waiting_candidates(session: Session) -> int:
    """Candidates held back in the outbox (pending, not published)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Candidate)
            .where(Candidate.status == statuses.PENDING, Candidate.enqueued_at.is_(None))
        )
        or 0
    )
