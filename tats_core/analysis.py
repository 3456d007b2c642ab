"""The analysis contract both analyzers produce, and the Analyzer interface.

``Analysis`` is the JSON object of ARCHITECTURE.md ("Analysis output"). ``AnalysisResult`` adds
what is stored beside it for audit: analyzer and model id, prompt hash, the raw answer, flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from tats_core.signals import Signals
from tats_core.snapshot import RepoSnapshot

Decision = Literal["looks_fine", "needs_review", "low_effort"]
Verdict = Literal["met", "partial", "missing"]

INJECTION_FLAG = "prompt_injection"


class Criterion(BaseModel):
    criterion: str
    verdict: Verdict
    evidence: list[str] = Field(default_factory=list)


class Analysis(BaseModel):
    decision: Decision
    score: int = Field(ge=0, le=100)
    summary: str
    strengths: list[str] = Field(default_factory=list)
    concerns: list[str] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)


@dataclass(frozen=True)
class JobBrief:
    """The job as the analyzers see it (never the candidate's name, email or login)."""

    title: str
    description: str = ""
    rubric: str = ""


@dataclass
class AnalysisResult:
    analysis: Analysis
    analyzer: str  # "heuristic" or "cohere"
    model: str | None = None
    prompt_hash: str | None = None
    raw_answer: str | None = None
    flags: list[str] = field(default_factory=list)


class Analyzer(Protocol):
    name: str

    async def analyze(
        self, snapshot: RepoSnapshot, signals: Signals, job: JobBrief
    ) -> AnalysisResult:
        """Judge one repository against one job; raise AnalyzerError when it cannot."""
        ...
