"""Signals: facts computed in code from a RepoSnapshot; they are shown to the recruiter and
bound what any analyzer may decide.

``near_empty`` is the floor below which nobody can judge the work as fine. A repository is
near-empty when any of these holds:

- it is empty (no commits) or has no source code at all (a README, data or config only);
- its own source code is under the assignment's floor (``assignment.Scale.floor``: 2.5 KB for a
  job asking for one service, less for a small exercise, more for a full-stack app), unless the
  job's acceptance tests all pass;
- it is an untouched scaffold: at most two commits, and a generator's commit message
  ("Initial commit from Create Next App") or a generator's default README;
- it is a fork or template copy with no commits of its own.

**Own** code and commits (version 4, ``provenance``): files that came unchanged with a starter (a
fork's parent, a template, commits another person pushed before the candidate's), a project
generator's files and files common to the job are set aside, and substance, tests and history
are judged on the rest, with the starter's size said beside it ("adds 1.2 KB to a starter of
40 KB").

The code itself (version 2): when the snapshot carries a code sample, ``code.reading`` reads it
and the signals record functions and stubs, test cases and the ones that assert something real,
secrets, and ``stubbed_code`` / ``hollow_tests`` — the two facts that keep a submission whose
envelope looks fine but whose bodies are placeholders from ``looks_fine``:

- ``stubbed_code``: at least ``STUB_MIN`` functions are stubs and they are at least
  ``STUB_SHARE`` of the functions read;
- ``hollow_tests``: test cases were found and at most ``REAL_TEST_SHARE`` of them assert
  something real (``expect(true).toBe(true)``, ``assert True`` and empty bodies do not).

History is judged from the candidate's own commits among the newest 100 the snapshot lists
(``history``: span, active days, a single dump).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from tats_core.judging import concerns, stack
from tats_core.judging.assignment import Scale, scale_of
from tats_core.judging.code.reading import SourceFile, analyse_code
from tats_core.judging.concerns import places
from tats_core.judging.history import HistoryFacts, read_history
from tats_core.judging.provenance import Given, OwnWork, own_work
from tats_core.judging.readme import analyse_readme
from tats_core.judging.untrusted import find_injection_phrases
from tats_core.repo import files as repo_files
from tats_core.repo.sample import CodeSample
from tats_core.repo.snapshot import RepoSnapshot
from tats_core.statuses import TestStatus
from tats_core.wording import kilobytes, plural

# Stored with every evaluation's signals. Raise it when a field is added or its meaning changes:
# an evaluation judged with an older version is shown as such, never with today's defaults
# standing in for facts that were not computed then.
# 2: the code sample is read (functions, stubs, real tests, secrets); 3: tests are run;
# 4: the candidate's own part (starter, generator and job files set aside) against the
# assignment's scale
SIGNALS_VERSION = 4
STUB_MIN = 3
STUB_SHARE = 0.5
REAL_TEST_SHARE = 0.2
MAX_FINDINGS = 20  # stored per evaluation, as evidence (the counts cover every file read)
MAX_FAILING_TESTS = 10  # per run, stored as evidence (the counts cover every test)
MAX_EXAMPLES = 5  # given and changed starter files kept as evidence
MAX_SCANNED_LINES = 5_000  # lines searched for the place of text aimed at the judge


@dataclass
class Signals:
    empty: bool = False  # no commits at all
    near_empty: bool = False  # too little substance to be judged looks_fine by anyone
    commit_count: int = 0
    commit_span_days: float = 0.0
    active_days: int = 0
    single_dump_commit: bool = False
    file_count: int = 0
    code_file_count: int = 0
    code_bytes: int = 0
    has_tests: bool = False
    test_file_count: int = 0
    has_readme: bool = False
    readme_chars: int = 0
    readme_has_setup: bool = False
    has_ci: bool = False
    languages: dict[str, int] = field(default_factory=dict)
    primary_language: str | None = None
    job_languages: list[str] = field(default_factory=list)
    language_match: bool | None = None
    frameworks: list[str] = field(default_factory=list)
    is_fork: bool = False
    template_only: bool = False
    committed_dependencies: bool = False
    days_since_push: float | None = None
    injection_phrases: list[str] = field(default_factory=list)
    # Added beside the scaffold's fields: the evidence behind them.
    near_empty_reason: str | None = None
    ref: str = ""
    default_branch: str = ""
    branch_note: str | None = None
    other_branches: list[str] = field(default_factory=list)
    substantive_commits: int = 0  # merges, README edits and GitHub's initial commit left out
    vague_commit_messages: int = 0  # "d", "Done", "update"...
    commit_count_exact: bool = True
    scaffold_only: bool = False
    tree_truncated: bool = False
    test_paths: list[str] = field(default_factory=list)  # a few, as evidence
    ci_paths: list[str] = field(default_factory=list)
    readme_path: str | None = None
    readme_setup_evidence: list[str] = field(default_factory=list)
    readme_boilerplate: bool = False  # a project generator's default README
    readme_is_brief: bool = False  # the assignment text addressed to the candidate
    readme_hidden_text: bool = False
    readme_given: bool = False  # (v4) the starter's README, unchanged
    has_docker: bool = False
    committed_paths: list[str] = field(default_factory=list)  # "node_modules/ (1,480 files)"
    vendored_libraries: list[str] = field(default_factory=list)  # copied-in third-party code
    junk_paths: list[str] = field(default_factory=list)  # .idea/, .DS_Store, logs
    job_frameworks: list[str] = field(default_factory=list)
    missing_job_languages: list[str] = field(default_factory=list)
    missing_job_frameworks: list[str] = field(default_factory=list)
    # Version 2: read from the code sample (all zero/empty when no code was read).
    code_read: bool = False
    sample_summary: str = ""  # "read 32 of 210 files; left out: 150 vendored, ..."
    sample_files: dict[str, str] = field(default_factory=dict)  # path -> blob sha, as read
    functions: int = 0
    code_lines: int = 0
    stub_functions: int = 0
    test_cases: int = 0
    real_test_cases: int = 0
    stubbed_code: bool = False
    hollow_tests: bool = False
    code_findings: list[dict[str, Any]] = field(default_factory=list)  # stubs, hollow tests
    secrets: list[dict[str, Any]] = field(default_factory=list)
    code_treatment: dict[str, str] = field(default_factory=dict)  # language -> how it was read
    injection_paths: list[str] = field(default_factory=list)  # where: "path:line" (v4) or path
    # Version 3: the submission's own tests and the job's acceptance tests, run in a sandbox
    # (``tats_core.testrun``): a status of the contract's five, counts, and the failing tests
    # (their names and messages are the candidate's text: untrusted). None: not run at all.
    tests_status: str | None = None
    tests_passed: int = 0
    tests_failed: int = 0  # failures and errors
    tests_note: str = ""
    acceptance_status: str | None = None  # None: the job has no acceptance tests
    acceptance_passed: int = 0
    acceptance_failed: int = 0
    acceptance_note: str = ""
    failing_tests: list[dict[str, Any]] = field(default_factory=list)  # which, name, place, ...
    # Version 4: the candidate's own part (``provenance``) and the assignment's scale
    # (``assignment``). ``code_bytes``, ``code_file_count``, the test files and the code read
    # are the candidate's own; the commit facts above are their own commits'.
    own_commit_count: int = 0
    starter_source: str | None = None  # "forked from acme/starter", "3 commits by another author"
    starter_commits: int = 0  # commits of the history that brought the starter
    starter_tree_read: bool = False  # its files are known (and set aside by blob sha)
    starter_code_bytes: int = 0
    given_code_bytes: int = 0  # code set aside: starter, generator and job files
    given_code_files: int = 0
    given_examples: list[str] = field(default_factory=list)  # "src/App.js (starter)", a few
    given_test_files: int = 0  # test files that came with the starter or the job
    modified_starter_files: list[str] = field(default_factory=list)  # a few
    modified_starter_count: int = 0
    starter_given_bytes: int = 0  # of ``given_code_bytes``: files unchanged from the starter
    job_given_bytes: int = 0  # of ``given_code_bytes``: files common to the job
    job_common_files: int = 0  # files common to the job's submissions, set aside
    assignment_size: str = "medium"
    assignment_basis: str = ""  # "an API or service and a database"
    floor_code_bytes: int = 2_500
    expected_code_bytes: int = 10_000

    @property
    def acceptance_passed_all(self) -> bool:
        """The job's acceptance tests ran and every one passed: the employer's own definition
        of done, whatever the size of the code."""
        return self.acceptance_status == TestStatus.PASSED and self.acceptance_passed > 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "version": SIGNALS_VERSION}


@dataclass(frozen=True)
class StoredSignals:
    """Signals read back from an evaluation: the version they were computed with, and the fields
    that version did not have (left at their defaults, so not to be shown as facts)."""

    signals: Signals
    version: int
    absent: frozenset[str]

    @property
    def outdated(self) -> bool:
        return self.version < SIGNALS_VERSION


def read_stored(stored: dict[str, Any]) -> StoredSignals:
    """Rebuild stored signals without inventing facts. Rows written before versioning (no
    ``version`` key) are version 0."""
    known = {f.name for f in fields(Signals)}
    present = {k: v for k, v in stored.items() if k in known}
    return StoredSignals(
        signals=Signals(**present),
        version=int(stored.get("version", 0)),
        absent=frozenset(known - set(present)),
    )


def compute_signals(
    snapshot: RepoSnapshot,
    job_description: str = "",
    *,
    now: datetime | None = None,
    tests: Mapping[str, Any] | None = None,
    own: OwnWork | None = None,
    acceptance_files: Mapping[str, int] | None = None,
) -> Signals:
    """Every fact TATS computes from a snapshot (and its code sample) for one job; ``tests`` is
    the sandbox's report (``tats_core.testrun``'s ``to_dict``), when tests were run; ``own``
    says which files and commits are the candidate's (``provenance.own_work``: by default only
    generator files are set aside); ``acceptance_files`` (path -> size) are the job's
    acceptance tests, which set the assignment's scale."""
    s = Signals(
        empty=snapshot.empty,
        commit_count=snapshot.commit_count,
        commit_count_exact=snapshot.commit_count_exact,
        is_fork=snapshot.fork,
        ref=snapshot.ref,
        default_branch=snapshot.default_branch,
        branch_note=snapshot.branch_note,
        other_branches=list(snapshot.other_branches),
        tree_truncated=snapshot.tree_truncated,
        readme_path=snapshot.readme_path,
    )
    now = now or datetime.now(UTC)
    if snapshot.pushed_at:
        s.days_since_push = round((now - snapshot.pushed_at).total_seconds() / 86400, 1)
    own = own if own is not None else own_work(snapshot, None, None)
    _read_scale(s, scale_of(job_description, dict(acceptance_files or {})))
    history = _read_history(s, snapshot, own)
    own_blobs, tree_languages = _read_tree(s, snapshot, own)
    boilerplate_readme = _read_readme(s, snapshot)
    _read_stack(s, snapshot, own_blobs, tree_languages, job_description)
    has_code = s.code_file_count > 0
    s.single_dump_commit = has_code and history.single_dump(s.own_commit_count)
    s.scaffold_only = has_code and s.commit_count <= 2 and (history.generator or boilerplate_readme)
    s.template_only = _template_only(snapshot, s.commit_count) or (
        own.starter is not None and s.own_commit_count == 0
    )
    _read_code(s, snapshot.sample, set(own.given))
    if tests is not None:
        read_test_report(s, tests)
    s.near_empty_reason = _near_empty_reason(s)
    s.near_empty = s.near_empty_reason is not None
    return s


def _read_scale(s: Signals, scale: Scale) -> None:
    s.assignment_size, s.assignment_basis = scale.size, scale.basis
    s.floor_code_bytes, s.expected_code_bytes = scale.floor, scale.expected


def _read_history(s: Signals, snapshot: RepoSnapshot, own: OwnWork) -> HistoryFacts:
    """The candidate's own commits: the starter's are set aside when the history shows one."""
    if own.starter is not None:
        s.starter_source, s.starter_commits = own.starter.source, own.starter.commits
    s.own_commit_count = max(0, snapshot.commit_count - s.starter_commits)
    history = read_history(own.own_commits)
    s.commit_span_days = round(history.span_days, 2)
    s.active_days, s.substantive_commits = history.active_days, history.substantive
    s.vague_commit_messages = history.vague
    return history


def read_test_report(s: Signals, report: Mapping[str, Any]) -> None:
    """The facts of a test run, from its stored report: statuses, counts, failing tests."""
    own = report.get("tests") or {}
    acceptance = report.get("acceptance") or {}
    s.tests_status = own.get("status")
    s.tests_passed = int(own.get("passed", 0))
    s.tests_failed = int(own.get("failed", 0)) + int(own.get("errors", 0))
    s.tests_note = str(own.get("note", ""))[:300]
    if acceptance:
        s.acceptance_status = acceptance.get("status")
        s.acceptance_passed = int(acceptance.get("passed", 0))
        s.acceptance_failed = int(acceptance.get("failed", 0)) + int(acceptance.get("errors", 0))
        s.acceptance_note = str(acceptance.get("note", ""))[:300]
    s.failing_tests = [
        {
            "which": which,
            "name": str(test.get("name", ""))[:200],
            "place": test.get("place"),
            "message": str(test.get("message", ""))[:300],
        }
        for which, run in (("acceptance", acceptance), ("own", own))
        for test in (run.get("failing") or [])[:MAX_FAILING_TESTS]
    ]


def failing_tests_of(s: Signals, which: str, limit: int = 3) -> list[str]:
    """The failing tests of one run as a reviewer would cite them: ``name (path:line)``."""
    tests = [t for t in s.failing_tests if t["which"] == which]
    return [f"{t['name']} ({t['place']})" if t.get("place") else t["name"] for t in tests[:limit]]


def _read_tree(
    s: Signals, snapshot: RepoSnapshot, own: OwnWork
) -> tuple[list[tuple[str, int]], Counter[str]]:
    """File, code, test, CI and committed-dependency facts; returns the candidate's own blobs
    (path, size) and their bytes per language. Files the candidate was given (``own.given``)
    are counted apart."""
    blobs = [(e.path, e.size) for e in snapshot.tree if e.type == "blob"]
    s.file_count = len(blobs)
    areas, s.vendored_libraries, s.junk_paths, foreign = repo_files.foreign_areas(blobs)
    s.committed_dependencies = bool(areas)
    ranked = sorted(areas.items(), key=lambda item: -item[1])
    s.committed_paths = [area if n == 1 else f"{area} ({plural(n, 'file')})" for area, n in ranked]
    own_blobs = [(p, n) for p, n in blobs if p not in foreign]
    tree_languages: Counter[str] = Counter()
    tests: list[str] = []
    for path, size in own_blobs:
        language = repo_files.code_language(path)
        if language is None:
            continue
        if path in own.given:
            _count_given(s, path, size, own)
            continue
        s.code_file_count += 1
        s.code_bytes += own.added.get(path, repo_files.counted_bytes(path, size))
        tree_languages[language] += size
        if repo_files.is_test_file(path, size):
            tests.append(path)
    s.test_file_count, s.has_tests, s.test_paths = len(tests), bool(tests), tests[:3]
    theirs = [p for p, _ in own_blobs if p not in own.given]  # a starter's CI is not theirs
    s.ci_paths = [p for p in theirs if repo_files.is_ci_config(p)][:3]
    s.has_ci = bool(s.ci_paths)
    s.has_docker = any(re.search(r"(^|/)(Dockerfile|(docker-)?compose\.ya?ml)$", p) for p in theirs)
    s.readme_given = bool(s.readme_path and own.given.get(s.readme_path) == Given.STARTER)
    s.starter_tree_read, s.starter_code_bytes = own.starter_tree_read, own.starter_code_bytes
    s.modified_starter_files = own.modified[:MAX_EXAMPLES]
    s.modified_starter_count = len(own.modified)
    return own_blobs, tree_languages


def _count_given(s: Signals, path: str, size: int, own: OwnWork) -> None:
    why, counted = own.given[path], repo_files.counted_bytes(path, size)
    s.given_code_files += 1
    s.given_code_bytes += counted
    if why == Given.STARTER:
        s.starter_given_bytes += counted
    elif why == Given.JOB:
        s.job_common_files += 1
        s.job_given_bytes += counted
    if why != Given.GENERATOR and repo_files.is_test_file(path, size):
        s.given_test_files += 1
    if len(s.given_examples) < MAX_EXAMPLES:
        s.given_examples.append(f"{path} ({own.job_reasons.get(path) or why})")


def _read_readme(s: Signals, snapshot: RepoSnapshot) -> bool:
    """README facts; True when it is a project generator's default."""
    facts = analyse_readme(snapshot.readme)
    if facts.injection_phrases and snapshot.readme_path:
        s.injection_paths.append(injection_place(snapshot.readme_path, snapshot.readme or ""))
    s.has_readme = facts.chars > 0
    s.readme_chars, s.readme_has_setup = facts.chars, facts.has_setup
    s.readme_setup_evidence, s.readme_boilerplate = facts.setup_evidence, facts.boilerplate
    s.readme_is_brief, s.readme_hidden_text = facts.is_brief, facts.hidden_text
    s.injection_phrases = facts.injection_phrases
    return facts.boilerplate


def _read_stack(
    s: Signals,
    snapshot: RepoSnapshot,
    own: list[tuple[str, int]],
    tree_languages: Counter[str],
    job_description: str,
) -> None:
    """Languages and frameworks of the repository against those the job names."""
    # GitHub's language bytes cover the whole repository; a subdirectory speaks for itself.
    repo_wide = {} if snapshot.path else dict(snapshot.languages)
    s.languages = repo_wide or dict(tree_languages.most_common())
    s.primary_language = max(s.languages, key=lambda k: s.languages[k]) if s.languages else None
    seen_languages = [*s.languages, *tree_languages]
    s.job_languages = stack.job_languages(job_description)
    s.language_match = stack.language_match(s.job_languages, seen_languages)
    s.missing_job_languages = [
        lang for lang in s.job_languages if not stack.language_match([lang], seen_languages)
    ]
    s.frameworks = stack.repo_frameworks(snapshot.manifests, (p for p, _ in own))
    s.job_frameworks = stack.job_frameworks(job_description)
    s.missing_job_frameworks = [f for f in s.job_frameworks if f not in s.frameworks]


def _template_only(snapshot: RepoSnapshot, commit_count: int) -> bool:
    """A fork with no commits after its creation, or a template copy with only the first."""
    own_after_creation = [
        c
        for c in snapshot.commits
        if c.authored_at and snapshot.created_at and c.authored_at > snapshot.created_at
    ]
    return (snapshot.fork and not own_after_creation) or (
        snapshot.template is not None and commit_count <= 1
    )


def _read_code(s: Signals, sample: CodeSample, given: set[str]) -> None:
    """What the code read shows, the candidate's own files only."""
    files = [f for f in sample.files if f.path not in given]
    if not files:
        s.sample_summary = sample.summary() if sample.total_files else ""
        return
    code = analyse_code([SourceFile(f.path, f.text, f.is_test) for f in files])
    s.code_read = True
    s.sample_summary = sample.summary()
    s.sample_files = {f.path: f.sha for f in files}
    s.functions, s.code_lines = code.functions, code.code_lines
    s.stub_functions = code.stub_functions
    s.test_cases, s.real_test_cases = code.test_cases, code.real_test_cases
    s.stubbed_code = (
        code.stub_functions >= STUB_MIN and code.stub_functions >= STUB_SHARE * code.functions
    )
    s.hollow_tests = (
        code.test_cases > 0 and code.real_test_cases <= REAL_TEST_SHARE * code.test_cases
    )
    # Evidence first where it decides: stubs when the code is stubbed, hollow tests likewise.
    kinds = [k for k, on in (("stub", s.stubbed_code), ("hollow_test", s.hollow_tests)) if on]
    ranked = sorted(code.findings, key=lambda f: (f.kind not in kinds, f.path, f.line))
    s.code_findings = [asdict(f) for f in ranked[:MAX_FINDINGS]]
    s.secrets = [asdict(f) for f in code.secrets[:MAX_FINDINGS]]
    s.code_treatment = dict(code.treatment)
    # Text aimed at an AI judge hides in code comments as well as in READMEs.
    for file in sample.files:  # given files too: text aimed at the judge is anyone's
        found = find_injection_phrases(file.text)
        if found:
            s.injection_paths.append(injection_place(file.path, file.text))
            s.injection_phrases += [p for p in found if p not in s.injection_phrases]


def injection_place(path: str, text: str) -> str:
    """``path:line`` of the first line holding text aimed at the judge; the path alone when the
    phrase spans lines (or hides in what a line-by-line reading does not see)."""
    for number, line in enumerate(text.splitlines()[:MAX_SCANNED_LINES], start=1):
        if find_injection_phrases(line, limit=1):
            return f"{path}:{number}"
    return path


def findings_of(s: Signals, kind: str, limit: int = 3) -> list[str]:
    """``path:line`` of the stored findings of one kind (``stub``, ``hollow_test``, ``secret``)."""
    pool = s.secrets if kind == "secret" else s.code_findings
    return [f"{f['path']}:{f['line']}" for f in pool if f["kind"] == kind][:limit]


def stub_phrase(s: Signals) -> str:
    """The stubbed-code finding as a reviewer writes it, with its places."""
    return concerns.STUBS.render(
        stubs=f"{s.stub_functions:,}",
        functions=f"{s.functions:,}",
        places=places(findings_of(s, "stub"), s.stub_functions),
    )


def hollow_phrase(s: Signals) -> str:
    """The hollow-tests finding as a reviewer writes it, with its places."""
    hollow = s.test_cases - s.real_test_cases
    return concerns.HOLLOW_TESTS.render(
        hollow=f"{hollow:,}",
        cases=f"{s.test_cases:,}",
        places=places(findings_of(s, "hollow_test"), hollow),
    )


def secret_phrase(s: Signals) -> str:
    return concerns.SECRET.render(places=places(findings_of(s, "secret"), len(s.secrets)))


def own_work_phrase(s: Signals) -> str:
    """What the candidate added to what they were given: ``adds 1.2 KB of code to a starter of
    40 KB (a fork of acme/starter), changing 2 of its files (app.js, db.js)``; "" when nothing
    was given."""
    parts = []
    if s.starter_tree_read:
        text = f"adds {kilobytes(s.code_bytes)} of code to a starter of "
        text += kilobytes(s.starter_code_bytes)
        text += f" ({s.starter_source})" if s.starter_source else ""
        if s.modified_starter_count:
            changed = places(s.modified_starter_files, s.modified_starter_count)
            text += f", changing {plural(s.modified_starter_count, 'of its files', 'of its files')}"
            text += f" ({changed})"
        parts.append(text)
    elif s.starter_source:
        parts.append(f"builds on a starter ({s.starter_source}) whose files could not be read")
    generated = s.given_code_bytes - s.starter_given_bytes - s.job_given_bytes
    if generated > 0:
        parts.append(f"{kilobytes(generated)} of a project generator's files set aside")
    if s.job_common_files:
        parts.append(
            f"{plural(s.job_common_files, 'file')} common to the job set aside "
            f"({kilobytes(s.job_given_bytes)})"
        )
    return "; ".join(parts)


def _near_empty_reason(s: Signals) -> str | None:
    if s.empty:
        return "the repository has no commits"
    if s.template_only:
        return "a fork or template copy with no commits of its own"
    if s.code_file_count == 0:
        return "no source code, only documentation, data or configuration"
    if s.scaffold_only:
        return "an untouched project scaffold (generator commit or default README)"
    if s.code_bytes < s.floor_code_bytes and not s.acceptance_passed_all:
        # Size is a proxy for substance only where nothing better says the work is complete:
        # the job's own acceptance tests passing are its definition of done.
        return (
            f"only {kilobytes(s.code_bytes)} of code of the candidate's own, where "
            f"{assignment_phrase(s)} takes at least {kilobytes(s.floor_code_bytes)}"
        )
    return None


def assignment_phrase(s: Signals) -> str:
    """``a medium assignment (an API or service and a database)``."""
    return f"a {s.assignment_size} assignment ({s.assignment_basis})"


def describe(s: Signals, *, absent: frozenset[str] = frozenset()) -> list[str]:
    """Fact lines for the recruiter, in the order they read a repository. Facts named in
    ``absent`` were not computed (an older evaluation) and are not shown."""
    if s.empty:
        return ["Empty repository: GitHub reports no commits."]
    lines = [s.branch_note] if s.branch_note else []
    lines += _describe_history(s)
    lines += _describe_files(s)
    if "code_read" not in absent:
        lines += _describe_code(s)
    if "tests_status" not in absent:
        lines += _describe_test_runs(s)
    lines += _describe_readme(s)
    lines += _describe_job_fit(s)
    lines += _describe_hygiene(s)
    return lines


def _describe_history(s: Signals) -> list[str]:
    count = f"{s.commit_count:,}" + ("" if s.commit_count_exact else "+")
    noun = "commit" if s.commit_count == 1 and s.commit_count_exact else "commits"
    history = f"{count} {noun} on '{s.ref}'"
    if s.starter_commits:
        history += (
            f" ({s.own_commit_count:,} of them the candidate's, after "
            f"{plural(s.starter_commits, 'commit')} that brought the starter)"
        )
    if s.own_commit_count > 1:
        history += f", the candidate's over {span_phrase(s)}, on {plural(s.active_days, 'day')}"
    if s.days_since_push is not None:
        history += f"; last push {plural(round(s.days_since_push), 'day')} ago"
    lines = [history + "."]
    if s.single_dump_commit:
        lines.append(dump_phrase(s))
    if s.vague_commit_messages:
        verb = "says" if s.vague_commit_messages == 1 else "say"
        lines.append(f"{plural(s.vague_commit_messages, 'commit message')} {verb} almost nothing.")
    return lines


def span_phrase(s: Signals) -> str:
    """How long the candidate's commits span: minutes, hours, or days."""
    hours = s.commit_span_days * 24
    if hours >= 48:
        return f"{s.commit_span_days:.1f} days"
    return f"{hours:.1f} hours" if hours >= 1 else plural(round(hours * 60), "minute")


def dump_phrase(s: Signals, starter: str = "") -> str:
    """A single-dump history said as it is: one commit, a few within the hour, or one among
    housekeeping commits (``starter``: a note on the commits that brought the starter)."""
    if s.own_commit_count <= 1:
        return concerns.ONE_COMMIT.render(starter=starter)
    commits = plural(s.own_commit_count, "commit")
    if s.substantive_commits <= 1:
        return concerns.ONE_WORKING_COMMIT.render(commits=commits, starter=starter)
    return concerns.QUICK_COMMITS.render(commits=commits, starter=starter)


def _describe_files(s: Signals) -> list[str]:
    languages = ", ".join(list(s.languages)[:4]) or "no recognised language"
    lines = [
        f"{plural(s.file_count, 'file')}, {plural(s.code_file_count, 'source file')} of the "
        f"candidate's own ({kilobytes(s.code_bytes)} of code) in {languages}."
    ]
    if given := own_work_phrase(s):
        lines.append(f"The candidate's own part: {given}.")
    lines.append(
        f"Assignment scale: {s.assignment_size} ({s.assignment_basis}); a complete solution "
        f"usually takes {kilobytes(s.expected_code_bytes)} of code, and under "
        f"{kilobytes(s.floor_code_bytes)} is near-empty."
    )
    if s.tree_truncated:
        lines.append("GitHub truncated the file list: counts are lower bounds.")
    if s.near_empty_reason:
        lines.append(f"Near-empty: {s.near_empty_reason}.")
    if s.has_tests:
        lines.append(f"Tests: {plural(s.test_file_count, 'test file')}, e.g. {s.test_paths[0]}.")
    else:
        lines.append("No test files found (generated placeholder tests are not counted).")
    return lines


def _describe_readme(s: Signals) -> list[str]:
    if not s.has_readme:
        return ["No README."]
    kind = (
        "the project generator's default"
        if s.readme_boilerplate
        else "mostly the assignment brief, addressed to the candidate"
        if s.readme_is_brief
        else "written for the project"
    )
    setup = "with setup/run steps" if s.readme_has_setup else "without setup or run steps"
    return [f"README ({s.readme_chars:,} characters), {kind}, {setup}."]


def _describe_job_fit(s: Signals) -> list[str]:
    lines = ["CI configuration: " + ", ".join(s.ci_paths) + "."] if s.has_ci else []
    if s.job_languages:
        verdict = "matches" if s.language_match else "does not match"
        lines.append(
            f"Job names {', '.join(s.job_languages)}; the repository ({s.primary_language}) "
            f"{verdict}."
        )
    if s.job_frameworks:
        seen = [f for f in s.job_frameworks if f in s.frameworks]
        line = "Job mentions " + ", ".join(s.job_frameworks)
        line += f"; seen: {', '.join(seen) or 'none'}"
        if s.missing_job_frameworks:
            line += f"; not seen in manifests or file names: {', '.join(s.missing_job_frameworks)}"
        lines.append(line + ".")
    return lines


def _describe_hygiene(s: Signals) -> list[str]:
    """What was committed that should not be, forks, other branches, text aimed at the judge."""
    lines = []
    if s.committed_paths:
        lines.append(
            "Committed dependencies or build output: " + ", ".join(s.committed_paths[:4]) + "."
        )
    if s.vendored_libraries:
        lines.append("Third-party code copied in: " + ", ".join(s.vendored_libraries[:3]) + ".")
    if s.junk_paths:
        lines.append("Editor or local files committed: " + ", ".join(s.junk_paths[:4]) + ".")
    if s.is_fork:
        own = " with no commits of its own." if s.template_only else "."
        lines.append("The repository is a fork" + own)
    if s.other_branches:
        lines.append("Other branches not analysed: " + ", ".join(s.other_branches[:5]) + ".")
    if s.injection_phrases:
        where = ", ".join(s.injection_paths[:3]) or "the README"
        lines.append(
            f"Text aimed at an AI judge ({where}): " + "; ".join(s.injection_phrases[:3]) + "."
        )
    elif s.readme_hidden_text:
        lines.append("The README contains hidden text (HTML comments or invisible characters).")
    return lines


def _describe_code(s: Signals) -> list[str]:
    if not s.code_read:
        return [f"Code not read ({s.sample_summary})." if s.sample_summary else "Code not read."]
    lines = [
        f"Code read: {s.sample_summary}. {plural(s.functions, 'function')} "
        f"({plural(s.stub_functions, 'stub')}), {plural(s.test_cases, 'test case')} "
        f"({s.real_test_cases:,} asserting something real)."
    ]
    if s.stubbed_code:
        lines.append(
            f"Stubbed code: {s.stub_functions:,} of {s.functions:,} functions are placeholders "
            f"(TODO, pass, not implemented), e.g. {', '.join(findings_of(s, 'stub'))}."
        )
    if s.hollow_tests:
        lines.append(
            f"Tests that prove nothing: {s.real_test_cases:,} of {s.test_cases:,} test cases "
            f"assert something real, e.g. {', '.join(findings_of(s, 'hollow_test'))}."
        )
    if s.secrets:
        lines.append("Hard-coded secret: " + ", ".join(findings_of(s, "secret")) + ".")
    return lines


def _describe_test_runs(s: Signals) -> list[str]:
    """What running the tests showed: the candidate's own, then the job's acceptance tests."""
    lines = []
    for label, which, status, passed, failed, note in (
        ("Tests run", "own", s.tests_status, s.tests_passed, s.tests_failed, s.tests_note),
        (
            "The job's acceptance tests",
            "acceptance",
            s.acceptance_status,
            s.acceptance_passed,
            s.acceptance_failed,
            s.acceptance_note,
        ),
    ):
        if status is None:
            continue
        lines.append(f"{label}: {_test_outcome(status, passed, failed, note)}")
        if status == TestStatus.FAILED and (cited := failing_tests_of(s, which)):
            lines[-1] = lines[-1].rstrip(".") + f"; failing: {', '.join(cited)}."
    return lines


def _test_outcome(status: str, passed: int, failed: int, note: str) -> str:
    ran = passed + failed
    if status == TestStatus.PASSED:
        return f"all {plural(ran, 'test')} pass."
    if status == TestStatus.FAILED:
        return f"{failed:,} of {plural(ran, 'test')} fail" + (f" ({note})." if not ran else ".")
    if status == TestStatus.TIMED_OUT:
        return f"timed out ({note})." if note else "timed out."
    if status == TestStatus.NO_TESTS:
        return "the test runner found no tests."
    return f"not run ({note})." if note else "not run."


def describe_stored(stored: dict[str, Any]) -> list[str]:
    """Fact lines for an evaluation's stored signals; an older version says so first."""
    if not stored:
        return []
    read = read_stored(stored)
    lines = describe(read.signals, absent=read.absent)
    if read.outdated:
        lines.insert(
            0,
            f"Judged with an earlier version of TATS's checks (v{read.version}, now "
            f"v{SIGNALS_VERSION}); facts added since were not computed for it. Re-run the "
            "candidate to apply today's checks.",
        )
    return lines
