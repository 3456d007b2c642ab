"""Asking a misconfigured dependency whether it answers again (``problems`` records them).

``reconcile`` (every minute, from the queue's schedule) and the worker's start-up call
``recheck``: each recorded dependency gets the cheapest call that proves TATS's settings work
(GitHub's free ``/rate_limit`` with the token; one tiny Cohere chat with the configured key and
model); those that answer are cleared, and the waiting candidates are published again.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from tats_core.errors import ConfigurationError, TatsError
from tats_core.processing.judgement import Judges
from tats_core.processing.problems import Problem, active, clear
from tats_core.store.db import in_thread, transaction


class _Answers(Protocol):
    async def __call__(self) -> object: ...


def _probe_for(judges: Judges, dependency: str) -> _Answers | None:
    """The cheapest call that shows a dependency accepts TATS's settings again; None when the
    dependency is no longer used (or cannot be asked): its problem is simply cleared."""
    if dependency == "github":
        return getattr(judges.github, "rate_limit", None)  # free, and checks the token
    if dependency == judges.analyzer.name:
        return getattr(judges.analyzer, "probe", None)
    return None


async def recheck(session_factory: sessionmaker[Session], judges: Judges) -> list[Problem]:
    """Ask each dependency with a recorded problem whether it answers now; clear those that do.
    Returns the problems that remain (called by ``reconcile`` every minute, and at start-up)."""

    def _recorded() -> list[Problem]:
        with transaction(session_factory) as session:
            return active(session)

    remaining = []
    for problem in await in_thread(_recorded):
        probe = _probe_for(judges, problem.dependency)
        try:
            if probe is not None:
                await probe()
        except ConfigurationError as exc:
            remaining.append(Problem(problem.dependency, exc.message, problem.since))
            continue
        except TatsError:
            remaining.append(problem)  # not answering at all: still waiting, unchanged
            continue
        await in_thread(_clear_in_tx, session_factory, problem.dependency)
    return remaining


def _clear_in_tx(session_factory: sessionmaker[Session], dependency: str) -> None:
    with transaction(session_factory) as session:
        clear(session, dependency)
