"""The local QStash server's one clock: a test moves it forward instead of waiting."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from qstash.log import LogState

from tats_dev.qstash.clock import Clock, ShiftedClock
from tats_dev.qstash_server import DEV_TOKEN, create_app
from tests import test_qstash_server
from tests.servers import serve
from tests.test_qstash_server import LAG, Endpoint, Reply, ShiftedServer, wait_until

endpoint, shifted = test_qstash_server.endpoint, test_qstash_server.shifted  # fixtures

AUTH = {"Authorization": f"Bearer {DEV_TOKEN}"}


def test_a_shifted_clock_keeps_the_wall_clocks_pace_and_only_moves_forward():
    clock, jumps = ShiftedClock(-60), []
    stop = clock.on_jump(lambda: jumps.append(clock.now()))
    assert clock.now() == pytest.approx(time.time() - 60, abs=1)

    assert clock.advance(30) == pytest.approx(time.time() - 30, abs=1)
    assert clock.advance_to(clock.now() - 10) == pytest.approx(time.time() - 30, abs=1)
    with pytest.raises(ValueError):
        clock.advance(-1)
    stop()
    clock.advance(5)
    assert len(jumps) == 1  # the one real jump made before the listener was removed
    assert Clock().now() == pytest.approx(time.time(), abs=1)


def test_delay_and_not_before_hold_a_message_until_the_clock_reaches_them(
    shifted: ShiftedServer, endpoint: Endpoint
):
    not_before = int(shifted.clock.now()) + 90
    delayed = shifted.client.message.publish_json(url=endpoint.url("/later"), body={}, delay="1m")
    shifted.client.message.publish_json(url=endpoint.url("/at"), body={}, not_before=not_before)
    waiting = shifted.client.message.get(delayed.message_id)
    assert waiting.not_before - waiting.created_at == 60_000

    shifted.clock.advance(50)
    with pytest.raises(AssertionError):  # still early: nothing goes out
        endpoint.wait_for("/later", timeout=0.5)
    shifted.clock.advance(10)
    [delivery] = endpoint.wait_for("/later")
    assert delivery.verified and delivery.headers["upstash-message-id"] == delayed.message_id
    assert endpoint.on("/at") == []

    shifted.clock.advance_to(not_before)
    [at] = endpoint.wait_for("/at")
    assert at.verified


def test_retry_after_sets_the_time_of_the_next_attempt(shifted: ShiftedServer, endpoint: Endpoint):
    endpoint.script("/busy", Reply(503, headers={"Retry-After": "60"}))
    sent = shifted.client.message.publish_json(url=endpoint.url("/busy"), body={})
    endpoint.wait_for("/busy")

    def retry_event():
        logs = shifted.client.log.list(
            filter={"message_id": sent.message_id, "state": LogState.RETRY}
        ).logs
        return logs[0] if logs else None

    wait_until(lambda: retry_event() is not None, 5, "the RETRY event")
    event = retry_event()
    assert event is not None and event.next_delivery_time is not None
    assert event.next_delivery_time - event.time == pytest.approx(60_000, abs=1)
    assert len(endpoint.on("/busy")) == 1

    shifted.clock.advance_to(event.next_delivery_time / 1000)
    _, second = endpoint.wait_for("/busy", 2)
    assert second.headers["upstash-retried"] == "1" and second.verified


def test_the_clock_route_needs_the_token_and_moves_only_forward(shifted: ShiftedServer):
    route = shifted.url + "/dev/clock"
    assert httpx.get(route).status_code == 401
    assert httpx.post(route, json={"advance": 5}).status_code == 401
    before = httpx.get(route, headers=AUTH).json()["now"]

    moved = httpx.post(route, json={"advance": 30}, headers=AUTH)
    assert moved.status_code == 200
    assert moved.json()["now"] == pytest.approx(before + 30, abs=1)
    target = moved.json()["now"] + 60
    assert httpx.post(route, json={"to": target}, headers=AUTH).json()["now"] >= target
    for bad in ({"advance": -1}, {"advance": "soon"}, {"back": 3}, [], {"advance": 1, "to": 2}):
        assert httpx.post(route, json=bad, headers=AUTH).status_code == 400, bad
    assert shifted.clock.now() == pytest.approx(time.time() - LAG + 90, abs=2)


def test_a_server_on_the_wall_clock_has_no_clock_route(tmp_path: Path):
    with serve(create_app(db_path=str(tmp_path / "qstash.db"))) as url:
        assert httpx.post(url + "/dev/clock", json={"advance": 60}, headers=AUTH).status_code == 404
        assert httpx.get(url + "/dev/clock", headers=AUTH).status_code == 404
