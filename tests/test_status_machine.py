"""One status machine (``statuses.TRANSITIONS``): every change, ORM or Core, is checked against
it. These tests walk the whole table on a real database."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from tats_core import statuses
from tats_core.statuses import InvalidTransition, Status, check_transition
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, StatusEvent, utcnow
from tats_core.triage.candidates import record_event, transition
from tests.worker_fixtures import seed_candidates

PAIRS = list(itertools.product(Status, Status))


def test_every_status_is_reachable_from_pending_and_every_final_one_can_be_rerun():
    seen, todo = {statuses.PENDING}, [statuses.PENDING]
    while todo:
        for nxt in statuses.TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(Status)
    for final in statuses.FINAL:
        assert statuses.PENDING in statuses.TRANSITIONS[final]
    with pytest.raises(InvalidTransition):
        check_transition(None, statuses.PROCESSING)  # a new candidate starts pending


def test_the_orm_path_allows_exactly_the_table(session_factory):
    [cid] = seed_candidates(session_factory, 1)
    for from_status, to_status in PAIRS:
        allowed = to_status in statuses.TRANSITIONS[from_status]
        with transaction(session_factory) as session:
            candidate = session.get(Candidate, cid)
            candidate.status = from_status  # set up the starting point, no event
        with transaction(session_factory) as session:
            candidate = session.get(Candidate, cid)
            if allowed:
                transition(session, candidate, to_status, actor="test", reason="walk")
            else:
                with pytest.raises(InvalidTransition):
                    transition(session, candidate, to_status, actor="test", reason="walk")
        with transaction(session_factory) as session:
            assert session.get(Candidate, cid).status == (to_status if allowed else from_status)
    with transaction(session_factory) as session:
        moves = session.execute(
            select(StatusEvent.from_status, StatusEvent.to_status).where(
                StatusEvent.candidate_id == cid, StatusEvent.reason == "walk"
            )
        ).all()
    assert sorted(moves) == sorted((f, t) for f, t in PAIRS if t in statuses.TRANSITIONS[f])


def test_the_core_path_refuses_a_move_off_the_table_and_writes_nothing(session_factory):
    [cid] = seed_candidates(session_factory, 1)
    with pytest.raises(InvalidTransition), transaction(session_factory) as session:
        record_event(
            session,
            cid,
            1,
            statuses.PENDING,
            statuses.LOOKS_FINE,
            actor="t",
            reason="x",
            at=utcnow(),
        )
    with transaction(session_factory) as session:
        events = session.scalars(select(StatusEvent).where(StatusEvent.candidate_id == cid))
        assert list(events) == []
