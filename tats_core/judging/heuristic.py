"""The heuristic analyzer: a transparent rubric over the signals, no model.

Seven criteria, each with a verdict (met / partial / missing), points and evidence taken from
the tree, the history and, when they ran, the submission's tests; an eighth when the job's
acceptance tests ran. The points add up to the score (capped at 100); the decision follows the
score within bounds the signals set:

- empty or near-empty: ``low_effort`` (never ``looks_fine``); ``needs_review`` instead when other
  branches differ from the analysed one, since the work may sit there;
- ``looks_fine`` needs LOOKS_FINE_SCORE and no blocker: a development history (not one dump),
  tests of the candidate's own that assert something, code that is not stubbed out, and no
  committed dependencies or build output;
- when the code was read, substance and tests are judged from it: stubbed bodies score no
  substance and tests that assert nothing score no tests, whatever the file counts say, and the
  concerns cite the files (``path:line``);
- when the tests ran, their result is the tests criterion: all passing is met, any failing or
  a run that did not finish is missing and a blocker (as failing acceptance tests are), citing
  the failing tests; passing acceptance tests add the eighth criterion's points;
- below LOW_EFFORT_SCORE: ``low_effort``; otherwise ``needs_review``;
- text aimed at an AI judge forces ``needs_review``; the flag and the concern line are
  ``analysis.apply_bounds``'s, as for every analyzer;
- the score is finally clamped into the decision's band (``analysis.SCORE_BANDS``), so
  ``bound_by_signals`` never has to change a heuristic answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from tats_core.judging.analysis import (
    Analysis,
    AnalysisResult,
    Criterion,
    Decision,
    JobBrief,
    Verdict,
)
from tats_core.judging.signals import (
    NEAR_EMPTY_CODE_BYTES,
    Signals,
    failing_tests_of,
    findings_of,
)
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.statuses import LOOKS_FINE, LOW_EFFORT, NEEDS_REVIEW, SCORE_BANDS, TestStatus
from tats_core.wording import plural

LOOKS_FINE_SCORE = SCORE_BANDS[LOOKS_FINE][0]  # 70
LOW_EFFORT_SCORE = SCORE_BANDS[NEEDS_REVIEW][0]  # 35: below it, low_effort
NEAR_EMPTY_SCORE_CAP = 20
SUBSTANTIAL_CODE_BYTES = 10_000  # a few hundred lines: enough to show how someone builds
SUBSTANTIAL_CODE_FILES = 5
HISTORY_MIN_COMMITS = 8
HISTORY_MIN_HOURS = 3.0
README_MIN_CHARS = 200  # setup steps plus a few words on what the project is


@dataclass
class Mark:
    criterion: str
    verdict: str
    points: int
    evidence: list[str]


def _substance(s: Signals) -> Mark:
    name = "Substance of the solution"
    evidence = [
        f"{plural(s.code_file_count, 'source file')}, {plural(s.code_bytes, 'byte')} of code"
    ]
    if s.stubbed_code:
        return Mark(
            name,
            "missing",
            0,
            [
                f"{s.stub_functions:,} of {plural(s.functions, 'function')} read are placeholders",
                *findings_of(s, "stub"),
            ],
        )
    if s.code_bytes >= SUBSTANTIAL_CODE_BYTES and s.code_file_count >= SUBSTANTIAL_CODE_FILES:
        return Mark(name, "met", 25, evidence)
    if s.acceptance_passed_all:  # complete by the job's own tests, however small
        return Mark(name, "met", 25, ["passes every acceptance test of the job", *evidence])
    if s.code_bytes >= NEAR_EMPTY_CODE_BYTES and not s.near_empty:
        share = (s.code_bytes - NEAR_EMPTY_CODE_BYTES) / (
            SUBSTANTIAL_CODE_BYTES - NEAR_EMPTY_CODE_BYTES
        )
        return Mark(name, "partial", 8 + round(12 * min(share, 1.0)), evidence)
    return Mark(name, "missing", 0, [s.near_empty_reason or evidence[0]])


def _tests(s: Signals) -> Mark:
    name = "Automated tests"
    if s.hollow_tests:
        return Mark(
            name,
            "missing",
            0,
            [
                f"{plural(s.test_cases, 'test case')} read, {s.real_test_cases:,} assert something real",
                *findings_of(s, "hollow_test"),
            ],
        )
    if (ran := _ran_tests(s)) is not None:
        return ran
    if s.code_read and s.test_cases:
        real = f"{s.real_test_cases:,} of {plural(s.test_cases, 'test case')} assert something real"
        verdict, points = ("met", 20) if s.test_file_count >= 2 else ("partial", 10)
        return Mark(name, verdict, points, [real, *s.test_paths])
    if s.test_file_count >= 2:
        return Mark(name, "met", 20, [plural(s.test_file_count, "test file"), *s.test_paths])
    if s.test_file_count == 1:
        return Mark(name, "partial", 10, s.test_paths)
    return Mark(name, "missing", 0, ["no test files (generated placeholders not counted)"])


def _ran_tests(s: Signals) -> Mark | None:
    """The tests criterion from running them, when they ran; None to judge from the code."""
    name = "Automated tests"
    if s.tests_status == TestStatus.PASSED and s.tests_passed:
        return Mark(name, "met", 20, [f"{plural(s.tests_passed, 'test')} run, all pass"])
    if s.tests_status == TestStatus.FAILED:
        cited = failing_tests_of(s, "own")
        if not s.tests_passed + s.tests_failed:
            return Mark(name, "missing", 0, [f"the tests cannot run: {s.tests_note}"])
        ran = plural(s.tests_passed + s.tests_failed, "test")
        return Mark(name, "missing", 0, [f"{s.tests_failed:,} of {ran} fail", *cited])
    if s.tests_status == TestStatus.TIMED_OUT:
        return Mark(name, "missing", 0, [f"the tests did not finish: {s.tests_note}"])
    return None


def _acceptance(s: Signals) -> Mark | None:
    """The job's acceptance tests, when the job has some and they ran: strong evidence."""
    name = "Passes the job's acceptance tests"
    ran = plural(s.acceptance_passed + s.acceptance_failed, "acceptance test")
    if s.acceptance_status == TestStatus.PASSED:
        return Mark(name, "met", 15, [f"{ran}, all pass"])
    if s.acceptance_status == TestStatus.FAILED:
        cited = failing_tests_of(s, "acceptance")
        return Mark(name, "missing", 0, [f"{s.acceptance_failed:,} of {ran} fail", *cited])
    if s.acceptance_status == TestStatus.TIMED_OUT:
        return Mark(name, "missing", 0, [f"did not finish: {s.acceptance_note}"])
    return None


def _readme(s: Signals) -> Mark:
    name = "README with setup and run steps"
    where = s.readme_path or "README"
    if not s.has_readme:
        return Mark(name, "missing", 0, ["no README"])
    if s.readme_boilerplate:
        return Mark(name, "partial", 4, [f"{where} is the project generator's default"])
    if s.readme_is_brief:
        return Mark(name, "partial", 5, [f"{where} reads as the assignment brief"])
    if s.readme_has_setup and s.readme_chars >= README_MIN_CHARS:
        return Mark(name, "met", 15, [where, *s.readme_setup_evidence[:3]])
    if s.readme_has_setup:
        return Mark(
            name, "partial", 10, [f"{where}: setup steps in only {s.readme_chars} characters"]
        )
    return Mark(name, "partial", 6, [f"{where}: {s.readme_chars:,} characters, no setup/run steps"])


def _history(s: Signals) -> Mark:
    name = "Commit history over time"
    facts = [
        f"{plural(s.commit_count, 'commit')} ({s.substantive_commits:,} beyond merges and README edits)",
        f"over {s.commit_span_days * 24:.1f} hours on {plural(s.active_days, 'day')}",
    ]
    if s.single_dump_commit or s.empty:
        return Mark(name, "missing", 0, ["the work arrived in one commit", facts[0]])
    clear = s.substantive_commits - s.vague_commit_messages
    if clear >= HISTORY_MIN_COMMITS and s.commit_span_days * 24 >= HISTORY_MIN_HOURS:
        return Mark(name, "met", 20, facts)
    if s.vague_commit_messages:
        facts.append(f"{s.vague_commit_messages} commit messages say almost nothing")
    if clear >= 3 or s.substantive_commits >= 5:
        return Mark(name, "partial", 10, facts)
    return Mark(name, "missing", 3, facts)


def _clean(s: Signals) -> Mark:
    name = "No committed dependencies or build output"
    if s.committed_paths:
        return Mark(name, "missing", 0, s.committed_paths[:3])
    if s.vendored_libraries or s.junk_paths:
        evidence = [f"copied-in library {v}" for v in s.vendored_libraries[:2]] + s.junk_paths[:2]
        return Mark(name, "partial", 5, evidence)
    return Mark(name, "met", 10, ["no node_modules/, virtualenvs, build output or binaries"])


def _stack(s: Signals) -> Mark:
    name = "Fits the job's stack"
    if s.language_match is False:
        return Mark(name, "missing", 0, [f"job names {', '.join(s.job_languages)}",
                                         f"repository: {', '.join(list(s.languages)[:3])}"])  # fmt: skip
    seen = [f for f in s.job_frameworks if f in s.frameworks]
    if s.missing_job_frameworks and len(seen) < len(s.missing_job_frameworks):
        return Mark(name, "partial", 3, [f"not seen: {', '.join(s.missing_job_frameworks)}"])
    evidence = [f"languages: {', '.join(list(s.languages)[:3]) or 'none'}"] + (
        [f"frameworks: {', '.join(seen)}"] if seen else []
    )
    return Mark(name, "met", 5, evidence)


def _automation(s: Signals) -> Mark:
    name = "CI or a reproducible run (Docker)"
    if s.has_ci:
        return Mark(name, "met", 5, s.ci_paths)
    if s.has_docker:
        return Mark(name, "partial", 3, ["Dockerfile / compose file"])
    return Mark(name, "missing", 0, ["no CI configuration"])


RUBRIC = (_substance, _tests, _readme, _history, _clean, _stack, _automation)
# Stored with each evaluation: a changed rubric is visible in the audit trail.
RUBRIC_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _decide(s: Signals, score: int, marks: dict[str, Mark]) -> tuple[Decision, int, list[str]]:
    """Decision, bounded score and the reasons that bounded it."""
    reasons: list[str] = []
    if s.empty:
        return LOW_EFFORT, 0, ["The repository is empty."]
    if s.near_empty:
        score = min(score, NEAR_EMPTY_SCORE_CAP)
        reasons.append(f"Near-empty: {s.near_empty_reason}.")
        if s.other_branches:
            reasons.append(
                f"Other branches differ ({', '.join(s.other_branches[:3])}): the work may be "
                "there; check before deciding."
            )
            return NEEDS_REVIEW, score, reasons
        return LOW_EFFORT, score, reasons
    failing = _tests_fail(s)
    blockers = [
        text
        for failed, text in (
            (marks["history"].verdict == "missing", "the work arrived in one commit"),
            (
                marks["tests"].verdict == "missing" and not failing,
                "it has no tests of its own that check its behaviour",
            ),
            (s.stubbed_code, "most of its code is placeholders (stubbed bodies)"),
            (bool(s.committed_paths), "it commits dependencies or build output"),
            (failing, "its tests fail or do not finish when run"),
        )
        if failed
    ]
    if score >= LOOKS_FINE_SCORE and not blockers:
        return LOOKS_FINE, score, reasons
    if blockers and score >= LOOKS_FINE_SCORE:
        score = LOOKS_FINE_SCORE - 1
        reasons.append("Not rated Looks fine: " + "; ".join(blockers) + ".")
    if score < LOW_EFFORT_SCORE:
        return LOW_EFFORT, score, reasons
    return NEEDS_REVIEW, score, reasons


def _tests_fail(s: Signals) -> bool:
    bad = (TestStatus.FAILED, TestStatus.TIMED_OUT)
    return s.tests_status in bad or s.acceptance_status in bad


# How the summary opens for each decision.
OPENINGS: dict[Decision, str] = {
    LOOKS_FINE: "Visible effort and care",
    NEEDS_REVIEW: "Mixed picture; a person should look",
    LOW_EFFORT: "Little visible effort",
}


def _summary(decision: Decision, s: Signals, concerns: list[str]) -> str:
    opening = OPENINGS[decision]
    if s.empty:
        detail = "no commits"
    else:
        detail = (
            f"{plural(s.code_file_count, 'source file')}, {plural(s.test_file_count, 'test file')}, "
            f"{plural(s.commit_count, 'commit')} over {plural(max(s.active_days, 1), 'day')}"
        )
        if s.ref != s.default_branch and s.branch_note:
            detail += f" on branch '{s.ref}'"
    return f"{opening}: {detail}." + (f" Main concern: {concerns[0]}" if concerns else "")


class HeuristicAnalyzer:
    """Judges a repository by the rubric above; deterministic, free, and explainable.

    It reads the job only through the signals (languages and frameworks it names); a
    recruiter's free-text rubric needs a model and is left to the Cohere analyzer."""

    name = "heuristic"

    async def analyze(
        self, snapshot: RepoSnapshot, signals: Signals, job: JobBrief
    ) -> AnalysisResult:
        marks = {f.__name__.strip("_"): f(signals) for f in RUBRIC}
        if (acceptance := _acceptance(signals)) is not None:
            marks["acceptance"] = acceptance
        score = sum(m.points for m in marks.values())
        decision, score, reasons = _decide(signals, score, marks)
        strengths = [
            f"{m.criterion}: {m.evidence[0]}" for m in marks.values() if m.verdict == "met"
        ]
        concerns = reasons + [
            f"{m.criterion}: {m.evidence[0]}" for m in marks.values() if m.verdict != "met"
        ]
        if signals.injection_phrases and not signals.empty:
            # What ``apply_bounds`` would decide anyway; it alone writes the concern line and
            # raises the flag, for every analyzer.
            decision = NEEDS_REVIEW
        if signals.secrets:
            concerns.append(
                "Hard-coded secret committed: " + ", ".join(findings_of(signals, "secret"))
            )
        if signals.other_branches and not signals.near_empty:
            concerns.append("Other branches not analysed: " + ", ".join(signals.other_branches[:3]))
        low, high = SCORE_BANDS[decision]  # the score always agrees with the decision
        analysis = Analysis(
            decision=decision,
            score=max(low, min(high, score)),
            summary=_summary(decision, signals, concerns),
            strengths=strengths,
            concerns=concerns,
            criteria=[
                Criterion(
                    criterion=m.criterion, verdict=cast(Verdict, m.verdict), evidence=m.evidence
                )
                for m in marks.values()
            ],
        )
        return AnalysisResult(
            analysis=analysis,
            analyzer=self.name,
            prompt_hash=RUBRIC_HASH,
        )
