"""When the local QStash server retries: durations, Retry-After, backoff, retry-delay expressions."""

from __future__ import annotations

import math
from email.utils import formatdate

import pytest

from tats_dev.qstash.backoff import (
    ONE_DAY,
    ExpressionError,
    compile_retry_delay,
    default_backoff,
    evaluate_retry_delay,
    next_retry_delay,
    parse_duration,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10),
        ("12", 12),
        ("6m5s", 365),
        ("500ms", 0.5),
        ("3d5h12m", 3 * 86400 + 5 * 3600 + 720),
    ],
)
def test_durations(text: str, seconds: float):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "10x", "5s later", "-3s"])
def test_bad_durations_are_refused(text: str):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_retry_after_accepts_seconds_durations_and_http_dates():
    now = 1_700_000_000.0
    assert parse_retry_after("1", now=now) == 1
    assert parse_retry_after("6m5s", now=now) == 365
    assert parse_retry_after(formatdate(now + 120, usegmt=True), now=now) == pytest.approx(120)
    assert parse_retry_after(formatdate(now - 120, usegmt=True), now=now) == 0
    assert parse_retry_after("9999999", now=now) == ONE_DAY
    assert parse_retry_after("whenever", now=now) is None


def test_default_backoff_is_quick_at_first_then_capped_at_a_day():
    assert default_backoff(1) == pytest.approx(math.exp(2.5))  # ~12 s
    assert default_backoff(2) == pytest.approx(math.exp(5))  # ~2 min 28 s
    assert default_backoff(10) == ONE_DAY


@pytest.mark.parametrize(
    ("expression", "retried", "millis"),
    [
        ("1000", 3, 1000),
        ("1000 * (1 + retried)", 2, 3000),
        ("1000 * pow(2, retried)", 3, 8000),
        ("max(10, pow(2, retried))", 1, 10),
        ("min(sqrt(16), abs(-9)) + floor(1.7) + ceil(0.2) + round(2.4) - exp(0)", 0, 7),
        ("retried % 2 / 2", 3, 0.5),
    ],
)
def test_retry_delay_expressions(expression: str, retried: int, millis: float):
    assert evaluate_retry_delay(compile_retry_delay(expression), retried) == pytest.approx(millis)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "retried.__class__",
        "open('/etc/passwd')",
        "[1, 2]",
        "'a' * 3",
        "lambda: 1",
        "pow(2)",
        "x + 1",
        "1000 ** 2",
        "(" * 300 + "1" + ")" * 300,
    ],
)
def test_anything_outside_the_small_grammar_is_refused(expression: str):
    with pytest.raises(ExpressionError):
        compile_retry_delay(expression)


def test_next_delay_prefers_retry_after_then_expression_then_scaled_default():
    scaled = next_retry_delay(1, expression=None, retry_after=None, scale=0.01)
    assert scaled == pytest.approx(math.exp(2.5) * 0.01)
    by_expression = next_retry_delay(2, expression="1000 * retried", retry_after=None, scale=0.01)
    assert by_expression == 1.0  # retried counts from 0 at the first retry; not scaled
    by_header = next_retry_delay(2, expression="1000 * retried", retry_after="3", scale=0.01)
    assert by_header == 3.0
    assert next_retry_delay(1, expression="pow(10, 400)", retry_after=None, scale=1) == ONE_DAY
    undefined = next_retry_delay(1, expression="1 / retried", retry_after=None, scale=0.01)
    assert undefined == pytest.approx(math.exp(2.5) * 0.01)
