"""Repeatable verdicts: the same work, asked twice, is judged once.

A verdict depends on the commit judged, the rubric, the analyzer, how the tests ran and what
the candidate was given. ``verdict_key`` hashes all of it:

- the **commit** (its tree, hence every file and the history up to it);
- the **rubric**: the job's description, free-text rubric and criteria (``JobBrief.rubric_hash``;
  not the job's title, so a second job with the same description is the same rubric);
- the **analyzer**: its name, model and prompt hash, and the judging rules' version
  (``judging.version``), so a release that changes a rule re-judges;
- the **tests**: whether they run at all (the deployment's sandbox, the job's switch) and the
  content of the job's acceptance tests (their version number is the job's own);
- what the candidate was **given**: the blob shas set aside as a starter's or the job's.

An evaluation that decided (never a failure) stores its key and its verdict as the analyzer
left it, bounds applied, before the job's shared-code check (which is the job's and is redone
every time, ``recording``). A later judgement with the same key, for any candidate of any job,
takes that verdict, the signals and the test report from it: no model call, no test run, and it
says so (``reused_from``, the ``verdict_reused`` flag and the status event).

``StoredJudging`` is what the pipeline reads from the database while it judges one candidate:
the job's given files and a verdict to reuse.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.judging.analysis import Analysis, AnalysisResult, Analyzer, JobBrief
from tats_core.judging.signals import SIGNALS_VERSION
from tats_core.judging.version import JUDGING_HASH
from tats_core.store.db import in_thread, transaction
from tats_core.store.models import Evaluation
from tats_core.triage.shared_code import job_given

REUSED_FLAG = "verdict_reused"


def analyzer_identity(analyzer: Analyzer) -> str:
    """Name, model and prompt version: what must match for a verdict to be reused."""
    model = getattr(analyzer, "model", None) or ""
    prompt = getattr(analyzer, "prompt_hash", None) or ""
    return f"{analyzer.name}|{model}|{prompt}"


def acceptance_hash(files: Mapping[str, bytes] | None) -> str:
    """The content of a job's acceptance tests ("" when it has none)."""
    if not files:
        return ""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


def verdict_key(
    commit_sha: str,
    job: JobBrief,
    analyzer: Analyzer,
    tests_setup: str,
    given_shas: Iterable[str],
) -> str:
    """The key under which a verdict is reused (see the module docstring)."""
    body = json.dumps(
        {
            "commit": commit_sha,
            "rubric": job.rubric_hash,
            "analyzer": analyzer_identity(analyzer),
            "rules": JUDGING_HASH,
            "signals": SIGNALS_VERSION,
            "tests": tests_setup,
            "given": sorted(set(given_shas)),
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class StoredVerdict:
    """A verdict an earlier evaluation reached, with what it was judged from."""

    evaluation_id: int
    candidate_id: int
    attempt: int
    evaluated_at: datetime
    result: AnalysisResult
    signals: dict[str, Any]
    tests: dict[str, Any] | None
    tests_output: str | None
    acceptance_version: int | None

    def note(self) -> str:
        """For the history: which evaluation's verdict was reused."""
        when = self.evaluated_at.strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"{self.result.analyzer} verdict reused: same commit, rubric and analyzer as "
            f"candidate {self.candidate_id}'s attempt {self.attempt} ({when}); no model call, "
            "no test run"
        )


def verdict_of(result: AnalysisResult) -> dict[str, Any]:
    """What is stored to be reused: the bounded analysis and how it was reached."""
    return {
        "analysis": result.analysis.model_dump(mode="json"),
        "analyzer": result.analyzer,
        "model": result.model,
        "prompt_hash": result.prompt_hash,
        "raw_answer": result.raw_answer,
        "flags": [f for f in result.flags if f != REUSED_FLAG],
    }


def _stored(row: Evaluation) -> StoredVerdict:
    verdict = row.verdict or {}
    result = AnalysisResult(
        analysis=Analysis.model_validate(verdict["analysis"]),
        analyzer=str(verdict.get("analyzer") or row.analyzer),
        model=verdict.get("model"),
        prompt_hash=verdict.get("prompt_hash"),
        raw_answer=verdict.get("raw_answer"),
        flags=sorted({*verdict.get("flags", []), REUSED_FLAG}),
    )
    return StoredVerdict(
        evaluation_id=row.id,
        candidate_id=row.candidate_id,
        attempt=row.attempt,
        evaluated_at=row.evaluated_at,
        result=result,
        signals=dict(row.signals or {}),
        tests=row.tests,
        tests_output=row.tests_output,
        acceptance_version=row.acceptance_version,
    )


# Built once: the query runs on every delivery, and building it cost more than running it.
_VERDICT = (
    select(Evaluation)
    .where(
        Evaluation.verdict_key == bindparam("key"),
        Evaluation.verdict.is_not(None),
        Evaluation.status.in_([str(d) for d in statuses.DECISIONS]),
    )
    .order_by(Evaluation.id)
    .limit(1)
)


def find_verdict(session: Session, key: str) -> StoredVerdict | None:
    """The earliest decided evaluation stored under ``key``, reused or not."""
    row = session.scalar(_VERDICT, {"key": key})
    return _stored(row) if row is not None else None


class StoredJudging:
    """The database's part in judging one candidate (the ``judgement.Stored`` protocol)."""

    def __init__(
        self, session_factory: sessionmaker[Session], job_id: int | None, candidate_id: int
    ) -> None:
        self._session_factory = session_factory
        self._job_id = job_id
        self._candidate_id = candidate_id

    async def given(self, shas: set[str]) -> dict[str, str]:
        if self._job_id is None or not shas:  # nothing to ask: no thread, no transaction
            return {}
        job_id = self._job_id

        def read() -> dict[str, str]:
            with transaction(self._session_factory) as session:
                return job_given(session, job_id, self._candidate_id, shas)

        return await in_thread(read)

    async def find(self, key: str) -> StoredVerdict | None:
        def read() -> StoredVerdict | None:
            with transaction(self._session_factory) as session:
                return find_verdict(session, key)

        return await in_thread(read)
