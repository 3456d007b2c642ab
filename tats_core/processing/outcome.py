"""What one delivery came to, and the HTTP status that tells the queue.

datasette-style: the status lives on the type, and the worker maps it in one place
(``worker_service.app``); nothing there matches outcomes by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    PROCESSED = "processed"  # decided and recorded
    FAILED = "failed"  # failed permanently, recorded
    ALREADY_FINAL = "already_final"  # a duplicate delivery
    SUPERSEDED = "superseded"  # someone else's write won (re-run, takeover)
    UNKNOWN_CANDIDATE = "unknown_candidate"
    WAITING = "waiting"  # a dependency is misconfigured: back to the outbox, no retry spent
    BUSY = "busy"  # another delivery holds a live lease: come back after it lapses
    RETRY = "retry"  # a transient failure: the queue should try again

    @property
    def http_status(self) -> int:
        return 503 if self in (Outcome.BUSY, Outcome.RETRY) else 200

    @property
    def done(self) -> bool:
        """Acknowledged (2xx): the queue must not deliver this message again."""
        return self.http_status < 300


@dataclass
class Costs:
    """What judging one candidate spent, for the delivery's log line and the metrics."""

    github_requests: int = 0  # API requests (304s included; raw downloads are not API requests)
    files_read: int = 0  # files of the code sample read (from the cache or downloaded)
    analyzer: str = ""
    analyzer_ms: int = 0
    tests_ms: int = 0  # running the submission's tests in the sandbox, when they ran

    def to_dict(self) -> dict[str, object]:
        return {
            "github_requests": self.github_requests,
            "files_read": self.files_read,
            "analyzer": self.analyzer,
            "analyzer_ms": self.analyzer_ms,
            "tests_ms": self.tests_ms,
        }


@dataclass(frozen=True)
class DeliveryOutcome:
    outcome: Outcome
    status: str | None = None
    attempt: int | None = None
    retry_after: float | None = None
    detail: str = ""
    costs: Costs | None = None  # when judging ran
    job_id: int | None = None  # the candidate's job, when a final status was written
    # The job had a webhook when claimed: a final status may have completed it. (A notify URL
    # set while the candidate was judged is found by reconcile's sweep.)
    job_notifies: bool = False

    @property
    def made_final(self) -> bool:
        """This delivery wrote a final status (a decision or a recorded failure)."""
        return self.outcome in (Outcome.PROCESSED, Outcome.FAILED)

    @property
    def may_complete_job(self) -> bool:
        """A final status in a job with a webhook: whether the job is complete must be asked."""
        return self.made_final and self.job_notifies

    @property
    def done(self) -> bool:
        return self.outcome.done

    @property
    def http_status(self) -> int:
        return self.outcome.http_status
