"""Real submissions through ``run_submission``: Python with a PyPI dependency, Node.js with an npm
one, and Go (standard library only, Debian's toolchain), each passing, failing, timing out,
without tests and failing to install; with the job's acceptance tests beside their own.

The submissions live in ``tests/submissions/``; the failing variants change one file.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace

import pytest

from tats_core.testrun import RunConfig, SubmissionTestReport, TestStatus, run_submission
from tests import testrun_fixtures
from tests.testrun_fixtures import SUBMISSIONS, require_tool, submission, tarball

# pytest fixtures, by the names tests ask for
sandbox_base = testrun_fixtures.sandbox_base
sandbox_config = testrun_fixtures.sandbox_config
sandbox_folder = testrun_fixtures.sandbox_folder

PASSED, FAILED, TIMED_OUT = TestStatus.PASSED, TestStatus.FAILED, TestStatus.TIMED_OUT
NO_TESTS, NOT_RUN = TestStatus.NO_TESTS, TestStatus.NOT_RUN

BUGGY_WORDS = '''"""A skimming reader would not see it: title() breaks apostrophes, lower() is not casefold()."""
from collections import Counter

from more_itertools import pairwise


def title_case(text):
    return text.title()


def word_counts(text):
    words = [w.strip(".,!?;:").lower() for w in text.split()]
    return dict(Counter(w for w in words if w))


def top_words(text, n):
    counts = word_counts(text)
    return sorted(counts, key=lambda w: -counts[w])[:n]


def bigrams(text):
    return list(pairwise(text.split()))
'''

WORDS_ACCEPTANCE = {
    # the employer's version of a file the candidate also has: theirs replaces the candidate's
    "tests/test_words.py": b"from words import title_case\n\n"
    b"def test_employer_title():\n    assert title_case('o\\'neil') == \"O'neil\"\n",
    "acceptance/test_counts.py": b"from words import top_words, word_counts\n\n"
    b"def test_counts():\n    assert word_counts('A a') == {'a': 2}\n\n"
    b"def test_ties():\n    assert top_words('b a', 2) == ['a', 'b']\n",
}

# A candidate's pytest hooks aimed at the employer's tests: never loaded in the acceptance run.
SABOTAGE_CONFTEST = """def pytest_collection_modifyitems(config, items):
    items[:] = [item for item in items if "employer" not in item.name and "acceptance" not in str(item.path)]
"""


def _run(config: RunConfig, archive: bytes, acceptance=None) -> SubmissionTestReport:
    report = run_submission(archive, acceptance=acceptance, config=config)
    assert SubmissionTestReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    assert list(config.runs_dir.iterdir()) == []  # the run's folder is gone
    return report


def test_python_passing_with_acceptance_tests_run_apart(sandbox_config: RunConfig):
    report = _run(sandbox_config, submission("python_words"), WORDS_ACCEPTANCE)
    assert report.project == "python (pytest)"
    assert (report.tests.status, report.tests.passed, report.tests.failed) == (PASSED, 4, 0)
    assert report.acceptance is not None
    assert (report.acceptance.status, report.acceptance.passed) == (PASSED, 3)
    assert set(report.tests.durations) == {"extract", "install", "test"}
    assert "more-itertools" in report.tests.output  # the install's output is kept too


def test_python_failing_names_each_failure_and_its_place(sandbox_config: RunConfig):
    changes = {"words/__init__.py": BUGGY_WORDS, "conftest.py": SABOTAGE_CONFTEST}
    report = _run(sandbox_config, submission("python_words", changes), WORDS_ACCEPTANCE)
    assert (report.tests.status, report.tests.passed, report.tests.failed) == (FAILED, 1, 3)
    places = {test.name: test.place for test in report.tests.failing}
    assert (
        places["tests/test_words.py::test_title_case_keeps_apostrophes"] == "tests/test_words.py:5"
    )
    assert "Don'T Stop" in report.tests.failing[0].message
    assert report.tests.note.startswith("3 of 4 tests failed: tests/test_words.py::test_title_case")
    assert report.acceptance is not None  # all three ran, the candidate's conftest unloaded
    assert (report.acceptance.status, report.acceptance.passed, report.acceptance.failed) == (
        FAILED,
        1,
        2,
    )


def test_python_timing_out_install_failing_and_without_tests(sandbox_config: RunConfig):
    quick = replace(sandbox_config, test_timeout=2)
    loop = {"tests/test_slow.py": "def test_forever():\n    while True:\n        pass\n"}
    report = _run(quick, submission("python_words", loop))
    assert report.tests.status == TIMED_OUT
    assert report.tests.note == "tests still running after 2 s: stopped"

    report = _run(
        sandbox_config,
        submission("python_words", {"requirements.txt": "more-itertools==0.0.0.dev999\n"}),
    )
    assert report.tests.status == NOT_RUN
    assert report.tests.note.startswith("install failed:")
    assert "more-itertools" in report.tests.note

    report = _run(sandbox_config, submission("python_words", {"tests": None}))
    assert (report.tests.status, report.tests.note) == (
        NO_TESTS,
        "no Python test files (test_*.py or *_test.py)",
    )
    assert "install" not in report.tests.durations  # nothing to run: nothing installed


BUGGY_LEDGER = """const Big = require("big.js");
// debits are added like credits
function balances(entries) {
  const totals = new Map();
  for (const { account, amount } of entries) totals.set(account, (totals.get(account) || new Big(0)).plus(amount));
  return Object.fromEntries([...totals].map(([a, v]) => [a, v.toFixed(2)]));
}
module.exports = { balances };
"""

LEDGER_ACCEPTANCE = {
    "test/acceptance.test.js": b"""const assert = require("node:assert");
const { balances } = require("../src/ledger");
describe("acceptance", () => {
  it("nets a debit against a credit", () => {
    assert.deepStrictEqual(balances([{ account: "x", type: "credit", amount: "10" }, { account: "x", type: "debit", amount: "4" }]), { x: "6.00" });
  });
});
""",
}


@pytest.mark.parametrize("buggy", [False, True], ids=["passing", "failing"])
def test_node_with_npm_dependency_and_acceptance_tests(sandbox_config: RunConfig, buggy: bool):
    changes = {"src/ledger.js": BUGGY_LEDGER} if buggy else {}
    report = _run(sandbox_config, submission("node_ledger", changes), LEDGER_ACCEPTANCE)
    assert report.project == "node (mocha)"
    assert report.acceptance is not None
    if not buggy:
        assert (report.tests.status, report.tests.passed) == (PASSED, 3)
        assert (report.acceptance.status, report.acceptance.passed) == (PASSED, 1)
        return
    assert (report.tests.status, report.tests.passed, report.tests.failed) == (FAILED, 1, 2)
    assert {t.place for t in report.tests.failing} == {
        "test/ledger.test.js:10",
        "test/ledger.test.js:14",
    }
    assert "'-2.50'" in report.tests.failing[0].message
    assert (report.acceptance.status, report.acceptance.failed) == (FAILED, 1)
    assert report.acceptance.failing[0].place == "test/acceptance.test.js:5"


def test_node_timing_out_install_failing_and_without_tests(sandbox_config: RunConfig):
    quick = replace(sandbox_config, test_timeout=2)
    loop = {"test/slow.test.js": 'it("never ends", () => { for (;;) {} });\n'}
    report = _run(quick, submission("node_ledger", loop))
    assert report.tests.status == TIMED_OUT

    manifest = json.loads(submission_manifest())
    manifest["dependencies"]["big.js"] = "99.99.99"
    changes = {"package.json": json.dumps(manifest), "package-lock.json": None}
    report = _run(sandbox_config, submission("node_ledger", changes))
    assert report.tests.status == NOT_RUN
    assert report.tests.note.startswith("install failed:")
    assert "big.js" in report.tests.note

    manifest = json.loads(submission_manifest())
    del manifest["scripts"], manifest["devDependencies"]
    changes = {"package.json": json.dumps(manifest), "package-lock.json": None, "test": None}
    report = _run(sandbox_config, submission("node_ledger", changes))
    assert (report.tests.status, report.tests.note) == (
        NO_TESTS,
        "no test script and no test files",
    )


def test_node_script_without_a_known_runner_is_judged_by_its_exit_code(sandbox_config: RunConfig):
    # (exit code 0 -> passed: the output flood in test_testrun_hostile)
    manifest = {"name": "x", "version": "1.0.0", "scripts": {"test": "node check.js"}}
    files = {"package.json": json.dumps(manifest), "check.js": "process.exit(3);\n"}
    report = _run(sandbox_config, tarball_of(files))
    assert report.project == "node (npm test)"
    assert report.tests.status == FAILED
    assert (
        report.tests.note == "the test command exited 3; its runner gives TATS no per-test report"
    )


def submission_manifest() -> str:
    return (SUBMISSIONS / "node_ledger" / "package.json").read_text()


def tarball_of(files: dict[str, str]) -> bytes:
    return tarball({path: text.encode() for path, text in files.items()})


BUGGY_STOCK = """package stock

import "errors"

var ErrInsufficient = errors.New("insufficient stock")

type Stock struct{ counts map[string]int }

func New() *Stock                          { return &Stock{counts: map[string]int{}} }
func (s *Stock) Add(item string, n int)    { s.counts[item] += n }
func (s *Stock) Count(item string) int     { return s.counts[item] }
func (s *Stock) Low(threshold int) []string { return nil }

// Remove forgets to check the count.
func (s *Stock) Remove(item string, n int) error {
	s.counts[item] -= n
	return nil
}
"""

STOCK_ACCEPTANCE = {
    "stock/acceptance_test.go": b"""package stock

import "testing"

func TestAcceptanceNeverNegative(t *testing.T) {
	s := New()
	if s.Remove("x", 1) == nil {
		t.Errorf("removing from an empty stock succeeded")
	}
}
""",
}


@pytest.mark.parametrize("buggy", [False, True], ids=["passing", "failing"])
def test_go_standard_library_module_with_acceptance_tests(sandbox_config: RunConfig, buggy: bool):
    require_tool("go", "golang-go")
    changes = {"stock/stock.go": BUGGY_STOCK} if buggy else {}
    report = _run(sandbox_config, submission("go_inventory", changes), STOCK_ACCEPTANCE)
    assert report.project == "go (go test)"
    assert report.acceptance is not None
    if not buggy:
        assert (report.tests.status, report.tests.passed) == (PASSED, 3)  # not the acceptance one
        assert (report.acceptance.status, report.acceptance.passed) == (PASSED, 1)
        return
    assert (report.tests.status, report.tests.passed, report.tests.failed) == (FAILED, 1, 2)
    failing = {t.name: t for t in report.tests.failing}
    low = failing["example.com/inventory/stock.TestLowIsSorted"]
    assert low.place == "stock/stock_test.go:38"
    assert "Low(5) = [], want [date fig kiwi]" in low.message
    assert (report.acceptance.status, report.acceptance.failed) == (FAILED, 1)
    assert report.acceptance.failing[0].place == "stock/acceptance_test.go:8"


def test_go_timing_out_not_compiling_needing_modules_and_without_tests(sandbox_config: RunConfig):
    require_tool("go", "golang-go")
    quick = replace(sandbox_config, test_timeout=2)
    loop = {
        "stock/loop_test.go": 'package stock\n\nimport "testing"\n\nfunc TestLoop(t *testing.T) {\n\tfor {\n\t}\n}\n'
    }
    assert _run(quick, submission("go_inventory", loop)).tests.status == TIMED_OUT

    broken = {"stock/stock.go": 'package stock\n\nfunc New() int { return "not an int" }\n'}
    report = _run(sandbox_config, submission("go_inventory", broken))
    assert (report.tests.status, report.tests.errors) == (FAILED, 1)

    go_mod = "module example.com/inventory\n\ngo 1.19\n\nrequire github.com/google/uuid v1.6.0\n"
    report = _run(sandbox_config, submission("go_inventory", {"go.mod": go_mod}))
    assert report.tests.status == NOT_RUN
    assert report.tests.note == (
        "not installed: needs 1 module(s) from the Go module proxy, which this host cannot "
        "reach: github.com/google/uuid"
    )

    report = _run(sandbox_config, submission("go_inventory", {"stock/stock_test.go": None}))
    assert (report.tests.status, report.tests.note) == (NO_TESTS, "no Go test files (*_test.go)")


def test_acceptance_files_of_another_language_are_not_run(sandbox_config: RunConfig):
    require_tool("go", "golang-go")
    report = _run(
        sandbox_config, submission("go_inventory", {"stock/stock_test.go": None}), WORDS_ACCEPTANCE
    )
    assert report.tests.status == NO_TESTS
    assert report.acceptance is not None
    assert report.acceptance.status == NOT_RUN
    assert (
        report.acceptance.note
        == "no Go test function (func TestX(t *testing.T)) among the acceptance files"
    )


JEST_MANIFEST = {
    "name": "ledger",
    "version": "1.0.0",
    "scripts": {"test": "jest"},
    "dependencies": {"big.js": "^6.2.1"},
    "devDependencies": {"jest": "^29.7.0"},
}


@pytest.mark.slow  # jest is ~270 packages: about 10 s to install from a warm cache, 30 s cold
def test_node_with_jest_reports_through_its_json(sandbox_config: RunConfig):
    changes = {
        "package.json": json.dumps(JEST_MANIFEST),
        "package-lock.json": None,
        ".mocharc.json": None,
        "src/ledger.js": BUGGY_LEDGER,
    }
    report = _run(sandbox_config, submission("node_ledger", changes), LEDGER_ACCEPTANCE)
    assert report.project == "node (jest)"
    assert (report.tests.status, report.tests.passed, report.tests.failed) == (FAILED, 1, 2)
    assert {t.name for t in report.tests.failing} == {
        "balances subtracts debits",
        "balances keeps accounts apart",
    }
    assert {t.place for t in report.tests.failing} == {
        "test/ledger.test.js:10",
        "test/ledger.test.js:14",
    }
    assert report.acceptance is not None  # jest --runTestsByPath: the acceptance file alone
    assert (report.acceptance.status, report.acceptance.failed, report.acceptance.passed) == (
        FAILED,
        1,
        0,
    )


def test_run_folders_a_dead_worker_left_are_swept_and_young_ones_kept(sandbox_config: RunConfig):
    stale, young = sandbox_config.runs_dir / "stale", sandbox_config.runs_dir / "young"
    for folder in (stale, young):
        (folder / "src").mkdir(parents=True)
    os.utime(stale, (time.time() - 7 * 3600, time.time() - 7 * 3600))
    report = run_submission(submission("python_words", {"tests": None}), config=sandbox_config)
    assert report.tests.status == NO_TESTS
    assert sorted(p.name for p in sandbox_config.runs_dir.iterdir()) == ["young"]


def test_acceptance_files_reaching_out_of_the_tree_are_refused_and_said(sandbox_config: RunConfig):
    acceptance = {"tests/test_ok.py": b"def test_ok(): pass\n", "../outside.py": b"x = 1\n"}
    report = _run(sandbox_config, submission("python_words", {"tests": None}), acceptance)
    assert report.tests.status == NO_TESTS
    assert report.acceptance is not None
    assert (report.acceptance.status, report.acceptance.note) == (
        NOT_RUN,
        "acceptance files refused: ../outside.py: '..' leads out of the tree",
    )
    assert not (sandbox_config.runs_dir.parent / "outside.py").exists()
