"""Judging reads the code: a strong envelope with stubbed bodies or hollow tests is never
``looks_fine``, for the heuristic and for any model answer, and the concerns cite ``path:line``."""

from __future__ import annotations

from tats_core.judging.analysis import Analysis, bound_by_signals
from tats_core.judging.signals import compute_signals, describe_stored
from tats_core.repo.sample import CodeSample, SampleFile, Why
from tats_core.repo.snapshot import RepoSnapshot
from tests.test_heuristic import GOOD_FILES, GOOD_HISTORY, GOOD_README, JOB, judge
from tests.test_signals import snapshot

SERVICE = """\
from dataclasses import dataclass


@dataclass
class Order:
    sku: str
    quantity: int


class OrderStore:
    def __init__(self):
        self._orders = {}

    def add(self, order_id, order):
        if order.quantity <= 0:
            raise ValueError("quantity must be positive")
        self._orders[order_id] = order
        return order

    def total(self):
        return sum(o.quantity for o in self._orders.values())

    def get(self, order_id):
        return self._orders[order_id]
"""
STUBBED = """\
class OrderStore:
    def __init__(self):
        pass

    def add(self, order_id, order):
        # TODO: implement
        pass

    def total(self):
        raise NotImplementedError

    def get(self, order_id):
        pass

    def remove(self, order_id):
        ...
"""
REAL_TESTS = """\
from src.store import Order, OrderStore


def test_add_and_total():
    store = OrderStore()
    store.add(1, Order("a", 2))
    store.add(2, Order("b", 3))
    assert store.total() == 5


def test_rejects_a_zero_quantity():
    store = OrderStore()
    try:
        store.add(1, Order("a", 0))
    except ValueError as exc:
        assert "positive" in str(exc)
"""
HOLLOW_TESTS = """\
def test_add_and_total():
    assert True


def test_rejects_a_zero_quantity():
    pass


def test_get():
    assert 1 == 1
"""


def with_code(source: str, tests: str) -> RepoSnapshot:
    snap = snapshot(files=GOOD_FILES, history=GOOD_HISTORY, readme=GOOD_README)
    snap.sample = CodeSample(
        files=[
            SampleFile("src/store.py", "1" * 40, len(source), Why.SOURCE, source),
            SampleFile("src/app.py", "2" * 40, len(source), Why.ENTRY_POINT, source),
            SampleFile("tests/test_store.py", "3" * 40, len(tests), Why.TEST, tests),
        ],
        total_files=len(GOOD_FILES),
    )
    return snap


def test_the_careful_submission_still_looks_fine_when_its_code_is_read():
    result = judge(with_code(SERVICE, REAL_TESTS))
    assert result.analysis.decision == "looks_fine"
    tests = next(c for c in result.analysis.criteria if c.criterion == "Automated tests")
    assert tests.verdict == "met"
    assert "2 test files; 2 of 2 test cases assert something real" in tests.evidence


def test_stubbed_bodies_behind_a_strong_envelope_are_not_looks_fine_and_are_cited():
    snap = with_code(STUBBED, REAL_TESTS)
    signals = compute_signals(snap, JOB.description)
    assert signals.stubbed_code and signals.stub_functions == signals.functions == 10
    result = judge(snap)
    assert result.analysis.decision != "looks_fine"
    substance = next(c for c in result.analysis.criteria if c.criterion.startswith("Substance"))
    assert substance.verdict == "missing"
    assert "src/app.py:5" in substance.evidence  # `add`, the TODO body, line 5


def test_tests_that_assert_nothing_are_not_tests():
    snap = with_code(SERVICE, HOLLOW_TESTS)
    signals = compute_signals(snap, JOB.description)
    assert signals.hollow_tests and (signals.test_cases, signals.real_test_cases) == (3, 0)
    result = judge(snap)
    assert result.analysis.decision != "looks_fine"
    tests = next(c for c in result.analysis.criteria if c.criterion == "Automated tests")
    assert tests.verdict == "missing"
    assert any(e.startswith("tests/test_store.py:") for e in tests.evidence)


def test_a_model_that_calls_hollow_work_looks_fine_is_bounded_with_the_evidence():
    signals = compute_signals(with_code(STUBBED, HOLLOW_TESTS), JOB.description)
    answer = Analysis(decision="looks_fine", score=92, summary="Great work.")
    bounded, flags = bound_by_signals(answer, signals)
    assert bounded.decision == "needs_review" and bounded.score <= 69
    assert flags == ["bounded_by_signals"]
    assert any("src/app.py:2" in c and "tests/test_store.py:5" in c for c in bounded.concerns)


def test_a_secret_in_the_code_is_a_concern_with_its_place():
    source = SERVICE + '\nAWS_SECRET = "AKIAIOSFODNN7EXAMPLQ"\n'
    result = judge(with_code(source, REAL_TESTS))
    assert any(
        c.startswith("A secret is committed in the code: src/") for c in result.analysis.concerns
    )


def test_the_recruiter_reads_what_the_code_showed():
    signals = compute_signals(with_code(STUBBED, HOLLOW_TESTS), JOB.description)
    lines = describe_stored(signals.to_dict())
    text = "\n".join(lines)
    assert "Code read: read 3 of" in text
    assert "Stubbed code: 10 of 10 functions are placeholders" in text
    assert "Tests that prove nothing: 0 of 3 test cases" in text


def test_without_a_sample_the_envelope_alone_decides_and_says_the_code_was_not_read():
    snap = snapshot(files=GOOD_FILES, history=GOOD_HISTORY, readme=GOOD_README)
    signals = compute_signals(snap, JOB.description)
    assert not signals.code_read and not signals.stubbed_code and not signals.hollow_tests
    assert "Code not read." in describe_stored(signals.to_dict())
