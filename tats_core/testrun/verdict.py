"""From what the sandbox saw and what the runner reported to one of the five statuses.

- killed at the timeout: ``timed_out`` (whatever it had reported so far is not trusted);
- a report with failing or erroring tests: ``failed``, the note naming them;
- a report with no test that passed or failed: ``no_tests``;
- every test passed but the command failed (coverage threshold, lint in ``pretest``, a
  crash at exit): ``failed``, and the note says so;
- no report at all: a runner TATS does not recognise is judged by its exit code (``passed``
  or ``failed``, no counts); a known runner that wrote nothing failed before any test ran.
"""

from __future__ import annotations

from dataclasses import replace

from tats_core.testrun.engine import Limits, SandboxOutcome
from tats_core.testrun.output import last_lines
from tats_core.testrun.results import TestCounts, TestRunResult, TestStatus

NAMED_FAILURES = 5


def verdict(
    outcome: SandboxOutcome,
    counts: TestCounts | None,
    *,
    timeout: float,
    limits: Limits,
    judged_by_exit: bool,
) -> TestRunResult:
    result = _status(outcome, counts, timeout, judged_by_exit)
    if not outcome.out_of_memory:
        return result
    gib = limits.memory_bytes / 1024**3
    note = f"{result.note}; memory limit ({gib:g} GiB) reached: a process was killed"
    return replace(result, note=note, out_of_memory=True)


def _status(
    outcome: SandboxOutcome, counts: TestCounts | None, timeout: float, judged_by_exit: bool
) -> TestRunResult:
    if outcome.timed_out:
        return TestRunResult(
            TestStatus.TIMED_OUT, f"tests still running after {timeout:g} s: stopped"
        )
    if counts is None:
        return _without_report(outcome, judged_by_exit)
    if counts.failed or counts.errors:
        return TestRunResult.counted(TestStatus.FAILED, _failures(counts), counts)
    if not counts.passed:
        skipped = f": all {counts.skipped} skipped" if counts.skipped else ""
        return TestRunResult.counted(
            TestStatus.NO_TESTS, f"the runner found no tests{skipped}", counts
        )
    if outcome.exit_code != 0:
        note = (
            f"all {counts.passed} tests passed, but the test command exited {outcome.exit_code}: "
            f"{last_lines(outcome.output, 4)}"
        )
        return TestRunResult.counted(TestStatus.FAILED, note, counts)
    skipped = f", {counts.skipped} skipped" if counts.skipped else ""
    return TestRunResult.counted(TestStatus.PASSED, f"{counts.passed} passed{skipped}", counts)


def _without_report(outcome: SandboxOutcome, judged_by_exit: bool) -> TestRunResult:
    if judged_by_exit:
        status = TestStatus.PASSED if outcome.exit_code == 0 else TestStatus.FAILED
        note = (
            f"the test command exited {outcome.exit_code}; its runner gives TATS no per-test report"
        )
        return TestRunResult(status, note)
    note = (
        f"the test command exited {outcome.exit_code} before reporting any test: "
        f"{last_lines(outcome.output, 6)}"
    )
    return TestRunResult(TestStatus.FAILED, note, errors=1)


def _failures(counts: TestCounts) -> str:
    bad = counts.failed + counts.errors
    names = ", ".join(test.name for test in counts.failing[:NAMED_FAILURES])
    more = f" and {bad - NAMED_FAILURES} more" if bad > NAMED_FAILURES else ""
    return f"{bad} of {counts.total} tests failed: {names}{more}"
