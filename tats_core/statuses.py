"""Candidate statuses (exact strings from the contract) and the words shown for them.

``Status`` is a ``StrEnum``: each member *is* its contract string, so it compares equal to what
the database and the CSV hold, while code that names one gets a typo caught by mypy.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    LOOKS_FINE = "looks_fine"
    NEEDS_REVIEW = "needs_review"
    LOW_EFFORT = "low_effort"
    GITHUB_FAILED = "github_failed"
    AI_FAILED = "ai_failed"
    UNKNOWN_FAILED = "unknown_failed"


PENDING = Status.PENDING
PROCESSING = Status.PROCESSING
LOOKS_FINE = Status.LOOKS_FINE
NEEDS_REVIEW = Status.NEEDS_REVIEW
LOW_EFFORT = Status.LOW_EFFORT
GITHUB_FAILED = Status.GITHUB_FAILED
AI_FAILED = Status.AI_FAILED
UNKNOWN_FAILED = Status.UNKNOWN_FAILED

DECISIONS = (LOOKS_FINE, NEEDS_REVIEW, LOW_EFFORT)
FAILURES = (GITHUB_FAILED, AI_FAILED, UNKNOWN_FAILED)
FINAL = DECISIONS + FAILURES
ACTIVE = (PENDING, PROCESSING)
ALL = ACTIVE + FINAL
assert set(ALL) == set(Status)

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
