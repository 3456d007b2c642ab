"""Recording what judging came to: the evaluation and the final status, fenced by the claim
(``claims.finish``), with the shared-code check across the job in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tats_core.processing.claims import Work, finish, still_ours
from tats_core.processing.judgement import Judgement
from tats_core.processing.test_runs import split_output
from tats_core.triage import shared_code


def record_decision(
    session: Session, work: Work, judgement: Judgement, message_id: str | None
) -> bool:
    """The analyzer's verdict as the final status; False when the claim is no longer ours."""
    overlaps = []
    if work.job_id is not None and still_ours(session, work):
        overlaps = shared_code.check_candidate(
            session, work.job_id, work.candidate_id, judgement.own_files, judgement.result
        )
    written = finish(
        session,
        work,
        _evaluation(judgement, message_id),
        judgement.result.analysis.decision,
        f"{judgement.result.analyzer} analysis",
    )
    if written:
        shared_code.flag_others(session, work.candidate_id, overlaps)
    return written


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
    )


def _test_columns(judgement: Judgement) -> dict[str, Any]:
    if judgement.tests is None:
        return {}
    stored, output = split_output(judgement.tests)
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
