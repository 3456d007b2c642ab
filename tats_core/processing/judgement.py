"""Judging one claimed candidate: GitHub snapshot and code sample -> the test runs (sandbox)
-> signals -> analyzer -> bounds. No database here: the caller records what comes out
(``recording``) and hands in what it needs (the job's acceptance tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tats_core import statuses
from tats_core.errors import TatsError
from tats_core.judging.analysis import Analysis, AnalysisResult, Analyzer, apply_bounds
from tats_core.judging.overlap import FileRef, own_files
from tats_core.judging.signals import Signals, compute_signals
from tats_core.processing.claims import Work
from tats_core.processing.outcome import Costs
from tats_core.processing.test_runs import ArchiveSource, TestRuns, not_run
from tats_core.repo.sample import CodeSample
from tats_core.repo.snapshot import RepoSnapshot

log = logging.getLogger("tats.pipeline")


class SnapshotSource(Protocol):
    async def snapshot(
        self, full_name: str, ref: str | None = None, path: str | None = None
    ) -> RepoSnapshot: ...


@runtime_checkable
class SampleSource(Protocol):
    """A snapshot source that can also read the code (``GitHubClient``); others judge by the
    envelope alone."""

    async def read_sample(self, snapshot: RepoSnapshot) -> CodeSample: ...


@dataclass
class Judges:
    """What judging needs, built once per worker process."""

    github: SnapshotSource
    analyzer: Analyzer
    tests: TestRuns | None = None  # None: tests are not run (as with TATS_RUN_TESTS=off)


@dataclass
class Judgement:
    result: AnalysisResult
    signals: Signals
    commit_sha: str | None
    latency_ms: int
    own_files: list[FileRef] = field(default_factory=list)  # for shared-code checks
    costs: Costs = field(default_factory=Costs)
    tests: dict[str, Any] | None = None  # the test runs' report (``test_runs``), when any
    acceptance_version: int | None = None  # the job's acceptance tests that were run


EMPTY_REPOSITORY = Analysis(
    decision=statuses.LOW_EFFORT,
    score=0,
    summary="The repository is empty: it has no commits.",
    concerns=["No code was pushed to the repository."],
)


async def judge(
    judges: Judges, work: Work, acceptance: Mapping[str, bytes] | None = None
) -> Judgement:
    """Snapshot, code sample, the test runs, signals, the analyzer's answer within bounds.
    ``acceptance``: the job's acceptance test files, when it has some."""
    started = time.perf_counter()
    snapshot = await judges.github.snapshot(work.repo_full_name, work.repo_ref, work.repo_path)
    if not snapshot.empty and isinstance(judges.github, SampleSource):
        snapshot.sample = await _read_sample(judges.github, snapshot)
    tests = None if snapshot.empty else await _run_tests(judges, work, snapshot, acceptance)
    signals = compute_signals(snapshot, work.job.description, tests=tests)
    analyzing = time.perf_counter()
    if snapshot.empty:
        # Decided in code: nothing to show a model, and no model may say otherwise.
        result = AnalysisResult(analysis=EMPTY_REPOSITORY.model_copy(), analyzer="rules")
    else:
        result = await judges.analyzer.analyze(snapshot, signals, work.job)
    costs = Costs(
        github_requests=snapshot.requests_made + snapshot.sample.api_requests,
        files_read=len(snapshot.sample.files),
        analyzer=result.analyzer,
        analyzer_ms=_ms_since(analyzing),
        tests_ms=int(float((tests or {}).get("seconds", 0.0)) * 1000),
    )
    result = apply_bounds(result, signals)
    result.flags = sorted(result.flags)
    blobs = [(e.path, e.sha, e.size) for e in snapshot.tree if e.type == "blob"]
    return Judgement(
        result, signals, snapshot.head_sha, _ms_since(started), own_files(blobs), costs, tests
    )


async def _run_tests(
    judges: Judges,
    work: Work,
    snapshot: RepoSnapshot,
    acceptance: Mapping[str, bytes] | None,
) -> dict[str, Any]:
    if judges.tests is None:
        return not_run(
            "tests are turned off on this deployment (TATS_RUN_TESTS=off)",
            acceptance=bool(acceptance),
        )
    if not isinstance(judges.github, ArchiveSource):
        return not_run("this worker's GitHub source cannot download archives")
    return await judges.tests.run(
        judges.github, snapshot, job_allows=work.run_tests, acceptance=acceptance
    )


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


async def _read_sample(source: SampleSource, snapshot: RepoSnapshot) -> CodeSample:
    """The code sample, or an empty one: unreadable code never fails a candidate."""
    try:
        sample = await source.read_sample(snapshot)
    except TatsError as exc:
        log.warning("code sample of %s not read: %s", snapshot.full_name, exc)
        return CodeSample()
    log.info(
        "code sample of %s: %s (%d downloads, %d API requests)",
        snapshot.full_name,
        sample.summary(),
        sample.files_downloaded,
        sample.api_requests,
    )
    return sample
