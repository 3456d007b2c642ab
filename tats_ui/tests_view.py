"""The test runs as the recruiter sees them: a short cell for the table, and the panel's section
(failing tests first, with their messages and places linked to the code; the runs' output)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from tats_core.statuses import TestStatus
from tats_core.store.models import Evaluation
from tats_core.triage.evidence import CodeLinks
from tats_core.wording import plural
from tats_ui.escaping import md
from tats_ui.evidence_view import linked

LABELS: dict[str, str] = {
    TestStatus.PASSED: "Passed",
    TestStatus.FAILED: "Failed",
    TestStatus.TIMED_OUT: "Timed out",
    TestStatus.NO_TESTS: "No tests",
    TestStatus.NOT_RUN: "Not run",
}
FAILING_SHOWN = 10


def _failed(run: dict[str, Any]) -> int:
    return int(run.get("failed") or 0) + int(run.get("errors") or 0)


def _short(run: dict[str, Any] | None) -> str:
    if not run or not run.get("status"):
        return ""
    status = run["status"]
    if status == TestStatus.PASSED:
        return f"✓ {run.get('passed', 0)}"
    if status == TestStatus.FAILED:
        ran = int(run.get("passed") or 0) + _failed(run)
        return f"✗ {_failed(run)}/{ran}" if ran else "✗ broken"
    return LABELS.get(status, status).lower()


def tests_cell(report: dict[str, Any] | None) -> str:
    """The table's Tests cell: the own run, then the acceptance run (``acc.``) when the job has
    acceptance tests; empty while unevaluated."""
    if not report:
        return ""
    own = _short(report.get("tests"))
    acceptance = _short(report.get("acceptance"))
    return own + (f" · acc. {acceptance}" if acceptance else "")


def _run_heading(title: str, run: dict[str, Any]) -> str:
    status = str(run.get("status", ""))
    ran = int(run.get("passed") or 0) + _failed(run)
    counts = f" — {plural(ran, 'test')}, {_failed(run):,} failing" if ran else ""
    note = f": {md(run['note'])}" if run.get("note") and status != TestStatus.PASSED else ""
    return f"**{title}: {LABELS.get(status, status)}**{counts}{note}"


def _failing_list(run: dict[str, Any], links: CodeLinks) -> None:
    failing = list(run.get("failing") or [])
    for test in failing[:FAILING_SHOWN]:
        place = test.get("place")
        where = f" — {linked(str(place), links)}" if place else ""
        name = str(test.get("name", "")).replace("`", "")  # shown as code: no escaping
        st.markdown(f"- `{name}`{where}")
        if test.get("message"):
            st.code(str(test["message"])[:2000], language=None, wrap_lines=True)
    if len(failing) > FAILING_SHOWN:
        st.caption(f"and {plural(len(failing) - FAILING_SHOWN, 'more failing test')}")


def test_runs_section(evaluation: Evaluation, links: CodeLinks) -> None:
    """The panel's "Tests run" section: the job's acceptance tests first, then the submission's
    own; failing tests first within each, with their messages; the output folded away."""
    report = evaluation.tests or {}
    titled = (("The job's acceptance tests", "acceptance"), ("Own tests", "tests"))
    runs: list[tuple[str, dict[str, Any]]] = [
        (title, report[key]) for title, key in titled if report.get(key)
    ]
    if not runs:
        return
    st.markdown("#### Tests run in the sandbox")
    if report.get("project"):
        st.caption(f"Ran {md(report['project'])}" + (
            f" · acceptance tests v{evaluation.acceptance_version}"
            if evaluation.acceptance_version else ""
        ))  # fmt: skip
    for title, run in runs:
        st.markdown(_run_heading(title, run))
        if run.get("status") == TestStatus.FAILED:
            _failing_list(run, links)
    notices = report.get("notices") or []
    if notices:
        st.caption("TATS changed or ignored: " + md("; ".join(notices)))
    if evaluation.tests_output:
        with st.expander("Output of the runs (head and tail)", icon=":material/terminal:"):
            st.code(evaluation.tests_output, language=None)
