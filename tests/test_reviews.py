"""Recruiters' decisions: read from the audit trail, kept through re-runs unless agreed."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tats_core.errors import InputError
from tats_core.store.db import transaction
from tats_core.triage.candidates import get_candidate, override_decision, rerun
from tats_core.triage.reviews import current_reviews, job_reviews
from tests.app_fixtures import seed_every_status


def test_a_review_records_who_why_and_the_analyzers_decision(
    session_factory: sessionmaker[Session],
):
    seeded = seed_every_status(session_factory)
    low, fine = seeded.ids["low_effort"], seeded.ids["looks_fine"]
    with transaction(session_factory) as session:
        with pytest.raises(InputError, match="say why"):
            override_decision(session, low, "looks_fine", actor="Ada", reason=" ")
        override_decision(session, low, "looks_fine", actor="Ada", reason="strong in person")
        override_decision(session, fine, "looks_fine", actor="Bo", reason="")  # kept: no reason
    with session_factory() as session:
        reviews = current_reviews(session, [low, fine, seeded.ids["pending"]])
        assert set(reviews) == {low, fine}
        assert (reviews[low].decision, reviews[low].analyzer_decision) == (
            "looks_fine",
            "low_effort",
        )
        assert reviews[low].overrides and reviews[low].actor == "Ada"
        assert not reviews[fine].overrides and "kept" in reviews[fine].reason
        assert set(job_reviews(session, seeded.job_id)) == {low, fine}


def test_a_rerun_keeps_a_human_decision_unless_asked_to_replace_it(
    session_factory: sessionmaker[Session],
):
    seeded = seed_every_status(session_factory)
    low = seeded.ids["low_effort"]
    with transaction(session_factory) as session:
        override_decision(session, low, "needs_review", actor="Ada", reason="look again")
    with transaction(session_factory) as session:
        assert rerun(session, [low], actor="Ada") == 0
        assert get_candidate(session, low).status == "needs_review"
    with transaction(session_factory) as session:
        assert rerun(session, [low], actor="Ada", replace_reviews=True) == 1
    with session_factory() as session:
        assert get_candidate(session, low).status == "pending"
        assert current_reviews(session, [low]) == {}  # the new attempt has no review yet
