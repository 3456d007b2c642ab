"""Running a claimed candidate's tests for the pipeline (issue #17): when, where, and what to
store, around ``tats_core.testrun.run_submission``.

- **Off or impossible**: ``TATS_RUN_TESTS=off``, a job whose switch is off, or a host without
  the sandbox engine: a ``not_run`` report with the reason (``on`` refuses to start instead).
- **Nothing to run**: decided from the tree's file list before anything is downloaded, so a
  submission with no project never waits for a test slot.
- **Otherwise**: the archive at the judged commit (``GitHubClient.archive``, cached by sha), the
  job's newest acceptance tests, one run in a thread. The run holds one of the host's slots
  (``TATS_TEST_CONCURRENCY``) for at most ``TEST_SLOT_WAIT_S`` before it gives up with a transient
  ``TestRunError``: the delivery then sends the candidate back to the outbox, spending no retry.
- **Time**: every bound of a run adds up to less than ``Settings.delivery_timeout_s``, which
  candidate messages carry as ``Upstash-Timeout``, so a run never outlives its delivery.

The stored report is the runner's ``to_dict`` without the kept output, which goes beside it,
trimmed (``split_output``): the table and the export never load it.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import anyio

from tats_core.errors import ConfigurationError, GitHubError
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.settings import TEST_INSTALL_TIMEOUT_S, TEST_SLOT_WAIT_S, Settings
from tats_core.statuses import TestStatus
from tats_core.telemetry import NO_TELEMETRY, Telemetry
from tats_core.testrun import RunConfig, engine_available, run_submission
from tats_core.testrun.detection import nothing_to_run

STORED_OUTPUT_CHARS = 100_000  # per run, head and tail; the runner keeps about 1 MB


@runtime_checkable
class ArchiveSource(Protocol):
    """A snapshot source that can also download the submission (``GitHubClient``)."""

    async def archive(self, full_name: str, commit_sha: str) -> bytes: ...


def not_run(reason: str, *, acceptance: bool = False) -> dict[str, Any]:
    """A report for runs that did not happen, in the runner's ``to_dict`` shape."""
    result = {"status": str(TestStatus.NOT_RUN), "note": reason, "passed": 0, "failed": 0}
    return {"tests": result, "acceptance": dict(result) if acceptance else None}


class TestRuns:
    """Built once per worker process: the sandbox's configuration, or why tests cannot run."""

    __test__ = False  # not a test class, whatever its name says

    def __init__(
        self, config: RunConfig | None, unavailable: str = "", telemetry: Telemetry = NO_TELEMETRY
    ) -> None:
        self.config = config
        self.unavailable = unavailable
        self.telemetry = telemetry

    @classmethod
    def from_settings(cls, settings: Settings, telemetry: Telemetry = NO_TELEMETRY) -> TestRuns:
        if settings.run_tests == "off":
            return cls(None, "tests are turned off on this deployment (TATS_RUN_TESTS=off)")
        config = RunConfig(
            cache_dir=Path(settings.test_cache_dir).resolve(),
            test_timeout=settings.test_timeout_s,
            install_timeout=TEST_INSTALL_TIMEOUT_S,
            concurrency=settings.test_concurrency or os.cpu_count() or 1,
            slot_wait=TEST_SLOT_WAIT_S,
        )
        reason = engine_available(config)
        if reason is None:
            return cls(config, telemetry=telemetry)
        if settings.run_tests == "on":
            raise ConfigurationError(f"TATS_RUN_TESTS=on, but {reason}")
        return cls(None, f"the sandbox is not available on this worker: {reason}")

    async def run(
        self,
        source: ArchiveSource,
        snapshot: RepoSnapshot,
        *,
        job_allows: bool,
        acceptance: Mapping[str, bytes] | None,
    ) -> dict[str, Any]:
        """The report of the candidate's tests (and the job's acceptance tests): always a
        report; raises only what the caller must retry (a transient ``GitHubError`` or
        ``TestRunError``)."""
        has_acceptance = bool(acceptance)
        if not job_allows:
            return not_run("tests are turned off for this job", acceptance=has_acceptance)
        if self.config is None:
            return not_run(self.unavailable, acceptance=has_acceptance)
        paths = [e.path for e in snapshot.tree if e.type == "blob"]
        if (reason := nothing_to_run(paths)) is not None:
            return not_run(reason, acceptance=has_acceptance)
        commit = snapshot.commit_sha or snapshot.head_sha
        if commit is None:
            return not_run("no commit to test", acceptance=has_acceptance)
        started = time.perf_counter()
        try:
            archive = await source.archive(snapshot.full_name, commit)
        except GitHubError as exc:
            if exc.transient:
                raise
            return not_run(f"the submission could not be downloaded: {exc.message}")
        downloaded = time.perf_counter() - started
        run = functools.partial(
            run_submission, archive, acceptance=dict(acceptance or {}), config=self.config
        )
        report = (await anyio.to_thread.run_sync(run)).to_dict()
        report["tests"].setdefault("durations", {})["download"] = round(downloaded, 3)
        seconds = time.perf_counter() - started
        report["seconds"] = round(seconds, 3)  # the whole of it
        self.telemetry.test_run(str(report["tests"].get("status")), seconds)
        return report


def split_output(report: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The report to store with the evaluation (no kept output) and the output, trimmed."""
    parts = []
    stored = dict(report)
    for which in ("acceptance", "tests"):
        run = report.get(which)
        if not run:
            continue
        output = str(run.get("output") or "")
        if output:
            parts.append(f"--- {'acceptance tests' if which == 'acceptance' else 'own tests'} ---")
            parts.append(_trim(output))
        stored[which] = {k: v for k, v in run.items() if k != "output"}
    return stored, "\n".join(parts)


def _trim(text: str) -> str:
    if len(text) <= STORED_OUTPUT_CHARS:
        return text
    half = STORED_OUTPUT_CHARS // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half:,} characters left out ...]\n{text[-half:]}"
