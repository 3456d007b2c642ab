"""What the operator's metrics count, as calls any part of TATS can make without knowing how they
are kept: one ``Telemetry`` is built per process (``tats_core.metrics.PrometheusTelemetry`` in the
worker) and handed down with the other dependencies; ``NO_TELEMETRY`` keeps nothing (the CLI, the
app, tests that do not look).
"""

from __future__ import annotations

from typing import Protocol

# prometheus-client's own variable (not a TATS setting): where each worker process keeps its
# metrics' values. ``tats worker`` sets it before anything imports prometheus-client.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Telemetry(Protocol):
    def github_request(self, status: int | None, remaining: int | None) -> None:
        """One request to GitHub: the answer's status (None: no answer) and the quota it says
        is left (None: it did not say)."""

    def cohere_call(self, outcome: str, seconds: float) -> None:
        """One chat request to Cohere: ``ok`` or the kind of error, and how long it took."""

    def test_run(self, status: str, seconds: float) -> None:
        """One run of a submission's tests in the sandbox: its status and wall time."""

    def delivery(self, outcome: str, seconds: float) -> None:
        """One candidate delivery handled by the worker: its outcome and duration."""


class NoTelemetry:
    def github_request(self, status: int | None, remaining: int | None) -> None:
        pass

    def cohere_call(self, outcome: str, seconds: float) -> None:
        pass

    def test_run(self, status: str, seconds: float) -> None:
        pass

    def delivery(self, outcome: str, seconds: float) -> None:
        pass

    def exposition(self) -> bytes:
        return b""  # nothing kept, nothing to show


NO_TELEMETRY: Telemetry = NoTelemetry()
