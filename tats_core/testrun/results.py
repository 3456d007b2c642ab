"""What a test run found: the contract's five statuses, counts, failing tests, and why.

Everything here is plain data that survives ``to_dict`` -> JSON -> ``from_dict`` unchanged, so
the caller can store it with the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tats_core.statuses import TestStatus


@dataclass(frozen=True)
class FailingTest:
    """One failing (or erroring) test: its name, the runner's message, and ``path:line``."""

    name: str
    message: str = ""
    place: str | None = None  # "path:line", relative to the repository's root

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "message": self.message, "place": self.place}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailingTest:
        return cls(name=data["name"], message=data.get("message", ""), place=data.get("place"))


@dataclass(frozen=True)
class TestCounts:
    """Per-test outcomes as the runner reported them."""

    __test__ = False

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failing: tuple[FailingTest, ...] = ()

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped


@dataclass(frozen=True)
class TestRunResult:
    """One run of one set of tests (the submission's own, or the job's acceptance tests)."""

    __test__ = False

    status: TestStatus
    note: str = ""
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failing: tuple[FailingTest, ...] = ()
    output: str = ""  # the kept output: head and tail, about 1 MB at most
    durations: dict[str, float] = field(default_factory=dict)  # extract, install, test (s)
    out_of_memory: bool = False

    @classmethod
    def not_run(cls, reason: str, **extra: Any) -> TestRunResult:
        return cls(status=TestStatus.NOT_RUN, note=reason, **extra)

    @classmethod
    def counted(cls, status: TestStatus, note: str, counts: TestCounts) -> TestRunResult:
        return cls(
            status=status,
            note=note,
            passed=counts.passed,
            failed=counts.failed,
            errors=counts.errors,
            skipped=counts.skipped,
            failing=counts.failing,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "note": self.note,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
            "failing": [test.to_dict() for test in self.failing],
            "output": self.output,
            "durations": dict(self.durations),
            "out_of_memory": self.out_of_memory,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestRunResult:
        return cls(
            status=TestStatus(data["status"]),
            note=data.get("note", ""),
            passed=data.get("passed", 0),
            failed=data.get("failed", 0),
            errors=data.get("errors", 0),
            skipped=data.get("skipped", 0),
            failing=tuple(FailingTest.from_dict(t) for t in data.get("failing", [])),
            output=data.get("output", ""),
            durations=dict(data.get("durations", {})),
            out_of_memory=data.get("out_of_memory", False),
        )


@dataclass(frozen=True)
class SubmissionTestReport:
    """Both runs for one submission, what was detected, and what TATS changed or refused."""

    tests: TestRunResult
    acceptance: TestRunResult | None = None
    project: str = ""  # e.g. "python (pytest) in backend/"
    notices: tuple[str, ...] = ()  # e.g. "requirements.txt: --index-url ignored"

    def to_dict(self) -> dict[str, Any]:
        return {
            "tests": self.tests.to_dict(),
            "acceptance": self.acceptance.to_dict() if self.acceptance else None,
            "project": self.project,
            "notices": list(self.notices),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionTestReport:
        acceptance = data.get("acceptance")
        return cls(
            tests=TestRunResult.from_dict(data["tests"]),
            acceptance=TestRunResult.from_dict(acceptance) if acceptance else None,
            project=data.get("project", ""),
            notices=tuple(data.get("notices", [])),
        )
