"""Per-test results from the runners' machine-readable reports, never from their console text.

- JUnit XML: pytest ``--junitxml`` (``junit_family=xunit1``, which carries ``file``/``line``),
  mocha's ``xunit`` reporter, vitest's and Node's ``junit`` reporters, Maven Surefire, Gradle;
- Jest's ``--json`` report;
- ``go test -json`` events.

The report files were written inside the sandbox, so they are untrusted: size-capped, and XML
with a DTD (entity expansion) is refused. A failing test's place is the first frame of the
failure's stack that lies in the candidate's tree (``/box/src/...``), else where the runner
says the test is; places are relative to the repository's root.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from tats_core.testrun.results import FailingTest, TestCounts

MAX_REPORT_BYTES = 20 * 1024 * 1024
MAX_FAILING = 50
MAX_MESSAGE = 1500
SANDBOX_TREE = "/box/src/"
STACK_PLACE = re.compile(r"/box/src/([^\s:()'\"]+):(\d+)")
# "at f (test/x.test.js:10:12)": a frame some runners print relative to the project
RELATIVE_FRAME = re.compile(r"\(((?![/.])[\w./@-]+\.[cm]?[jt]sx?):(\d+):\d+\)")


class ReportError(ValueError):
    """A report that cannot be read (too big, not XML/JSON, a DTD)."""


@dataclass(frozen=True)
class Places:
    """Turns what runners print into ``path:line`` relative to the repository's root."""

    folder: str  # the project's folder in the repository ("" at the root)

    def in_stack(self, text: str) -> str | None:
        for path, line in STACK_PLACE.findall(text):
            if "/node_modules/" not in f"/{path}":
                return f"{path}:{line}"
        for path, line in RELATIVE_FRAME.findall(text):
            if "node_modules/" not in path:
                return self.relative(path, line)
        return None

    def relative(self, path: str, line: str | int | None) -> str | None:
        """``path`` is absolute in the sandbox (``/box/src/...``) or relative to the project."""
        if not path:
            return None
        if path.startswith(SANDBOX_TREE):
            path = path.removeprefix(SANDBOX_TREE)
        elif self.folder:
            path = f"{self.folder}/{path}"
        return f"{path}:{line}" if line not in (None, "") else path


def _message(text: str | None) -> str:
    return (text or "").strip()[:MAX_MESSAGE]


def _tally(outcomes: list[tuple[str, FailingTest | None]]) -> TestCounts:
    """``outcomes``: (passed|failed|error|skipped, the failure for the last two kinds)."""
    kinds = [kind for kind, _ in outcomes]
    failing = tuple(f for kind, f in outcomes if f is not None and kind in ("failed", "error"))
    return TestCounts(
        passed=kinds.count("passed"),
        failed=kinds.count("failed"),
        errors=kinds.count("error"),
        skipped=kinds.count("skipped"),
        failing=failing[:MAX_FAILING],
    )


def _checked(data: bytes) -> bytes:
    if len(data) > MAX_REPORT_BYTES:
        raise ReportError(f"report larger than {MAX_REPORT_BYTES:,} bytes")
    return data


def parse_junit(data: bytes, places: Places) -> TestCounts:
    head = _checked(data)[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise ReportError("a JUnit report with a DTD is refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ReportError(f"not JUnit XML: {exc}") from exc
    return _tally([_junit_case(case, places) for case in root.iter("testcase")])


def _junit_case(case: ET.Element, places: Places) -> tuple[str, FailingTest | None]:
    file, name, cls = case.get("file", ""), case.get("name", "?"), case.get("classname", "")
    title = f"{places.relative(file, None)}::{name}" if file else f"{cls} {name}".strip()
    for kind, tag in (("failed", "failure"), ("error", "error")):
        problem = case.find(tag)
        if problem is not None:
            text = problem.text or ""
            message = _message(problem.get("message") or text)
            place = _python_place(text, places) or places.in_stack(text)
            place = place or places.relative(file, case.get("line"))
            return kind, FailingTest(title, message, place)
    if case.find("skipped") is not None:
        return "skipped", None
    return "passed", None


PYTHON_FRAME = re.compile(r"^([^\s:]+\.py):(\d+): ", re.MULTILINE)


def _python_place(text: str, places: Places) -> str | None:
    """pytest's long traceback ends with ``path.py:LINE: Error`` at the failing line."""
    frames = [(p, n) for p, n in PYTHON_FRAME.findall(text) if not p.startswith("/")]
    return places.relative(*frames[-1]) if frames else None


def parse_jest(data: bytes, places: Places) -> TestCounts:
    try:
        report = json.loads(_checked(data))
    except ValueError as exc:
        raise ReportError(f"not a Jest JSON report: {exc}") from exc
    outcomes: list[tuple[str, FailingTest | None]] = []
    for suite in report.get("testResults", []):
        file = str(suite.get("name", ""))
        cases = suite.get("assertionResults", [])
        if not cases and suite.get("status") == "failed":  # the file did not even load
            text = str(suite.get("message", ""))
            place = places.in_stack(text) or places.relative(file, None)
            outcomes.append(
                ("error", FailingTest(places.relative(file, None) or "?", _message(text), place))
            )
        for case in cases:
            outcomes.append(_jest_case(case, file, places))
    return _tally(outcomes)


def _jest_case(case: dict, file: str, places: Places) -> tuple[str, FailingTest | None]:
    status = case.get("status")
    if status == "passed":
        return "passed", None
    if status != "failed":
        return "skipped", None  # pending, todo, skipped, disabled
    text = "\n".join(str(m) for m in case.get("failureMessages", []))
    line = (case.get("location") or {}).get("line")
    place = places.in_stack(text) or places.relative(file, line)
    return "failed", FailingTest(
        str(case.get("fullName") or case.get("title")), _message(text), place
    )


GO_FRAME = re.compile(r"^\s+([\w./-]+\.go):(\d+): ", re.MULTILINE)


BUILD_FAILED = re.compile(r"^FAIL\s+(\S+)\s+\[(?:build|setup) failed\]", re.MULTILINE)
COMPILER_PLACE = re.compile(r"^\.?/?([\w./-]+\.go):(\d+):", re.MULTILINE)


def parse_go(
    data: bytes, build_log: str, places: Places, package_folder: Callable[[str], str]
) -> TestCounts:
    """``go test -json`` events (a package that does not compile is only a ``FAIL pkg [build
    failed]`` line; its errors are in ``build_log``, go's stderr). ``package_folder`` maps an
    import path to its folder."""
    results: dict[tuple[str, str], str] = {}
    output: dict[tuple[str, str], list[str]] = {}
    for line in _checked(data).splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # go prints build errors as text, not events
        key = (str(event.get("Package", "")), str(event.get("Test", "")))
        action = event.get("Action")
        if action == "output":
            output.setdefault(key, []).append(str(event.get("Output", "")))
        elif action in ("pass", "fail", "skip"):
            results[key] = action
    names = {test for _, test in results}
    outcomes: list[tuple[str, FailingTest | None]] = []
    for (package, test), action in results.items():
        if test and any(other.startswith(test + "/") for other in names):
            continue  # a parent: its subtests are counted
        if not test and (action != "fail" or any(p == package and t for p, t in results)):
            continue  # a package's own line counts only when it failed without tests: a build error
        outcomes.append(
            _go_outcome(
                package, test, action, output.get((package, test), []), places, package_folder
            )
        )
    for package in BUILD_FAILED.findall(data.decode("utf-8", "replace")):
        outcomes.append(_build_failure(package, build_log, places))
    return _tally(outcomes)


def _go_outcome(
    package: str,
    test: str,
    action: str,
    lines: list[str],
    places: Places,
    package_folder: Callable[[str], str],
) -> tuple[str, FailingTest | None]:
    if action == "pass":
        return "passed", None
    if action == "skip":
        return "skipped", None
    text = "".join(line for line in lines if not line.startswith(("=== ", "--- ")))
    frame = GO_FRAME.search(text)
    folder = package_folder(package)
    place = places.relative(f"{folder}/{frame[1]}".lstrip("/"), frame[2]) if frame else None
    name = f"{package}.{test}" if test else f"{package} (build)"
    return ("failed" if test else "error"), FailingTest(name, _message(text), place)


def _build_failure(package: str, log: str, places: Places) -> tuple[str, FailingTest | None]:
    frame = COMPILER_PLACE.search(log)  # paths relative to the project's folder
    place = places.relative(frame[1], frame[2]) if frame else None
    return "error", FailingTest(f"{package} (build)", _message(log), place)
