"""Recording what judging came to: the evaluation and the final status, fenced by the claim
(``claims.finish``), with the shared-code check across the job in the same transaction.

The evaluation stores what the verdict was judged against (commit, rubric hash, analyzer, model,
prompt hash) and, for a decision, its reuse key and the verdict before the job's shared-code
check (``reuse``). The status event says whether the verdict was reused from an earlier
evaluation, or what changed since the candidate's previous one (commit, rubric, analyzer).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core.judging.analysis import AnalysisResult
from tats_core.judging.concerns import listing
from tats_core.processing.claims import Work, finish, still_ours
from tats_core.processing.judgement import Judgement
from tats_core.processing.reuse import verdict_of
from tats_core.processing.test_runs import split_output
from tats_core.store.models import Evaluation
from tats_core.triage import shared_code


def record_decision(
    session: Session, work: Work, judgement: Judgement, message_id: str | None
) -> bool:
    """The analyzer's verdict as the final status; False when the claim is no longer ours."""
    verdict = verdict_of(judgement.result) if judgement.verdict_key else None
    reason = _reason(session, work, judgement)
    overlaps = []
    if work.job_id is not None and still_ours(session, work):
        overlaps = shared_code.check_candidate(
            session,
            work.job_id,
            work.candidate_id,
            judgement.own_files,
            judgement.result,
            judgement.given_files,
        )
    evaluation = _evaluation(judgement, message_id) | {"verdict": verdict}
    written = finish(session, work, evaluation, judgement.result.analysis.decision, reason)
    if written:
        shared_code.flag_others(session, work.candidate_id, overlaps)
    return written


def _reason(session: Session, work: Work, judgement: Judgement) -> str:
    """The status event's reason: reused, re-judged because something changed, or judged."""
    if judgement.reused is not None:
        return judgement.reused.note()
    reason = f"{judgement.result.analyzer} analysis"
    if work.attempt == 1:  # no earlier attempt to compare with (most deliveries): no query
        return reason
    previous = session.scalar(
        select(Evaluation)
        .where(
            Evaluation.candidate_id == work.candidate_id,
            Evaluation.attempt < work.attempt,
            Evaluation.commit_sha.is_not(None),
        )
        .order_by(Evaluation.attempt.desc())
        .limit(1)
    )
    if previous is None:
        return reason
    changed = [
        what
        for what, before, now in (
            ("the commit", previous.commit_sha, judgement.commit_sha),
            ("the rubric", previous.rubric_hash, judgement.rubric_hash),
            ("the analyzer", _analyzer_of(previous), _analyzer_of(judgement.result)),
        )
        if before is not None and before != now
    ]
    if changed:
        return f"{reason}, re-judged: {listing(changed)} changed since attempt {previous.attempt}"
    return reason


def _analyzer_of(source: Evaluation | AnalysisResult) -> str:
    return f"{source.analyzer}|{source.model or ''}|{source.prompt_hash or ''}"


def _evaluation(judgement: Judgement, message_id: str | None) -> dict[str, Any]:
    analysis = judgement.result.analysis
    return dict(
        **_test_columns(judgement),
        status=analysis.decision,
        score=analysis.score,
        summary=analysis.summary,
        strengths=analysis.strengths,
        concerns=analysis.concerns,
        criteria=[c.model_dump() for c in analysis.criteria],
        signals=judgement.signals.to_dict(),
        flags=judgement.result.flags,
        analyzer=judgement.result.analyzer,
        model=judgement.result.model,
        prompt_hash=judgement.result.prompt_hash,
        commit_sha=judgement.commit_sha,
        raw_answer=judgement.result.raw_answer,
        latency_ms=judgement.latency_ms,
        message_id=message_id,
        rubric_hash=judgement.rubric_hash,
        verdict_key=judgement.verdict_key,
        reused_from=judgement.reused.evaluation_id if judgement.reused else None,
    )


def _test_columns(judgement: Judgement) -> dict[str, Any]:
    if judgement.tests is None:
        return {}
    stored, output = split_output(judgement.tests)
    if judgement.reused is not None:  # stored already split; its output kept beside it
        output = judgement.reused.tests_output or ""
    acceptance = stored.get("acceptance")
    return {
        "tests": stored,
        "tests_output": output or None,
        "tests_status": (stored.get("tests") or {}).get("status"),
        "acceptance_status": acceptance.get("status") if acceptance else None,
        "acceptance_version": judgement.acceptance_version if acceptance else None,
    }


def record_failure(
    session: Session, work: Work, status: str, message: str, message_id: str | None
) -> bool:
    """A permanent failure as the final status; False when the claim is no longer ours."""
    evaluation = dict(status=status, summary=message, error=message, message_id=message_id)
    return finish(session, work, evaluation, status, message)
