"""Substance against the assignment (#19, item 3): the job's description, or its acceptance
tests, set the scale; a small complete tested solution to a small assignment is not
``low_effort``, and the same bytes for a full-stack assignment are near-empty."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tats_core.judging.analysis import JobBrief
from tats_core.judging.assignment import from_acceptance, scale_of
from tats_core.judging.heuristic import HeuristicAnalyzer
from tats_core.judging.signals import compute_signals
from tats_core.repo.sample import CodeSample, SampleFile, Why
from tats_core.repo.snapshot import RepoSnapshot
from tests.test_heuristic import GOOD_README
from tests.test_signals import commits, snapshot

SMALL = "Coding exercise: write a function that converts integers to Roman numerals and back."
MEDIUM = "Backend take-home: build a REST API for a todo list backed by a database."
LARGE = (
    "Full-stack take-home: a web app where users log in, with a React frontend, an API and a "
    "PostgreSQL database."
)


@pytest.mark.parametrize(
    ("description", "size", "floor", "expected"),
    [
        (SMALL, "small", 600, 2_500),
        (MEDIUM, "medium", 3_750, 10_000),
        ("Python exercise: call a tax-rate API and print the result.", "medium", 2_500, 10_000),
        (LARGE, "large", 5_000, 20_000),
        ("", "medium", 2_500, 10_000),  # nothing said: as TATS always judged
    ],
    ids=["small", "medium", "one-part", "large", "no-description"],
)
def test_the_description_sets_the_scale(description, size, floor, expected):
    scale = scale_of(description)
    assert (scale.size, scale.floor, scale.expected) == (size, floor, expected)


def test_the_parts_a_description_asks_for_are_named():
    scale = scale_of(LARGE)
    assert scale.parts == ["a user interface", "an API or service", "a database", "authentication"]
    assert scale.describe().startswith("a large assignment (a user interface, an API")


def test_acceptance_tests_set_the_scale_when_the_job_has_some():
    scale = scale_of(LARGE, {"tests/test_roman.py": 1_800, "fixtures/cases.json": 9_000})
    assert (scale.size, scale.expected, scale.floor) == ("small", 1_800, 450)
    assert scale.basis == "by its acceptance tests: 1.8 KB of code"
    assert from_acceptance({"data.csv": 5_000}) is None  # no code in them: the description's


ROMAN = """\
NUMERALS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def to_roman(value):
    if not isinstance(value, int) or not 0 < value < 4000:
        raise ValueError(f"out of range: {value}")
    text = ""
    for amount, symbol in NUMERALS:
        while value >= amount:
            text += symbol
            value -= amount
    return text


def from_roman(text):
    if not text or to_roman(_value(text)) != text:
        raise ValueError(f"not a canonical numeral: {text!r}")
    return _value(text)


def _value(text):
    total, at = 0, 0
    for amount, symbol in NUMERALS:
        while text.startswith(symbol, at):
            total += amount
            at += len(symbol)
    return total if at == len(text) else 0
"""
ROMAN_TESTS = """\
import pytest
from roman import to_roman


def test_writes_numerals():
    assert to_roman(1994) == "MCMXCIV"
    assert to_roman(4) == "IV"


def test_refuses_zero():
    with pytest.raises(ValueError):
        to_roman(0)


def test_round_trip():
    for value in range(1, 4000):
        assert from_roman(to_roman(value)) == value


def test_refuses_numerals_written_badly():
    for text in ("IIII", "VX", "", "hello"):
        with pytest.raises(ValueError):
            from_roman(text)
"""


def small_solution() -> RepoSnapshot:
    """1.3 KB of code and its tests, a README with run steps, work over two days."""
    files = [("roman.py", len(ROMAN)), ("test_roman.py", len(ROMAN_TESTS)), ("README.md", 400)]
    history = commits(*(f"Roman numerals, step {i}" for i in range(9)), step=timedelta(hours=6))
    snap = snapshot(files=files, history=history, readme=GOOD_README)
    snap.sample = CodeSample(
        files=[
            SampleFile("roman.py", "1" * 40, len(ROMAN), Why.SOURCE, ROMAN),
            SampleFile("test_roman.py", "2" * 40, len(ROMAN_TESTS), Why.TEST, ROMAN_TESTS),
        ],
        total_files=3,
    )
    return snap


def judge(snap: RepoSnapshot, description: str, tests: dict | None = None):
    signals = compute_signals(snap, description, tests=tests)
    job = JobBrief("Engineer", description)
    return signals, asyncio.run(HeuristicAnalyzer().analyze(snap, signals, job)).analysis


def test_a_small_complete_tested_solution_to_a_small_assignment_is_not_low_effort():
    signals, analysis = judge(small_solution(), SMALL)
    assert signals.code_bytes < 2_500 and not signals.near_empty
    assert analysis.decision == "looks_fine"
    substance = analysis.criteria[0]
    assert substance.verdict == "met"
    assert substance.evidence[0].startswith("a complete, tested solution: 1.")


def test_the_same_code_for_a_large_assignment_is_near_empty_and_says_why():
    signals, analysis = judge(small_solution(), LARGE)
    assert signals.near_empty and analysis.decision == "low_effort"
    assert analysis.concerns[0].startswith(
        "Near-empty: only 1.3 KB of code of the candidate's own, where a large assignment "
        "(a user interface, an API or service, a database and authentication) takes at least "
        "5 KB."
    )


def test_failing_tests_are_not_evidence_that_a_small_solution_is_complete():
    report = {
        "tests": {"status": "failed", "passed": 1, "failed": 1, "failing": []},
        "acceptance": None,
    }
    _, analysis = judge(small_solution(), SMALL, tests=report)
    assert analysis.criteria[0].verdict == "partial" and analysis.decision != "looks_fine"
