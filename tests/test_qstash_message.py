"""How the local QStash server reads a publish request's ``Upstash-*`` headers."""

from __future__ import annotations

import pytest

from tats_dev.qstash.message import (
    BadRequest,
    PayloadTooLarge,
    Response,
    callback_message,
    parse_message,
)

NOW = 1_700_000_000.0
URL = "http://127.0.0.1:8000/api/process-candidate"


def test_defaults_match_qstash():
    m = parse_message(URL, b"{}", {"Content-Type": "application/json"}, now=NOW)
    assert (m.method, m.max_retries, m.timeout, m.due_at) == ("POST", 3, 30.0, NOW)
    assert m.headers == {"Content-Type": "application/json"}
    assert m.flow_key is None and m.dedup_key is None and m.id.startswith("msg_")


def test_options_are_read_from_their_headers():
    m = parse_message(
        URL,
        b"x",
        {
            "upstash-method": "put",
            "upstash-retries": "5",
            "upstash-timeout": "2m",
            "upstash-delay": "10s",
            "upstash-forward-x-trace": "abc",
            "upstash-callback": "http://127.0.0.1/cb",
            "upstash-callback-forward-x-a": "1",
            "upstash-failure-callback": "http://127.0.0.1/failed",
            "upstash-failure-callback-x-b": "2",
            "upstash-flow-control-key": "k",
            "upstash-flow-control-value": "parallelism=2, rate=5, period=60s",
            "upstash-label": "triage",
            "upstash-retry-delay": "1000 * retried",
        },
        now=NOW,
    )
    assert (m.method, m.max_retries, m.timeout, m.due_at) == ("PUT", 5, 120.0, NOW + 10)
    assert m.headers == {"X-Trace": "abc"}
    assert m.callback_headers == {"X-A": "1"}
    assert m.failure_callback_headers == {"X-B": "2"}
    assert (m.flow_key, m.parallelism, m.rate, m.period) == ("k", 2, 5, 60.0)
    assert (m.label, m.retry_delay) == ("triage", "1000 * retried")


def test_not_before_wins_when_later_than_the_delay():
    m = parse_message(
        URL, b"", {"Upstash-Not-Before": str(int(NOW) + 60), "Upstash-Delay": "5s"}, now=NOW
    )
    assert m.due_at == NOW + 60


def test_deduplication_keys():
    by_id = parse_message(URL, b"a", {"Upstash-Deduplication-Id": "x"}, now=NOW)
    same = {"Upstash-Content-Based-Deduplication": "True"}
    first, second = (parse_message(URL, b"a", same, now=NOW) for _ in range(2))
    other_body = parse_message(URL, b"b", same, now=NOW)
    assert by_id.dedup_key == "id:x"
    assert first.dedup_key == second.dedup_key != other_body.dedup_key


@pytest.mark.parametrize(
    ("destination", "headers"),
    [
        ("my-url-group", {}),
        (URL, {"Upstash-Method": "TRACE"}),
        (URL, {"Upstash-Retries": "-1"}),
        (URL, {"Upstash-Retries": "many"}),
        (URL, {"Upstash-Callback": "relative/path"}),
        (URL, {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "burst=3"}),
        (URL, {"Upstash-Retry-Delay": "os.system('x')"}),
    ],
)
def test_bad_requests_say_why(destination: str, headers: dict[str, str]):
    with pytest.raises(BadRequest) as error:
        parse_message(destination, b"", headers, now=NOW)
    assert str(error.value)


def test_a_body_over_one_megabyte_is_too_large():
    with pytest.raises(PayloadTooLarge):
        parse_message(URL, b"x" * (1024 * 1024 + 1), {}, now=NOW)


def test_failure_callback_carries_the_source_and_the_last_response():
    source = parse_message(
        URL, b'{"a":1}', {"Upstash-Failure-Callback": "http://h/failed"}, now=NOW
    )
    response = Response(500, [("content-type", "text/plain")], b"boom")
    callback = callback_message(source, response, now=NOW, dlq_id="dlq_1")
    assert callback.destination == "http://h/failed"
    assert callback.headers["Content-Type"] == "application/json"
    assert b'"dlqId": "dlq_1"' in callback.body and b'"sourceBody": "eyJhIjoxfQ=="' in callback.body
