"""The decision words of TATS, defined once: candidate statuses (exact strings from the
contract), which of them are decisions and failures, the status machine, the score band of each
decision and the words shown for them.

``Status`` is a ``StrEnum``: each member *is* its contract string, so it compares equal to what
the database and the CSV hold, while code that names one gets a typo caught by mypy. Everything
else that speaks these words derives from here: the analysis ``Decision`` type and its JSON
schema (``judging/analysis.py``), the bands in the Cohere prompt, the failure status of each
error class (``errors.py``); ``tests/test_vocabulary.py`` binds them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    LOOKS_FINE = "looks_fine"
    NEEDS_REVIEW = "needs_review"
    LOW_EFFORT = "low_effort"
    GITHUB_FAILED = "github_failed"
    AI_FAILED = "ai_failed"
    UNKNOWN_FAILED = "unknown_failed"


PENDING: Final = Status.PENDING
PROCESSING: Final = Status.PROCESSING
LOOKS_FINE: Final = Status.LOOKS_FINE
NEEDS_REVIEW: Final = Status.NEEDS_REVIEW
LOW_EFFORT: Final = Status.LOW_EFFORT
GITHUB_FAILED: Final = Status.GITHUB_FAILED
AI_FAILED: Final = Status.AI_FAILED
UNKNOWN_FAILED: Final = Status.UNKNOWN_FAILED

DECISIONS = (LOOKS_FINE, NEEDS_REVIEW, LOW_EFFORT)
FAILURES = (GITHUB_FAILED, AI_FAILED, UNKNOWN_FAILED)
FINAL = DECISIONS + FAILURES
ACTIVE = (PENDING, PROCESSING)
ALL = ACTIVE + FINAL
assert set(ALL) == set(Status)

# The status machine: every status a candidate may move to from each status. ``transition`` (the
# ORM) and ``record_event`` (beside the worker's Core UPDATEs) both check it; a move that is not
# here is a bug, raised as ``InvalidTransition``.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    # claimed by a delivery; the queue's retries ran out before reaching a worker (queued again,
    # noted in the history) or on an error of the candidate's own (failure callback)
    PENDING: frozenset({PENDING, PROCESSING, *FAILURES}),
    # a released claim noted in the history; back to the outbox (worker gone, retries lost, a
    # dependency misconfigured); decided or failed
    PROCESSING: frozenset({PROCESSING, PENDING, *FINAL}),
    # re-run; a recruiter's decision (keeping one is a review too); shared code found later
    **{d: frozenset({PENDING, *DECISIONS}) for d in DECISIONS},
    # re-run; a recruiter decides anyway
    **{f: frozenset({PENDING, *DECISIONS}) for f in FAILURES},
}
assert set(TRANSITIONS) == set(Status)


class InvalidTransition(ValueError):
    """A status change the machine does not allow: a defect in TATS, never a user's error."""


def check_transition(from_status: str | None, to_status: str) -> None:
    """Raise ``InvalidTransition`` unless a candidate may move ``from_status`` -> ``to_status``
    (``None``: a new candidate, which starts ``pending``)."""
    if from_status is None:
        allowed = to_status == PENDING
    else:
        allowed = to_status in TRANSITIONS.get(Status(from_status), frozenset())
    if not allowed:
        raise InvalidTransition(f"a candidate cannot go from {from_status} to {to_status}")


# Score bands per decision: a score never contradicts the decision shown beside it. Together they
# cover 0-100 without overlap (tested).
SCORE_BANDS: dict[Status, tuple[int, int]] = {
    LOW_EFFORT: (0, 34),
    NEEDS_REVIEW: (35, 69),
    LOOKS_FINE: (70, 100),
}

LABELS: dict[str, str] = {
    PENDING: "Pending",
    PROCESSING: "Processing",
    LOOKS_FINE: "Looks fine",
    NEEDS_REVIEW: "Needs review",
    LOW_EFFORT: "Low effort",
    GITHUB_FAILED: "GitHub failed",
    AI_FAILED: "AI failed",
    UNKNOWN_FAILED: "Failed (unknown)",
}


class TestStatus(StrEnum):
    """What running a submission's tests (or the job's acceptance tests) came to: the contract's
    ``tests_status`` / ``acceptance_status`` values, exactly."""

    __test__ = False  # a vocabulary, not a test class for pytest to collect

    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    NO_TESTS = "no_tests"
    NOT_RUN = "not_run"
