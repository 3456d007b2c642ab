"""Judging one claimed candidate: GitHub snapshot -> the candidate's own work (the starter's
tree, the job's common files) -> code sample -> the test runs (sandbox) -> signals -> analyzer ->
bounds. No database here: the caller records what comes out (``recording``) and hands in what it
needs (the job's acceptance tests, the job's common files).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tats_core import statuses
from tats_core.errors import TatsError
from tats_core.judging import concerns as concern_text
from tats_core.judging.analysis import Analysis, AnalysisResult, Analyzer, apply_bounds
from tats_core.judging.overlap import FileRef, own_files
from tats_core.judging.provenance import (
    Given,
    OwnWork,
    added_bytes,
    changed_entries,
    own_work,
    starter_ref,
)
from tats_core.judging.signals import Signals, compute_signals, read_stored
from tats_core.processing.claims import Work
from tats_core.processing.outcome import Costs
from tats_core.processing.reuse import StoredVerdict, acceptance_hash, verdict_key
from tats_core.processing.test_runs import ArchiveSource, TestRuns, not_run
from tats_core.repo.sample import CodeSample
from tats_core.repo.snapshot import RepoSnapshot, TreeEntry

log = logging.getLogger("tats.pipeline")
MAX_COMPARED_FILES = 20  # starter files the candidate changed, compared line by line


class SnapshotSource(Protocol):
    async def snapshot(
        self, full_name: str, ref: str | None = None, path: str | None = None
    ) -> RepoSnapshot: ...


@runtime_checkable
class SampleSource(Protocol):
    """A snapshot source that can also read the code and a starter's tree (``GitHubClient``);
    others judge by the envelope alone."""

    async def read_sample(
        self, snapshot: RepoSnapshot, *, leave_out: Collection[str] = ()
    ) -> CodeSample: ...

    async def tree_at(self, snapshot: RepoSnapshot, commit_sha: str) -> list[TreeEntry] | None: ...

    async def read_files(
        self, snapshot: RepoSnapshot, commit_sha: str, entries: Sequence[TreeEntry]
    ) -> dict[str, str]: ...


class Stored(Protocol):
    """What the database says while a candidate is judged (``reuse.StoredJudging``)."""

    async def given(self, shas: set[str]) -> dict[str, str]:
        """Of these blob shas, those the job's submissions were given -> why."""
        ...

    async def find(self, key: str) -> StoredVerdict | None:
        """A verdict stored under ``key`` (``reuse.verdict_key``), to reuse."""
        ...


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
    given_files: list[FileRef] = field(default_factory=list)  # the starter's, for the job
    rubric_hash: str | None = None
    verdict_key: str | None = None  # None: not to be reused (empty, or judged without a store)
    reused: StoredVerdict | None = None  # the earlier verdict this one is


EMPTY_REPOSITORY = Analysis(
    decision=statuses.LOW_EFFORT,
    score=0,
    summary="The repository is empty: it has no commits.",
    concerns=[concern_text.EMPTY.render()],
)


async def judge(
    judges: Judges,
    work: Work,
    acceptance: Mapping[str, bytes] | None = None,
    stored: Stored | None = None,
) -> Judgement:
    """Snapshot, the candidate's own part, then an earlier verdict under the same key when
    ``stored`` has one (``reuse``), else code sample, the test runs, signals, the analyzer's
    answer within bounds. ``acceptance``: the job's acceptance test files, when it has some."""
    started = time.perf_counter()
    snapshot = await judges.github.snapshot(work.repo_full_name, work.repo_ref, work.repo_path)
    own, starter_tree = await own_part(judges.github, snapshot, stored)
    key = None
    if stored is not None and not snapshot.empty and snapshot.head_sha:
        given = [e.sha for e in snapshot.tree if e.path in own.given and e.sha]
        setup = _tests_setup(judges, work, acceptance)
        key = verdict_key(snapshot.head_sha, work.job, judges.analyzer, setup, given)
        if (earlier := await stored.find(key)) is not None:
            return _reused(earlier, snapshot, own, starter_tree, work, key, started)
    await read_code(judges.github, snapshot, own, starter_tree)
    tests = None if snapshot.empty else await _run_tests(judges, work, snapshot, acceptance)
    signals = compute_signals(
        snapshot,
        work.job.description,
        tests=tests,
        own=own,
        acceptance_files={path: len(data) for path, data in (acceptance or {}).items()},
    )
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
    mine, given_files = _fingerprints(snapshot, own, starter_tree)
    return Judgement(
        result,
        signals,
        snapshot.head_sha,
        _ms_since(started),
        mine,
        costs,
        tests,
        given_files=given_files,
        rubric_hash=work.job.rubric_hash,
        verdict_key=key if result.analysis.decision in statuses.DECISIONS else None,
    )


def _reused(
    earlier: StoredVerdict,
    snapshot: RepoSnapshot,
    own: OwnWork,
    starter_tree: list[TreeEntry] | None,
    work: Work,
    key: str,
    started: float,
) -> Judgement:
    """The earlier verdict, as this candidate's judgement (its own files, for the job)."""
    mine, given_files = _fingerprints(snapshot, own, starter_tree)
    costs = Costs(github_requests=snapshot.requests_made, analyzer=earlier.result.analyzer)
    return Judgement(
        earlier.result,
        read_stored(earlier.signals).signals,
        snapshot.head_sha,
        _ms_since(started),
        mine,
        costs,
        earlier.tests,
        earlier.acceptance_version,
        given_files=given_files,
        rubric_hash=work.job.rubric_hash,
        verdict_key=key,
        reused=earlier,
    )


def _tests_setup(judges: Judges, work: Work, acceptance: Mapping[str, bytes] | None) -> str:
    """How the tests run for this candidate, as part of the reuse key."""
    if judges.tests is None or judges.tests.config is None:
        return "not run here"
    if not work.run_tests:
        return "off for the job"
    return "run; acceptance " + acceptance_hash(acceptance)


def _fingerprints(
    snapshot: RepoSnapshot, own: OwnWork, starter_tree: list[TreeEntry] | None
) -> tuple[list[FileRef], list[FileRef]]:
    """The candidate's own code files, and the starter's, for the job's shared-code checks."""
    starter = set(own.given_paths(Given.STARTER))
    blobs = [(e.path, e.sha, e.size) for e in snapshot.tree if e.type == "blob"]
    mine = own_files([b for b in blobs if b[0] not in starter])
    given = own_files([(e.path, e.sha, e.size) for e in starter_tree or () if e.type == "blob"])
    return mine, given if own.starter_tree_read else []


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


async def own_part(
    source: SnapshotSource, snapshot: RepoSnapshot, stored: Stored | None = None
) -> tuple[OwnWork, list[TreeEntry] | None]:
    """What the candidate was given and what is their own (``provenance``): the starter's tree
    is one more request, the job's given files one query. Returns the starter's tree too."""
    if snapshot.empty:
        return OwnWork(), None
    starter = starter_ref(snapshot)
    tree = None
    if starter is not None and isinstance(source, SampleSource):
        tree = await source.tree_at(snapshot, starter.commit)
    given: dict[str, str] = {}
    if stored is not None:  # only the files a job's fingerprints can hold (``own_files``)
        blobs = [(e.path, e.sha, e.size) for e in snapshot.tree if e.type == "blob"]
        given = await stored.given({f.sha for f in own_files(blobs)})
    return own_work(snapshot, starter, tree, given), tree


async def read_code(
    source: SnapshotSource,
    snapshot: RepoSnapshot,
    own: OwnWork,
    starter_tree: list[TreeEntry] | None,
) -> None:
    """The code sample of the candidate's own files (into ``snapshot.sample``), and how much
    of the starter's files they changed (into ``own.added``)."""
    if snapshot.empty or not isinstance(source, SampleSource):
        return
    leave_out = own.given_paths(Given.STARTER, Given.JOB)
    snapshot.sample = await _read_sample(source, snapshot, leave_out)
    if own.starter is not None and starter_tree and own.modified:
        await _measure_changes(source, snapshot, own, own.starter.commit, starter_tree)


async def read_own_work(
    source: SnapshotSource, snapshot: RepoSnapshot, stored: Stored | None = None
) -> OwnWork:
    """``own_part`` then ``read_code``, as the benchmark judges fixtures."""
    own, tree = await own_part(source, snapshot, stored)
    await read_code(source, snapshot, own, tree)
    return own


async def _measure_changes(
    source: SampleSource,
    snapshot: RepoSnapshot,
    own: OwnWork,
    starter_commit: str,
    starter_tree: list[TreeEntry],
) -> None:
    """The candidate's part of the starter files they changed: both versions read (raw, cached
    by blob sha), the lines added or rewritten counted."""
    pairs = changed_entries(snapshot, own, starter_tree, MAX_COMPARED_FILES)
    read = {f.path: f.text for f in snapshot.sample.files}
    try:
        before = await source.read_files(snapshot, starter_commit, [old for old, _ in pairs])
        missing = [new for _, new in pairs if new.path not in read]
        if missing and snapshot.commit_sha:
            read.update(await source.read_files(snapshot, snapshot.commit_sha, missing))
    except TatsError as exc:
        log.warning("starter files of %s not compared: %s", snapshot.full_name, exc)
        return
    for old, new in pairs:
        if old.path in before and new.path in read:
            own.added[new.path] = added_bytes(before[old.path], read[new.path])


async def _read_sample(
    source: SampleSource, snapshot: RepoSnapshot, leave_out: list[str]
) -> CodeSample:
    """The code sample, or an empty one: unreadable code never fails a candidate."""
    try:
        sample = await source.read_sample(snapshot, leave_out=leave_out)
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
