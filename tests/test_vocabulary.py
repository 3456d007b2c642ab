"""The decision words are defined once (``tats_core.statuses``); everything that speaks them
derives from there. These tests fail when a copy drifts from the source."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path
from typing import get_args

import pytest

from tats_core import errors, statuses
from tats_core.judging.analysis import ANALYSIS_JSON_SCHEMA, Analysis, Decision
from tats_core.judging.cohere_analyzer import DECISION_MEANINGS, SYSTEM_PROMPT

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_DIRS = ("tats_core", "worker_service", "tats_ui", "app_pages")


def test_the_decision_type_and_the_json_schema_are_the_statuses_decisions():
    assert get_args(Decision) == statuses.DECISIONS
    assert ANALYSIS_JSON_SCHEMA["properties"]["decision"]["enum"] == list(statuses.DECISIONS)
    assert Analysis.model_validate(
        {"decision": "looks_fine", "score": 80, "summary": "s"}
    ).decision is (statuses.LOOKS_FINE)


def test_the_score_bands_cover_0_to_100_once_in_decision_order():
    bands = sorted(statuses.SCORE_BANDS.values())
    assert set(statuses.SCORE_BANDS) == set(statuses.DECISIONS)
    assert bands[0][0] == 0 and bands[-1][1] == 100
    for (_, high), (low, _) in itertools.pairwise(bands):
        assert low == high + 1
    ordered = sorted(statuses.SCORE_BANDS, key=statuses.SCORE_BANDS.__getitem__)
    assert ordered == [statuses.LOW_EFFORT, statuses.NEEDS_REVIEW, statuses.LOOKS_FINE]


def test_the_prompt_states_every_decision_with_its_band():
    assert list(DECISION_MEANINGS) == list(statuses.DECISIONS)
    for decision, (low, high) in statuses.SCORE_BANDS.items():
        assert f'"{decision}" ({low}-{high})' in SYSTEM_PROMPT


def _service_errors() -> list[type[errors.ServiceError]]:
    found, todo = [], [errors.ServiceError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_failure_status_belongs_to_an_error_class_and_back():
    used = {cls.failure_status for cls in _service_errors()}
    assert used == set(statuses.FAILURES)
    for cls in _service_errors():
        assert isinstance(cls.failure_status, statuses.Status)


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("folder", PRODUCT_DIRS)
def test_no_product_code_spells_a_status_outside_statuses(folder: str):
    """A status written as a bare string is a second definition: name ``statuses.X`` instead.
    (Prose that merely contains the word, such as a prompt, is built from the enum.)"""
    words = {str(s) for s in statuses.Status}
    offenders = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.name == "statuses.py" or "migrations" in path.parts:
            continue
        for line, value in _string_constants(path):
            if value in words:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert offenders == []
