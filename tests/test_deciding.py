"""Deciding among candidates (issue #21): notes that are not decisions, one decision for several
candidates, two to four side by side, and which failures are worth a re-run."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.agreement import agreement
from tats_core.triage.candidates import (
    WORKER_ACTOR,
    get_candidate,
    job_failures,
    message_owners,
)
from tats_core.triage.comparison import (
    compare,
    criterion_names,
    own_test_run,
    summary_of_tests,
)
from tats_core.triage.decisions import decide_many
from tats_core.triage.evidence import CodeLinks
from tats_core.triage.export import evaluations_frame
from tats_core.triage.listing import CandidateSort, candidate_page
from tats_core.triage.notes import add_note, notes_of
from tats_core.triage.reviews import job_reviews
from tests.app_fixtures import NAMES, add_candidate, events_of, seed_every_status


def test_notes_keep_author_and_time_and_are_exported(session_factory):
    seeded = seed_every_status(session_factory)
    grace = seeded.ids["looks_fine"]
    with transaction(session_factory) as session:
        add_note(session, grace, "  Ask about the retry logic in the call. ", author="Dana")
        add_note(session, grace, "=SUM(A1) looks odd", author="Eli")
        with pytest.raises(InputError, match="empty"):
            add_note(session, grace, "   ", author="Dana")
    with session_factory() as session:
        notes = notes_of(session, grace)
        frame = evaluations_frame(session, seeded.job_id)
    assert [(n.author, n.body) for n in notes] == [
        ("Dana", "Ask about the retry logic in the call."),
        ("Eli", "=SUM(A1) looks odd"),
    ]
    assert all(n.created_at.tzinfo is not None for n in notes)
    cell = frame.set_index("candidate_id").loc[grace, "notes"]
    first, second = cell.split("\n")
    assert first.endswith(" UTC · Dana: Ask about the retry logic in the call.")
    assert second.endswith("Eli: =SUM(A1) looks odd")
    assert frame.set_index("candidate_id").loc[seeded.ids["low_effort"], "notes"] == ""
    assert list(frame.columns).index("notes") > list(frame.columns).index("evaluated_at")


def test_one_decision_for_several_candidates_records_each_and_counts_in_agreement(
    session_factory,
):
    seeded = seed_every_status(session_factory)
    chosen = [seeded.ids[s] for s in ("looks_fine", "needs_review", "low_effort", "processing")]
    with transaction(session_factory) as session, pytest.raises(InputError, match="say why"):
        decide_many(session, chosen, "needs_review", actor="Dana", reason="")
    assert events_of(session_factory, seeded.ids["looks_fine"]) == []  # nothing saved

    with transaction(session_factory) as session:
        result = decide_many(session, chosen, "needs_review", actor="Dana", reason="second look")
    assert result.decided == chosen[:3]
    assert result.skipped == {seeded.ids["processing"]: "still being processed"}
    for candidate_id in chosen[:3]:
        [event] = events_of(session_factory, candidate_id)
        assert (event.override, event.actor, event.to_status) == (True, "Dana", "needs_review")
    with session_factory() as session:
        reviews = job_reviews(session, seeded.job_id)
    result_agreement = agreement((r.analyzer_decision or "", r.decision) for r in reviews.values())
    assert (result_agreement.reviewed, result_agreement.kept) == (3, 1)


def test_keeping_the_analyzers_decision_in_bulk_needs_no_reason(session_factory):
    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session:
        result = decide_many(
            session, [seeded.ids["looks_fine"]], "looks_fine", actor="Dana", reason=""
        )
    assert result.decided == [seeded.ids["looks_fine"]]


def test_a_failed_candidate_has_no_analyzer_decision_to_keep(session_factory):
    from tats_core.triage.candidates import override_decision

    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session, pytest.raises(InputError) as error:
        override_decision(session, seeded.ids["ai_failed"], "needs_review", actor="D", reason="")
    assert "analyzer made no decision here" in str(error.value)
    assert "say why you decide Needs review" in str(error.value)


def test_comparison_reads_each_candidate_in_the_order_asked(session_factory):
    seeded = seed_every_status(session_factory)
    other_job = seed_every_status(session_factory, title="Other job")
    ids = [seeded.ids["low_effort"], seeded.ids["looks_fine"], other_job.ids["looks_fine"]]
    with transaction(session_factory) as session:
        evaluation = session.scalar(
            select(Evaluation).where(Evaluation.candidate_id == seeded.ids["looks_fine"])
        )
        assert evaluation is not None
        evaluation.criteria = [
            *evaluation.criteria,
            {"criterion": "Tests", "verdict": "partial", "evidence": ["tests/test_api.py:3"]},
        ]
        add_note(session, seeded.ids["low_effort"], "Keep in mind", author="Dana")
    with session_factory() as session:
        compared = compare(session, seeded.job_id, [*ids, ids[0]])
        assert [c.candidate.name for c in compared] == [NAMES["low_effort"], NAMES["looks_fine"]]
        assert criterion_names(compared) == ["CRUD endpoints", "Tests"]
        assert compared[0].criteria.get("Tests") is None
        assert [n.body for n in compared[0].notes] == ["Keep in mind"]
        assert compared[1].events[0].reason == "imported from CSV"
        assert compared[0].tests == "not run"


def test_the_tests_row_reads_a_test_run_from_the_evaluation():
    run = {"status": "failed", "passed": 3, "failed": 1, "errors": 1, "note": "test_delete fails"}
    evaluation = Evaluation(tests={"tests": run, "acceptance": None})
    assert summary_of_tests(own_test_run(evaluation)) == (
        "failed (3 passed tests, 2 failed tests): test_delete fails"
    )
    assert summary_of_tests({"status": "no_tests"}) == "no tests"
    assert summary_of_tests(own_test_run(None)) == "not run"


def test_permanent_github_failures_are_told_apart_from_exhausted_retries(session_factory):
    seeded = seed_every_status(session_factory)
    gita, aiko = seeded.ids["github_failed"], seeded.ids["ai_failed"]
    with transaction(session_factory) as session:
        limited = add_candidate(session, seeded.job_id, statuses.GITHUB_FAILED, "Rita Limit")
        for candidate_id, actor in ((gita, WORKER_ACTOR), (limited.id, "queue"), (aiko, "worker")):
            status = get_candidate(session, candidate_id).status
            session.add(
                StatusEvent(
                    candidate_id=candidate_id,
                    attempt=1,
                    from_status="processing",
                    to_status=status,
                    actor=actor,
                    reason="404" if actor == WORKER_ACTOR else "retries exhausted",
                )
            )
    with session_factory() as session:
        failures = job_failures(session, seeded.job_id)
    assert failures.permanent == [gita]  # GitHub said no: asking again gives the same answer
    assert failures.retryable == sorted([aiko, seeded.ids["unknown_failed"], limited.id])
    assert failures.total == 4


def test_sorting_covers_the_whole_job_not_one_page(session_factory):
    seeded = seed_every_status(session_factory)
    with session_factory() as session:
        by_name = candidate_page(
            session, seeded.job_id, page_size=3, sort=CandidateSort("name", descending=False)
        )
        last = candidate_page(
            session, seeded.job_id, page=3, page_size=3, sort=CandidateSort("name", True)
        )
        best = candidate_page(session, seeded.job_id, page_size=3)
    assert [r["name"] for r in by_name.rows] == ["Aiko Timeout", "Gita Missing", "Grace Hopper"]
    assert [r["name"] for r in last.rows] == ["Gita Missing", "Aiko Timeout"]
    assert best.rows[0]["name"] == NAMES["looks_fine"]


def test_queue_messages_name_their_candidate_and_job(session_factory):
    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session:
        grace = session.get(Candidate, seeded.ids["looks_fine"])
        assert grace is not None
        grace.message_id = "msg_current"
        session.scalars(select(Evaluation).where(Evaluation.candidate_id == grace.id)).one()
        evaluation = session.scalars(
            select(Evaluation).where(Evaluation.candidate_id == seeded.ids["low_effort"])
        ).one()
        evaluation.message_id = "msg_delivered"
    with session_factory() as session:
        owners = message_owners(session, ["msg_current", "msg_delivered", "msg_unknown", ""])
    assert {m: (o.name, o.job_title) for m, o in owners.items()} == {
        "msg_current": (NAMES["looks_fine"], "Backend take-home"),
        "msg_delivered": (NAMES["low_effort"], "Backend take-home"),
    }


def test_cited_places_link_to_the_file_at_the_judged_commit(session_factory):
    sha = "0123456789abcdef0123456789abcdef01234567"
    candidate = Candidate(repo_full_name="ada/mono", repo_path="services/api")
    evaluation = Evaluation(
        commit_sha=sha, signals={"sample_files": {"services/api/app/main.py": "b1"}}
    )
    links = CodeLinks.of(candidate, evaluation)
    assert links.segments("Stubbed: app/main.py:10-12 and README.md:3, nothing else") == [
        ("Stubbed: ", None),
        ("app/main.py:10-12", f"https://github.com/ada/mono/blob/{sha}/services/api/app/main.py#L10-L12"),
        (" and ", None),
        ("README.md:3", f"https://github.com/ada/mono/blob/{sha}/services/api/README.md#L3"),
        (", nothing else", None),
    ]  # fmt: skip
    assert CodeLinks.of(candidate, Evaluation(signals={})).segments("app/main.py:1") == [
        ("app/main.py:1", None)  # no commit judged: nothing to link to
    ]


def test_a_removed_or_busy_candidate_is_not_decided_in_bulk(session_factory):
    from tats_core.triage.corrections import remove_candidate

    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session:
        remove_candidate(session, seeded.ids["low_effort"], actor="Dana")
    with transaction(session_factory) as session:
        result = decide_many(
            session,
            [seeded.ids["low_effort"], seeded.ids["pending"]],
            "looks_fine",
            actor="Dana",
            reason="x",
        )
    assert result.decided == []
    assert set(result.skipped.values()) == {"removed from the job", "still being processed"}
    assert get_status(session_factory, seeded.ids["low_effort"]) == statuses.LOW_EFFORT


def get_status(session_factory: sessionmaker[Session], candidate_id: int) -> str:
    with session_factory() as session:
        return get_candidate(session, candidate_id).status
