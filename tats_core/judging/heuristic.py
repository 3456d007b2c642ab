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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from tats_core.judging import concerns
from tats_core.judging.analysis import (
    Analysis,
    AnalysisResult,
    Criterion,
    Decision,
    JobBrief,
    Verdict,
)
from tats_core.judging.concerns import listing, places
from tats_core.judging.criteria import DEFAULT_CRITERIA, CriterionSpec, Measure
from tats_core.judging.signals import (
    Signals,
    assignment_phrase,
    dump_phrase,
    failing_tests_of,
    findings_of,
    hollow_phrase,
    own_work_phrase,
    secret_phrase,
    span_phrase,
    stub_phrase,
)
from tats_core.judging.version import JUDGING_HASH
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.statuses import LOOKS_FINE, LOW_EFFORT, NEEDS_REVIEW, SCORE_BANDS, TestStatus
from tats_core.wording import kilobytes, plural

LOOKS_FINE_SCORE = SCORE_BANDS[LOOKS_FINE][0]  # 70
LOW_EFFORT_SCORE = SCORE_BANDS[NEEDS_REVIEW][0]  # 35: below it, low_effort
NEAR_EMPTY_SCORE_CAP = 20
SUBSTANTIAL_CODE_FILES = 5  # for any but a small assignment
HISTORY_MIN_COMMITS = 8
HISTORY_MIN_HOURS = 3.0
README_MIN_CHARS = 200  # setup steps plus a few words on what the project is


@dataclass
class Mark:
    """One measure's verdict (``criteria.Measure``): points, evidence, and the concern line when
    it falls short (None when another line says it already: failing test runs are the bounds'
    to name)."""

    verdict: str
    points: int
    evidence: list[str]
    concern: str | None = None


def _substance(s: Signals) -> Mark:
    """Own code against what the assignment takes (``assignment``): its expected size, or half
    of it with tests of the candidate's own that check it; the job's acceptance tests passing
    settle it whatever the size."""
    size = f"{kilobytes(s.code_bytes)} of code of the candidate's own"
    given = own_work_phrase(s)
    evidence = [f"{size}, for {assignment_phrase(s)}"] + ([given] if given else [])
    if s.stubbed_code:
        return Mark("missing", 0, [*findings_of(s, "stub")], stub_phrase(s))
    if s.code_bytes >= s.expected_code_bytes and s.code_file_count >= _files_expected(s):
        return Mark("met", 25, evidence)
    if s.acceptance_passed_all:  # complete by the job's own tests, however small
        return Mark("met", 25, ["passes every acceptance test of the job", *evidence])
    if _tested(s) and s.code_bytes >= max(s.floor_code_bytes, s.expected_code_bytes // 2):
        return Mark("met", 25, [f"a complete, tested solution: {size}", *evidence[1:]])
    if s.near_empty:  # the decision's reason says why
        return Mark("missing", 0, [s.near_empty_reason or evidence[0]])
    floor, expected = s.floor_code_bytes, s.expected_code_bytes
    share = min(max((s.code_bytes - floor) / max(1, expected - floor), 0.0), 1.0)
    thin = concerns.THIN.render(
        own=kilobytes(s.code_bytes),
        expected=kilobytes(expected),
        assignment=assignment_phrase(s),
        given=f"; it {given}" if given else "",
    )
    return Mark("partial", 8 + round(12 * share), evidence, thin)


def _files_expected(s: Signals) -> int:
    """Source files a complete solution usually has: one for a small exercise, more for more."""
    return 1 if s.assignment_size == "small" else SUBSTANTIAL_CODE_FILES


def _tested(s: Signals) -> bool:
    """Tests of the candidate's own that were seen to check real behaviour (read) or to pass
    (run), and did not fail when run."""
    if not s.has_tests or s.hollow_tests:
        return False
    if s.tests_status in (TestStatus.FAILED, TestStatus.TIMED_OUT):
        return False
    passed = s.tests_status == TestStatus.PASSED and s.tests_passed > 0
    return passed or (s.code_read and s.real_test_cases > 0)


def _tests(s: Signals) -> Mark:
    if s.hollow_tests:
        return Mark("missing", 0, [*findings_of(s, "hollow_test")], hollow_phrase(s))
    if (ran := _ran_tests(s)) is not None:
        return ran
    paths = places(s.test_paths, s.test_file_count)
    if s.test_file_count >= (1 if s.assignment_size == "small" else 2):
        facts = [plural(s.test_file_count, "test file"), *s.test_paths]
        if s.code_read and s.test_cases:
            facts[0] += (
                f"; {s.real_test_cases:,} of {plural(s.test_cases, 'test case')} assert "
                "something real"
            )
        return Mark("met", 20, facts)
    if s.test_file_count == 1:
        return Mark("partial", 10, s.test_paths, concerns.FEW_TESTS.render(paths=paths))
    return Mark("missing", 0, ["no test files of the candidate's own"], _no_tests(s))


def _no_tests(s: Signals) -> str:
    if s.given_test_files:
        given = plural(s.given_test_files, "test file")
        return concerns.NO_TESTS.render(not_counted=f" (the {given} of the starter do not count)")
    return concerns.NO_TESTS.render(not_counted=" (generated placeholder tests do not count)")


def _ran_tests(s: Signals) -> Mark | None:
    """The tests criterion from running them, when they ran; None to judge from the code.
    Failing or unfinished runs are named by the bounds' concern line, not here."""
    if s.tests_status == TestStatus.PASSED and s.tests_passed:
        evidence = [f"{plural(s.tests_passed, 'test')} run, all pass"]
        if not s.has_tests and s.given_test_files:
            line = concerns.STARTER_TESTS_ONLY.render(
                tests=plural(s.tests_passed, "test"), paths=_given_tests(s)
            )
            return Mark("partial", 5, evidence, line)
        return Mark("met", 20, evidence)
    if s.tests_status == TestStatus.FAILED:
        cited = failing_tests_of(s, "own")
        if not s.tests_passed + s.tests_failed:
            return Mark("missing", 0, [f"the tests cannot run: {s.tests_note}"])
        ran = plural(s.tests_passed + s.tests_failed, "test")
        return Mark("missing", 0, [f"{s.tests_failed:,} of {ran} fail", *cited])
    if s.tests_status == TestStatus.TIMED_OUT:
        return Mark("missing", 0, [f"the tests did not finish: {s.tests_note}"])
    return None


def _given_tests(s: Signals) -> str:
    shown = [e.rsplit(" (", 1)[0] for e in s.given_examples]
    return places(shown, s.given_code_files) if shown else plural(s.given_test_files, "file")


def _acceptance(s: Signals) -> Mark | None:
    """The job's acceptance tests, when the job has some and they ran: strong evidence."""
    ran = plural(s.acceptance_passed + s.acceptance_failed, "acceptance test")
    if s.acceptance_status == TestStatus.PASSED:
        return Mark("met", 15, [f"{ran}, all pass"])
    if s.acceptance_status == TestStatus.FAILED:
        cited = failing_tests_of(s, "acceptance")
        return Mark("missing", 0, [f"{s.acceptance_failed:,} of {ran} fail", *cited])
    if s.acceptance_status == TestStatus.TIMED_OUT:
        return Mark("missing", 0, [f"did not finish: {s.acceptance_note}"])
    return None


def _readme(s: Signals) -> Mark:
    where = s.readme_path or "README"
    if not s.has_readme:
        return Mark("missing", 0, ["no README"], concerns.NO_README.render())
    if s.readme_given:
        line = concerns.README_GIVEN.render(path=where)
        return Mark("partial", 4, [f"{where} came with the starter, unchanged"], line)
    if s.readme_boilerplate:
        line = concerns.README_GENERATED.render(path=where)
        return Mark("partial", 4, [f"{where} is the project generator's default"], line)
    if s.readme_is_brief:
        line = concerns.README_BRIEF.render(path=where)
        return Mark("partial", 5, [f"{where} reads as the assignment brief"], line)
    if s.readme_has_setup and s.readme_chars >= README_MIN_CHARS:
        return Mark("met", 15, [where, *s.readme_setup_evidence[:3]])
    if s.readme_has_setup:
        line = concerns.README_SHORT.render(
            path=where,
            chars=plural(s.readme_chars, "character"),
            minimum=f"{README_MIN_CHARS:,}",
        )
        return Mark("partial", 10, [f"{where}: setup steps in {s.readme_chars} characters"], line)
    line = concerns.README_NO_SETUP.render(path=where)
    evidence = [f"{where}: {s.readme_chars:,} characters, no setup or run steps"]
    return Mark("partial", 6, evidence, line)


def _history(s: Signals) -> Mark:
    own = s.own_commit_count
    facts = [
        f"{plural(own, 'commit')} of the candidate's own ({s.substantive_commits:,} beyond "
        "merges and README edits)",
        f"over {span_phrase(s)} on {plural(s.active_days, 'day')}",
    ]
    starter = (
        f" (after the {plural(s.starter_commits, 'commit')} that brought the starter)"
        if s.starter_commits
        else ""
    )
    if s.single_dump_commit or s.empty:
        return Mark("missing", 0, facts, dump_phrase(s, starter))
    clear = s.substantive_commits - s.vague_commit_messages
    if clear >= HISTORY_MIN_COMMITS and s.commit_span_days * 24 >= HISTORY_MIN_HOURS:
        return Mark("met", 20, facts)
    vague = ""
    if s.vague_commit_messages:
        messages = plural(s.vague_commit_messages, "message")
        verb = "says" if s.vague_commit_messages == 1 else "say"
        facts.append(f"{messages} {verb} almost nothing")
        vague = f"; {messages} {verb} almost nothing"
    line = concerns.SHORT_HISTORY.render(
        clear=f"{max(clear, 0):,}",
        commits=plural(own, "commit"),
        span=span_phrase(s),
        minimum=f"{HISTORY_MIN_COMMITS}",
        hours=f"{HISTORY_MIN_HOURS:g}",
        vague=vague,
        starter=starter,
    )
    if clear >= 3 or s.substantive_commits >= 5:
        return Mark("partial", 10, facts, line)
    return Mark("missing", 3, facts, line)


def _clean(s: Signals) -> Mark:
    if s.committed_paths:
        line = concerns.COMMITTED.render(areas=places(s.committed_paths, len(s.committed_paths)))
        return Mark("missing", 0, s.committed_paths[:3], line)
    if s.vendored_libraries or s.junk_paths:
        evidence = [f"copied-in library {v}" for v in s.vendored_libraries[:2]] + s.junk_paths[:2]
        items = [*s.vendored_libraries, *s.junk_paths]
        return Mark("partial", 5, evidence, concerns.COPIED_IN.render(items=places(items)))
    return Mark("met", 10, ["no node_modules/, virtualenvs, build output or binaries"])


def _stack(s: Signals) -> Mark:
    have = listing(list(s.languages)[:3]) or "no recognised language"
    if s.language_match is False:
        line = concerns.WRONG_LANGUAGE.render(wanted=listing(s.job_languages), have=have)
        return Mark("missing", 0, [f"job names {', '.join(s.job_languages)}",
                                         f"repository: {', '.join(list(s.languages)[:3])}"], line)  # fmt: skip
    seen = [f for f in s.job_frameworks if f in s.frameworks]
    if s.missing_job_frameworks and len(seen) < len(s.missing_job_frameworks):
        line = concerns.MISSING_FRAMEWORKS.render(frameworks=listing(s.missing_job_frameworks))
        return Mark("partial", 3, [f"not seen: {', '.join(s.missing_job_frameworks)}"], line)
    evidence = [f"languages: {', '.join(list(s.languages)[:3]) or 'none'}"] + (
        [f"frameworks: {', '.join(seen)}"] if seen else []
    )
    return Mark("met", 5, evidence)


def _automation(s: Signals) -> Mark:
    if s.has_ci:
        return Mark("met", 5, s.ci_paths)
    if s.has_docker:
        return Mark("partial", 3, ["Dockerfile / compose file"])
    return Mark("missing", 0, ["no CI configuration"], concerns.NO_AUTOMATION.render())


# What each measure of a job's criteria is scored by, and the points it is out of (the default
# criteria's weights are these points, so a default job scores as it always did).
MEASURES: dict[Measure, Callable[[Signals], Mark | None]] = {
    Measure.SUBSTANCE: _substance,
    Measure.TESTS: _tests,
    Measure.README: _readme,
    Measure.HISTORY: _history,
    Measure.HYGIENE: _clean,
    Measure.STACK: _stack,
    Measure.AUTOMATION: _automation,
    Measure.ACCEPTANCE: _acceptance,
}
OUT_OF: dict[Measure, int] = {c.measure: c.weight for c in DEFAULT_CRITERIA}
# Stored with each evaluation as its prompt hash: the judging rules that decided, so a changed
# rule is visible in the audit trail.
RUBRIC_HASH = JUDGING_HASH


def _score(criteria: Sequence[CriterionSpec], marks: dict[Measure, Mark]) -> int:
    """The weighted share of each criterion's points, out of 100; the acceptance tests add
    their weight on top when they ran. Criteria a model must judge do not count here."""
    scored = [
        (c, marks[c.measure])
        for c in criteria
        if c.measure in marks and c.measure != Measure.ACCEPTANCE
    ]
    total = sum(c.weight for c, _ in scored)
    earned = sum(c.weight * m.points / OUT_OF[c.measure] for c, m in scored)
    bonus = sum(
        c.weight * marks[c.measure].points / OUT_OF[c.measure]
        for c in criteria
        if c.measure == Measure.ACCEPTANCE and c.measure in marks
    )
    return round((100 * earned / total if total else 0) + bonus)


def _decide(s: Signals, score: int, marks: dict[Measure, Mark]) -> tuple[Decision, int, list[str]]:
    """Decision, bounded score, and the concerns that bounded it (first in the list). Only the
    measures the job weighs can hold it back (a job that drops history is not held by it)."""
    if s.empty:
        return LOW_EFFORT, 0, [concerns.EMPTY.render()]
    if s.near_empty:
        score = min(score, NEAR_EMPTY_SCORE_CAP)
        reasons = [concerns.NEAR_EMPTY.render(reason=s.near_empty_reason)]
        if s.other_branches:
            branches = places(s.other_branches, len(s.other_branches))
            reasons.append(concerns.OTHER_BRANCHES.render(branches=branches))
            return NEEDS_REVIEW, score, reasons
        return LOW_EFFORT, score, reasons
    failing = _tests_fail(s)
    blocking = [
        measure
        for measure, blocks in (
            (Measure.SUBSTANCE, s.stubbed_code),
            (Measure.TESTS, not failing and _missing(marks, Measure.TESTS)),
            (Measure.HISTORY, _missing(marks, Measure.HISTORY)),
            (Measure.HYGIENE, bool(s.committed_paths)),
        )
        if blocks and measure in marks
    ]
    reasons = [line for measure in blocking if (line := marks[measure].concern)]
    if score >= LOOKS_FINE_SCORE and not blocking and not failing:
        return LOOKS_FINE, score, reasons
    if score >= LOOKS_FINE_SCORE:
        score = LOOKS_FINE_SCORE - 1
    if score < LOW_EFFORT_SCORE:
        return LOW_EFFORT, score, reasons
    return NEEDS_REVIEW, score, reasons


def _missing(marks: dict[Measure, Mark], measure: Measure) -> bool:
    return measure in marks and marks[measure].verdict == "missing"


def _tests_fail(s: Signals) -> bool:
    bad = (TestStatus.FAILED, TestStatus.TIMED_OUT)
    return s.tests_status in bad or s.acceptance_status in bad


# How the summary opens for each decision.
OPENINGS: dict[Decision, str] = {
    LOOKS_FINE: "Visible effort and care",
    NEEDS_REVIEW: "Mixed picture; a person should look",
    LOW_EFFORT: "Little visible effort",
}


def _summary(decision: Decision, s: Signals, first_concern: str | None) -> str:
    opening = OPENINGS[decision]
    if s.empty:
        detail = "no commits"
    else:
        code = f"{kilobytes(s.code_bytes)} of code of its own in "
        code += plural(s.code_file_count, "source file")
        if s.starter_tree_read:
            code += f" (added to a starter of {kilobytes(s.starter_code_bytes)})"
        tests = plural(s.test_file_count, "test file") if s.test_file_count else "no tests"
        commits = plural(s.own_commit_count, "commit")
        detail = f"{code}, {tests}, {commits} over {plural(max(s.active_days, 1), 'day')}"
        if s.ref != s.default_branch and s.branch_note:
            detail += f" on branch '{s.ref}'"
    return f"{opening}: {detail}." + (f" Main concern: {first_concern}" if first_concern else "")


class HeuristicAnalyzer:
    """Judges a repository by the rubric above; deterministic, free, and explainable.

    It reads the job only through the signals (languages and frameworks it names, and the
    assignment's scale); a recruiter's free-text rubric needs a model and is left to the Cohere
    analyzer."""

    name = "heuristic"
    prompt_hash = RUBRIC_HASH

    async def analyze(
        self, snapshot: RepoSnapshot, signals: Signals, job: JobBrief
    ) -> AnalysisResult:
        criteria = [c for c in job.criteria if c.measure != Measure.JUDGEMENT]
        named = {c.measure: c.name for c in criteria}
        marks = {
            c.measure: mark
            for c in criteria
            if c.weight and (mark := MEASURES[c.measure](signals)) is not None
        }
        score = _score(criteria, marks)
        decision, score, reasons = _decide(signals, score, marks)
        strengths = [f"{named[k]}: {m.evidence[0]}" for k, m in marks.items() if m.verdict == "met"]
        concern_lines = [*reasons]
        concern_lines += [m.concern for m in marks.values() if m.verdict != "met" and m.concern]
        if signals.secrets:
            concern_lines.append(secret_phrase(signals))
        if signals.other_branches and not signals.near_empty:
            branches = places(signals.other_branches, len(signals.other_branches))
            concern_lines.append(concerns.OTHER_BRANCHES.render(branches=branches))
        concern_lines = list(dict.fromkeys(concern_lines))
        if signals.injection_phrases and not signals.empty:
            # What ``apply_bounds`` would decide anyway; it alone writes the concern line and
            # raises the flag, for every analyzer.
            decision = NEEDS_REVIEW
        low, high = SCORE_BANDS[decision]  # the score always agrees with the decision
        analysis = Analysis(
            decision=decision,
            score=max(low, min(high, score)),
            summary=_summary(decision, signals, concern_lines[0] if concern_lines else None),
            strengths=strengths,
            concerns=concern_lines,
            criteria=[
                Criterion(criterion=named[k], verdict=cast(Verdict, m.verdict), evidence=m.evidence)
                for k, m in marks.items()
            ],
        )
        return AnalysisResult(
            analysis=analysis,
            analyzer=self.name,
            prompt_hash=RUBRIC_HASH,
        )
