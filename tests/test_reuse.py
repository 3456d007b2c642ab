"""Repeatable verdicts (#19, item 4): the same commit under the same rubric and analyzer is
judged once, through the real worker, a GitHub replay and a fake Cohere that counts requests."""

from __future__ import annotations

from sqlalchemy import select

from tats_core import statuses
from tats_core.judging.cohere_analyzer import CohereAnalyzer
from tats_core.judging.criteria import DEFAULT_CRITERIA, criteria_json
from tats_core.judging.heuristic import HeuristicAnalyzer
from tats_core.processing.reuse import REUSED_FLAG
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, Job
from tats_core.triage.candidates import history, rerun
from tats_core.triage.export import evaluations_frame
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job, set_criteria, stale_candidates, update_job
from tests import test_worker_judging
from tests.test_worker_judging import worker_with

DESCRIPTION = "A REST API in Python with tests."
REPO = "https://github.com/acme/strong-api"


github, cohere = test_worker_judging.github, test_worker_judging.cohere  # fixtures


def new_job(session_factory, title: str, url: str = REPO, description: str = DESCRIPTION) -> int:
    """A job with one candidate submitting ``url``; returns the candidate's id."""
    with transaction(session_factory) as session:
        job = create_job(session, title, description)
        apply_ingest(session, job.id, plan_ingest(session, job.id, f"repo\n{url}\n".encode()))
        return session.scalar(select(Candidate.id).where(Candidate.job_id == job.id))


def judge_again(session_factory, worker, cid: int) -> None:
    with transaction(session_factory) as session:
        assert rerun(session, [cid], actor="recruiter") == 1
    assert worker.deliver({"candidateId": cid}).status_code == 200


def evaluations(session_factory, cid: int) -> list[Evaluation]:
    with session_factory() as session:
        query = select(Evaluation).where(Evaluation.candidate_id == cid)
        return list(session.scalars(query.order_by(Evaluation.attempt)))


def job_of(session_factory, cid: int) -> int:
    with session_factory() as session:
        return session.get(Candidate, cid).job_id


def test_the_same_commit_and_rubric_make_no_model_call_and_a_changed_rubric_does(
    database_url, session_factory, github, cohere
):
    first = new_job(session_factory, "Backend")
    analyzer = CohereAnalyzer("test-key", base_url=cohere.url, timeout=5)
    with worker_with(database_url, session_factory, github.url, analyzer) as worker:
        assert worker.deliver({"candidateId": first}).status_code == 200
        assert len(cohere.requests) == 1
        judge_again(session_factory, worker, first)  # nothing changed
        assert len(cohere.requests) == 1
        # The same repository in another job with the same description: the same rubric.
        second = new_job(session_factory, "Backend, second round")
        assert worker.deliver({"candidateId": second}).status_code == 200
        assert len(cohere.requests) == 1
        # Editing the second job's criteria changes its rubric: re-judged on request.
        with transaction(session_factory) as session:
            job_id = job_of(session_factory, second)
            set_criteria(session, job_id, criteria_json(DEFAULT_CRITERIA[:4]))
            assert stale_candidates(session, job_id) == [second]
        judge_again(session_factory, worker, second)
        assert len(cohere.requests) == 2
        # ... and so does its description.
        with transaction(session_factory) as session:
            job = session.get(Job, job_of(session_factory, second))
            update_job(session, job.id, title=job.title, description="A CLI.", rubric="")
        judge_again(session_factory, worker, second)
        assert len(cohere.requests) == 3

    original, repeat = evaluations(session_factory, first)
    assert repeat.reused_from == original.id and REUSED_FLAG in repeat.flags
    assert (repeat.status, repeat.score, repeat.summary, repeat.criteria) == (
        original.status,
        original.score,
        original.summary,
        original.criteria,
    )
    assert original.reused_from is None and REUSED_FLAG not in original.flags
    reused, rejudged, described = evaluations(session_factory, second)
    assert reused.reused_from == original.id
    assert rejudged.reused_from is None and rejudged.rubric_hash != original.rubric_hash
    assert described.rubric_hash not in (original.rubric_hash, rejudged.rubric_hash)
    for evaluation in (original, rejudged):  # each stores what it was judged against
        assert evaluation.model == "command-a-03-2025" and evaluation.prompt_hash
        assert evaluation.commit_sha and evaluation.rubric_hash and evaluation.verdict_key
    with session_factory() as session:
        reasons = [e.reason for e in history(session, first)]
        later = [e.reason for e in history(session, second)]
    assert any("verdict reused: same commit, rubric and analyzer" in r for r in reasons)
    assert any("re-judged: the rubric changed since attempt 1" in r for r in later)


def exported(session_factory, cid: int) -> dict:
    with session_factory() as session:
        return dict(evaluations_frame(session, job_of(session_factory, cid)).iloc[0])


def test_another_analyzer_re_judges_and_the_reuse_shows_in_the_export(
    database_url, session_factory, github, cohere
):
    cid = new_job(session_factory, "Backend")
    with worker_with(database_url, session_factory, github.url, HeuristicAnalyzer()) as worker:
        assert worker.deliver({"candidateId": cid}).status_code == 200
        judge_again(session_factory, worker, cid)
    row = exported(session_factory, cid)
    assert row["reused_from"] == f"{cid}/1" and row["commit_sha"]
    assert row["criteria"].startswith("Substance of the solution: ")
    analyzer = CohereAnalyzer("test-key", base_url=cohere.url, timeout=5)
    with worker_with(database_url, session_factory, github.url, analyzer) as worker:
        judge_again(session_factory, worker, cid)
    assert len(cohere.requests) == 1  # the heuristic's verdicts are not the model's
    first, reused, by_model = evaluations(session_factory, cid)
    assert reused.reused_from == first.id and by_model.reused_from is None
    assert by_model.status in statuses.DECISIONS
    assert exported(session_factory, cid)["reused_from"] == ""
    with session_factory() as session:
        reason = history(session, cid)[-1].reason
    assert "re-judged: the analyzer changed since attempt 2" in reason


def test_a_failure_is_never_reused(database_url, session_factory, github, cohere):
    cid = new_job(session_factory, "Backend")
    cohere.fail_next(400, message="invalid request")
    analyzer = CohereAnalyzer("test-key", base_url=cohere.url, timeout=5)
    with worker_with(database_url, session_factory, github.url, analyzer) as worker:
        assert worker.deliver({"candidateId": cid}).status_code == 200
        judge_again(session_factory, worker, cid)
    failed, judged = evaluations(session_factory, cid)
    assert failed.status == statuses.AI_FAILED and failed.verdict_key is None
    assert judged.status in statuses.DECISIONS and judged.reused_from is None
    assert len(cohere.requests) == 2


def test_a_criterion_is_hashed_with_every_one_of_its_fields():
    """``criteria_json`` names a criterion's fields one by one (``asdict`` cost most of a
    rubric hash): a field added to ``CriterionSpec`` must be added there too, or two rubrics
    that differ in it would share verdicts."""
    from dataclasses import fields

    from tats_core.judging.criteria import CriterionSpec

    names = {f.name for f in fields(CriterionSpec)}
    assert all(set(item) == names for item in criteria_json(DEFAULT_CRITERIA))
