"""The analysis contract both analyzers produce, and the Analyzer interface.

``Analysis`` is the JSON object of ARCHITECTURE.md ("Analysis output"). ``AnalysisResult`` adds
what is stored beside it for audit: analyzer and model id, prompt hash, the raw answer, flags.

Whatever an analyzer answers, facts computed in code have the last word: ``bound_by_signals``
keeps an empty or near-empty repository from ``looks_fine``, turns text aimed at the judge into
``needs_review`` with ``INJECTION_FLAG``, and keeps the score in the decision's band;
``validate_evidence`` drops cited files that the repository does not have.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal, Protocol, get_args

from pydantic import BaseModel, Field, ValidationError

from tats_core.judging import concerns as concerns_text
from tats_core.judging.concerns import places
from tats_core.judging.criteria import DEFAULT_CRITERIA, CriterionSpec, rubric_hash
from tats_core.judging.signals import Signals, failing_tests_of, hollow_phrase, stub_phrase
from tats_core.repo.places import cited_places
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.statuses import (
    DECISIONS,
    LOOKS_FINE,
    LOW_EFFORT,
    NEEDS_REVIEW,
    SCORE_BANDS,
    Status,
    TestStatus,
)

# The three decisions of ``statuses`` as a type (``tests/test_vocabulary.py`` checks that the
# two agree): a model's "looks_fine" validates to ``Status.LOOKS_FINE``.
Decision = Literal[Status.LOOKS_FINE, Status.NEEDS_REVIEW, Status.LOW_EFFORT]
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


_STRINGS = {"type": "array", "items": {"type": "string"}}
# ``Analysis`` as the JSON schema a model is asked to follow. Cohere's structured output ignores
# minimum/maximum, so the 0-100 bound is enforced by ``Analysis`` itself.
ANALYSIS_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decision": {"type": "string", "enum": [str(d) for d in DECISIONS]},
        "score": {"type": "integer"},
        "summary": {"type": "string"},
        "strengths": _STRINGS,
        "concerns": _STRINGS,
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "criterion": {"type": "string"},
                    "verdict": {"type": "string", "enum": list(get_args(Verdict))},
                    "evidence": _STRINGS,
                },
                "required": ["criterion", "verdict", "evidence"],
            },
        },
    },
    "required": ["decision", "score", "summary", "strengths", "concerns", "criteria"],
}


class InvalidAnalysis(ValueError):
    """Text that is not a valid ``Analysis``; ``str()`` says why, briefly (for a repair try)."""


def parse_analysis(text: str) -> Analysis:
    """An analyzer's JSON answer as an ``Analysis``, or ``InvalidAnalysis``."""
    body = text.strip()
    if body.startswith("```"):  # some models fence JSON even in JSON mode
        body = body.strip("`").removeprefix("json").strip()
    try:
        return Analysis.model_validate(json.loads(body))
    except json.JSONDecodeError as exc:
        raise InvalidAnalysis(f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors()]
        raise InvalidAnalysis("; ".join(problems[:5])) from exc


@dataclass(frozen=True)
class JobBrief:
    """The job as the analyzers see it (never the candidate's name, email or login)."""

    title: str
    description: str = ""
    rubric: str = ""
    criteria: tuple[CriterionSpec, ...] = DEFAULT_CRITERIA

    @cached_property  # asked twice per delivery; the criteria's JSON is most of the cost
    def rubric_hash(self) -> str:
        """What the job judges against: description, rubric and criteria (not the title)."""
        return rubric_hash(self.description, self.rubric, self.criteria)


@dataclass
class AnalysisResult:
    analysis: Analysis
    analyzer: str  # "heuristic" or "cohere"
    model: str | None = None
    prompt_hash: str | None = None
    raw_answer: str | None = None
    flags: list[str] = field(default_factory=list)
    # Text aimed at the judge that the analyzer found beyond the signals' own (in the manifests
    # or commit messages it read): ``apply_bounds`` treats it like the signals' phrases.
    injection_phrases: list[str] = field(default_factory=list)


class Analyzer(Protocol):
    name: str

    async def analyze(
        self, snapshot: RepoSnapshot, signals: Signals, job: JobBrief
    ) -> AnalysisResult:
        """Judge one repository against one job; raise AnalyzerError when it cannot."""
        ...


EMPTY_MAX_SCORE = 10
NEAR_EMPTY_MAX_SCORE = 45
BOUNDED_FLAG = "bounded_by_signals"
UNVERIFIED_EVIDENCE_FLAG = "unverified_evidence"


def _with_concern(concerns: list[str], line: str) -> list[str]:
    return concerns if line in concerns else [*concerns, line]


def bound_by_signals(analysis: Analysis, signals: Signals) -> tuple[Analysis, list[str]]:
    """Apply what facts computed in code allow, whatever an analyzer answered.

    - an empty repository is ``low_effort`` with a score of at most ``EMPTY_MAX_SCORE``;
    - a near-empty one is never ``looks_fine``: a model that says so disagrees with the facts,
      which is worth a person's look, so it becomes ``needs_review`` with the score capped at
      ``NEAR_EMPTY_MAX_SCORE`` (a ``low_effort`` answer stays as it is);
    - code read from the repository that is mostly stubs, or tests that assert nothing, is never
      ``looks_fine`` either: it becomes ``needs_review`` with a concern citing ``path:line``;
    - neither are failing or timed-out tests, the submission's own or the job's acceptance
      tests: ``needs_review`` with a concern naming the failing tests (``path:line``);
    - text aimed at the judge forces ``needs_review`` with ``INJECTION_FLAG`` and a concern line
      quoting what was found (only an empty repository, which has no text, stays ``low_effort``);
    - finally the score is clamped into the band of the decision (``SCORE_BANDS``).

    Returns the bounded analysis and the flags it raised. Applying it twice changes nothing more.
    """
    decision: Decision = analysis.decision
    score = analysis.score
    concerns = list(analysis.concerns)
    flags: list[str] = []

    if signals.injection_phrases:
        flags.append(INJECTION_FLAG)
        quoted = ", ".join(f'"{p[:60]}"' for p in signals.injection_phrases[:3])
        where = f" in {places(signals.injection_paths)}" if signals.injection_paths else ""
        line = concerns_text.INJECTION.render(phrases=quoted, where=where)
        concerns = [line, *(c for c in concerns if c != line)]  # the first thing a person reads
        decision = NEEDS_REVIEW
    if signals.empty:
        decision = LOW_EFFORT
        score = min(score, EMPTY_MAX_SCORE)
        concerns = _with_concern(concerns, concerns_text.EMPTY.render())
    elif signals.near_empty and decision != LOW_EFFORT:
        if decision == LOOKS_FINE:
            concerns = _with_concern(concerns, concerns_text.NEAR_EMPTY_BOUND.render())
        decision = NEEDS_REVIEW
        score = min(score, NEAR_EMPTY_MAX_SCORE)

    hollow = _hollow_work(signals)
    if hollow and decision == LOOKS_FINE:
        decision = NEEDS_REVIEW
        concerns = _with_concern(concerns, concerns_text.HOLLOW_BOUND.render(what=hollow))
    for line in test_run_concerns(signals):
        # Failing or unfinished tests, the candidate's own or the job's, are never fine.
        if decision == LOOKS_FINE:
            decision = NEEDS_REVIEW
        concerns = _with_concern(concerns, line)

    low, high = SCORE_BANDS[decision]
    score = max(low, min(score, high))
    if decision != analysis.decision:
        flags.append(BOUNDED_FLAG)
    bounded = analysis.model_copy(
        update={"decision": decision, "score": score, "concerns": concerns}
    )
    return bounded, flags


def apply_bounds(result: AnalysisResult, signals: Signals) -> AnalysisResult:
    """The one place an analyzer's answer meets the facts (the pipeline calls it for every
    analyzer): ``bound_by_signals`` with the phrases the analyzer found added to the signals'."""
    phrases = list(dict.fromkeys([*signals.injection_phrases, *result.injection_phrases]))
    bounded, flags = bound_by_signals(result.analysis, replace(signals, injection_phrases=phrases))
    result.analysis = bounded
    result.flags = list(dict.fromkeys([*result.flags, *flags]))
    return result


def test_run_concerns(signals: Signals) -> list[str]:
    """A concern line for each test run that failed or timed out, naming its failing tests."""
    lines = []
    for whose, which, status, passed, failed, note in (
        (
            "The job's acceptance tests",
            "acceptance",
            signals.acceptance_status,
            signals.acceptance_passed,
            signals.acceptance_failed,
            signals.acceptance_note,
        ),
        (
            "The submission's own tests",
            "own",
            signals.tests_status,
            signals.tests_passed,
            signals.tests_failed,
            signals.tests_note,
        ),
    ):
        if status == TestStatus.FAILED and passed + failed == 0:  # install or build failed
            lines.append(concerns_text.BROKEN_TESTS.render(whose=whose, note=note or "no detail"))
        elif status == TestStatus.FAILED:
            cited = failing_tests_of(signals, which, limit=concerns_text.SHOWN_PLACES)
            lines.append(
                concerns_text.FAILING_TESTS.render(
                    whose=whose,
                    failed=f"{failed:,}",
                    ran=f"{passed + failed:,}",
                    cited=places(cited, failed) if cited else note,
                )
            )
        elif status == TestStatus.TIMED_OUT:
            lines.append(concerns_text.TIMED_OUT.render(whose=whose, note=note or "the time limit"))
    return lines


def _hollow_work(signals: Signals) -> str:
    """What the code read shows that no verdict may ignore ("" when nothing)."""
    parts = []
    if signals.stubbed_code:
        parts.append(stub_phrase(signals))
    if signals.hollow_tests:
        parts.append(hollow_phrase(signals))
    return " ".join(parts)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_KNOWN_EXTENSIONS = _words(
    "py pyi ipynb js mjs cjs jsx ts tsx vue svelte go rs java kt kts scala rb php cs fs cpp cc "
    "cxx c h hpp m swift dart ex exs erl clj hs lua r jl sh bash ps1 sql html htm css scss sass "
    "less md rst txt json jsonc yaml yml toml ini cfg conf xml gradle properties lock env mod sum "
    "csv proto graphql gql tf dockerfile mk cmake bat vb pl"
)
_BARE_FILENAMES = _words(
    "dockerfile makefile license licence readme procfile gemfile rakefile jenkinsfile "
    "vagrantfile .gitignore .dockerignore .editorconfig .env.example .nvmrc"
)
# Technology names that look like file names ("Node.js") and are cited as facts, not files.
_TECH_NAMES = _words(
    "node.js vue.js next.js nuxt.js express.js react.js three.js d3.js chart.js nest.js "
    "ember.js backbone.js angular.js alpine.js solid.js p5.js socket.io asp.net"
)
_LINE_REF = re.compile(r"(?::\d+(?:[-:]\d+)*|#L\d+(?:-L?\d+)?)$")
_BACKTICKED = re.compile(r"`([^`\s]+)`")


def _looks_like_path(token: str) -> bool:
    lowered = token.lower()
    if "://" in token or token.startswith("@") or lowered in _TECH_NAMES:
        return False
    name = lowered.rstrip("/").rsplit("/", 1)[-1]
    if lowered.endswith("/") and len(name) > 0:
        return True
    extension = name.rsplit(".", 1)[-1] if "." in name.strip(".") else ""
    return extension in _KNOWN_EXTENSIONS or name in _BARE_FILENAMES


def cited_paths(evidence: str) -> list[str]:
    """The file paths an evidence line names: backticked, the whole line, or ``path: note``."""
    candidates = _BACKTICKED.findall(evidence)
    stripped = evidence.strip().strip("`'\"")
    first, _, rest = stripped.partition(" ")
    if not rest:
        candidates.append(stripped)
    elif first.endswith(":"):
        candidates.append(first[:-1])
    cleaned = (_LINE_REF.sub("", c.strip("`'\"")).rstrip(".,;)") for c in candidates)
    return [c for c in cleaned if _looks_like_path(c)]


class _Tree:
    def __init__(self, tree_paths: Iterable[str]) -> None:
        self.files = {p.strip("/").lower() for p in tree_paths if p.strip("/")}
        self.dirs = {f.rsplit("/", i)[0] for f in self.files for i in range(1, f.count("/") + 1)}

    def has(self, path: str) -> bool:
        path = path.lower().removeprefix("./").strip("/")
        if path in self.files or path in self.dirs:
            return True
        # Cited relative to a subdirectory, or by file name alone ("app.py" for "src/app.py").
        return any(f.endswith("/" + path) for f in self.files)


def _place_exists(path: str, start: int, end: int, read_lines: dict[str, int]) -> bool:
    """A place in a file that was read must lie within its lines; other files are not checked."""
    lowered = path.lower().strip("/")
    for read_path, count in read_lines.items():
        candidate = read_path.lower()
        if candidate == lowered or candidate.endswith("/" + lowered):
            return 1 <= start <= end <= count
    return True


def validate_evidence(
    analysis: Analysis, tree_paths: Iterable[str], *, read_lines: dict[str, int] | None = None
) -> tuple[Analysis, list[str]]:
    """Drop evidence that names a file the repository does not have, or a line that a file
    which was read does not have (``read_lines``: path -> number of lines read).

    Evidence lines that name no path (facts such as "12 commits over 9 days") are kept as they
    are. A line citing a path missing from the tree is removed, listed in one concern line, and
    ``UNVERIFIED_EVIDENCE_FLAG`` is raised; a criterion judged ``met`` whose evidence was all
    invented becomes ``partial``. Matching ignores case and accepts paths cited relative to a
    subdirectory. Pass the tree only when it is complete (not truncated).
    """
    tree = _Tree(tree_paths)
    dropped: list[str] = []
    criteria: list[Criterion] = []
    for criterion in analysis.criteria:
        kept = [
            e
            for e in criterion.evidence
            if all(tree.has(p) for p in cited_paths(e))
            and all(_place_exists(*place, read_lines or {}) for place in cited_places(e))
        ]
        dropped.extend(e for e in criterion.evidence if e not in kept)
        verdict = criterion.verdict
        if verdict == "met" and criterion.evidence and not kept:
            verdict = "partial"
        criteria.append(criterion.model_copy(update={"evidence": kept, "verdict": verdict}))
    if not dropped:
        return analysis, []
    line = concerns_text.UNVERIFIED_EVIDENCE.render(
        cited=places([e[:80] for e in dropped], len(set(dropped)))
    )
    concerns = _with_concern(list(analysis.concerns), line)
    return analysis.model_copy(update={"criteria": criteria, "concerns": concerns}), [
        UNVERIFIED_EVIDENCE_FLAG
    ]
