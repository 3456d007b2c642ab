"""An analyzer that cannot work until an operator sets something (a missing key).

The worker starts anyway: each judgement raises the ``ConfigurationError``, so candidates wait
in the outbox, and ``/healthz`` names what to set, instead of a worker that refuses to boot.
"""

from __future__ import annotations

from tats_core.errors import ConfigurationError
from tats_core.judging.analysis import AnalysisResult, JobBrief
from tats_core.judging.signals import Signals
from tats_core.repo.snapshot import RepoSnapshot


class UnconfiguredAnalyzer:
    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def error(self) -> ConfigurationError:
        return ConfigurationError(self.reason, dependency=self.name)

    async def analyze(
        self, snapshot: RepoSnapshot, signals: Signals, job: JobBrief
    ) -> AnalysisResult:
        raise self.error()

    async def probe(self) -> None:
        raise self.error()
