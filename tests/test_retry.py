"""The one Retry-After parser and the Backoff policy, with an injected clock and sleep."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

import pytest

from tats_core.retry import ONE_DAY, Backoff, RetryableFault, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("6m5s", 365.0),
        (formatdate(NOW + 120, usegmt=True), 120.0),
        (formatdate(NOW - 120, usegmt=True), 0.0),  # a moment already past: go now
        ("99999999", ONE_DAY),  # capped
        ("-3", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(value, seconds):
    parsed = parse_retry_after(value, now=NOW)
    assert parsed == (None if seconds is None else pytest.approx(seconds))


def test_the_dev_queue_uses_the_same_parser():
    from tats_dev.qstash import backoff

    assert backoff.parse_retry_after is parse_retry_after


@pytest.mark.parametrize("retry_number", [1, 2, 3, 4, 8])
def test_jitter_stays_within_half_to_one_step_and_under_the_cap(retry_number):
    step = min(4.0, 0.5 * 2 ** (retry_number - 1))
    low = Backoff(base=0.5, max_wait=4.0, rand=lambda: 0.0).delay(retry_number)
    high = Backoff(base=0.5, max_wait=4.0, rand=lambda: 0.999999).delay(retry_number)
    assert low == pytest.approx(step / 2)
    assert step / 2 <= high <= step <= 4.0


def test_retry_after_is_honoured_with_at_most_a_little_jitter():
    assert Backoff(rand=lambda: 0.0).delay(1, retry_after=3.0) == 3.0
    assert 3.0 <= Backoff(rand=lambda: 0.99).delay(1, retry_after=3.0) <= 3.5


class Script:
    def __init__(self, faults: list[float | None]) -> None:
        self.faults = list(faults)
        self.calls = 0
        self.waits: list[float] = []

    async def call(self) -> str:
        self.calls += 1
        if self.faults:
            raise RetryableFault(ValueError(f"fault {self.calls}"), self.faults.pop(0))
        return "ok"

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def run(backoff: Backoff, script: Script) -> str:
    return asyncio.run(backoff.run(script.call, sleep=script.sleep))


def test_transient_faults_are_tried_again_until_an_answer():
    script = Script([None, 2.0])
    assert run(Backoff(tries=3, base=0.5, rand=lambda: 0.0), script) == "ok"
    assert script.calls == 3 and script.waits == [0.25, 2.0]


def test_the_number_of_tries_is_bounded_and_the_last_error_is_raised():
    script = Script([None] * 10)
    with pytest.raises(ValueError, match="fault 3"):
        run(Backoff(tries=3), script)
    assert script.calls == 3 and len(script.waits) == 2


def test_a_wait_beyond_the_cap_is_left_to_the_queue():
    script = Script([60.0])
    with pytest.raises(ValueError, match="fault 1"):
        run(Backoff(tries=3, max_wait=10.0), script)
    assert script.waits == []


def test_the_total_wait_is_capped():
    script = Script([8.0, 8.0, 8.0])
    with pytest.raises(ValueError, match="fault 2"):
        run(Backoff(tries=5, max_wait=10.0, total_wait=12.0, rand=lambda: 0.0), script)
    assert script.waits == [8.0]
