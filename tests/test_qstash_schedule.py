"""Schedules of the local QStash server: cron times, upserts, and firing across a ``kill -9``.

Schedules fire on whole minutes, as on QStash; the tests move the server's clock to the next
firing time rather than wait for it (``tats_dev.qstash.clock``).
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from qstash import QStash
from qstash.errors import QStashError
from qstash.log import LogState

from tats_dev.qstash.cron import CronError, parse_cron
from tats_dev.qstash_server import DEV_TOKEN
from tests import test_qstash_server
from tests.servers import free_port
from tests.test_qstash_server import LAG, Endpoint, ShiftedServer, _start_server, wait_until

server, client, endpoint, shifted = (  # fixtures
    test_qstash_server.server,
    test_qstash_server.client,
    test_qstash_server.endpoint,
    test_qstash_server.shifted,
)


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def test_cron_next_times():
    assert _iso(parse_cron("*/5 * * * *").next_after(_at("2026-03-01T10:02:30+00:00"))) == (
        "2026-03-01T10:05:00+00:00"
    )
    assert _iso(parse_cron("*/5 * * * *").next_after(_at("2026-03-01T10:05:00+00:00"))) == (
        "2026-03-01T10:10:00+00:00"
    )
    # Jan 1st at 01:01 or any Monday of January: either day field matches.
    assert _iso(parse_cron("1 1 1 1 1").next_after(_at("2026-01-01T02:00:00+00:00"))) == (
        "2026-01-05T01:01:00+00:00"
    )
    assert _iso(parse_cron("0 9 * * MON-FRI").next_after(_at("2026-03-06T09:00:00+00:00"))) == (
        "2026-03-09T09:00:00+00:00"  # Friday 09:00 -> Monday
    )
    assert _iso(parse_cron("0 0 29 FEB *").next_after(_at("2026-03-01T00:00:00+00:00"))) == (
        "2028-02-29T00:00:00+00:00"
    )
    assert _iso(parse_cron("30 4 * * 7").next_after(_at("2026-03-01T05:00:00+00:00"))) == (
        "2026-03-08T04:30:00+00:00"  # 7 is Sunday, like 0
    )


def test_cron_tz_prefix_evaluates_in_that_zone():
    berlin = parse_cron("CRON_TZ=Europe/Berlin 0 9 * * *")
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert _iso(berlin.next_after(_at("2026-01-10T00:00:00+00:00"))) == "2026-01-10T08:00:00+00:00"
    assert _iso(berlin.next_after(_at("2026-07-10T00:00:00+00:00"))) == "2026-07-10T07:00:00+00:00"


@pytest.mark.parametrize(
    "text",
    [
        "* * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "5-1 * * * *",
        "CRON_TZ=Mars/Base * * * * *",
    ],
)
def test_bad_cron_expressions_are_refused(text: str):
    with pytest.raises(CronError):
        parse_cron(text)


def test_a_bad_cron_is_answered_400(client: QStash, endpoint: Endpoint):
    with pytest.raises(QStashError, match="400"):
        client.schedule.create(destination=endpoint.url("/x"), cron="61 * * * *", body="x")


def test_schedule_id_upserts_and_the_schedule_reads_back(client: QStash, endpoint: Endpoint):
    url = endpoint.url("/nightly")
    first = client.schedule.create_json(
        destination=url, cron="0 3 * * *", body={"v": 1}, schedule_id="nightly", retries=1
    )
    second = client.schedule.create_json(
        destination=url,
        cron="CRON_TZ=America/New_York 0 4 * * *",
        body={"v": 2},
        schedule_id="nightly",
        label="night",
    )

    assert first == second == "nightly"
    [schedule] = [s for s in client.schedule.list() if s.schedule_id == "nightly"]
    assert schedule.cron == "CRON_TZ=America/New_York 0 4 * * *"
    assert schedule.body == '{"v": 2}' and schedule.label == "night"
    assert schedule.retries == 3  # replaced as a whole: back to the default
    assert schedule.next_schedule_time is not None
    next_fire = datetime.fromtimestamp(schedule.next_schedule_time / 1000, UTC)
    assert next_fire.minute == 0 and next_fire.hour in (8, 9)  # 04:00 in New York

    client.schedule.delete("nightly")
    assert not any(s.schedule_id == "nightly" for s in client.schedule.list())


def test_a_schedule_fires_on_its_minute_and_once_for_the_minutes_it_missed(
    shifted: ShiftedServer, endpoint: Endpoint
):
    schedule_id = shifted.client.schedule.create_json(
        destination=endpoint.url("/minutely"), cron="* * * * *", body={"n": 1}
    )
    first_at = _next_firing(shifted.client, schedule_id)
    assert first_at % 60 == 0 and 0 < first_at - shifted.clock.now() <= 60

    shifted.clock.advance_to(first_at)
    [tick] = endpoint.wait_for("/minutely")
    assert tick.verified and tick.headers["upstash-schedule-id"] == schedule_id
    wait_until(lambda: _next_firing(shifted.client, schedule_id) > first_at, 5, "the next time")
    assert _next_firing(shifted.client, schedule_id) == first_at + 60

    shifted.clock.advance(3 * 60)  # the server was away for three firings
    wait_until(lambda: len(endpoint.on("/minutely")) > 1, 5, "the late firing")
    wait_until(lambda: _next_firing(shifted.client, schedule_id) > first_at + 60, 5, "next time")
    # Once, not once per missed minute (a firing logs its messages as it advances the schedule).
    created = shifted.client.log.list(
        filter={"schedule_id": schedule_id, "state": LogState.CREATED}
    )
    assert len(created.logs) == 2
    assert _next_firing(shifted.client, schedule_id) == first_at + 240  # the minute after now


def test_a_schedule_survives_kill_9_and_fires_signed(endpoint: Endpoint, tmp_path: Path):
    port, db = free_port(), tmp_path / "qstash.db"
    base_url = f"http://127.0.0.1:{port}"
    clock = ("--test-clock", str(-LAG))  # each start begins LAG s behind the wall clock
    process = _start_server(port, db, *clock)
    try:
        client = QStash(DEV_TOKEN, base_url=base_url, retry=False)
        schedule_id = client.schedule.create_json(
            destination=endpoint.url("/tick"),
            cron="* * * * *",
            body={"tick": True},
            headers={"X-Job": "minutely"},
        )
        paused_id = client.schedule.create_json(
            destination=endpoint.url("/paused"), cron="* * * * *", body={}
        )
        client.schedule.pause(paused_id)
        process.send_signal(signal.SIGKILL)
        process.wait()

        process = _start_server(port, db, *clock)
        due_at = _next_firing(client, schedule_id)
        moved = httpx.post(
            f"{base_url}/dev/clock",
            json={"to": due_at},
            headers={"Authorization": f"Bearer {DEV_TOKEN}"},
        )
        assert moved.status_code == 200 and moved.json()["now"] >= due_at
        [tick] = endpoint.wait_for("/tick", 1)
        assert tick.verified and tick.json == {"tick": True}
        assert tick.headers["upstash-schedule-id"] == schedule_id
        assert tick.headers["x-job"] == "minutely"
        assert endpoint.on("/paused") == []  # due at the same minute, but paused

        schedule = client.schedule.get(schedule_id)
        assert schedule.last_schedule_time is not None and schedule.next_schedule_time is not None
        assert schedule.next_schedule_time - schedule.last_schedule_time <= 60_000
        assert client.schedule.get(paused_id).paused is True
        wait_until(
            lambda: bool(
                client.log.list(
                    filter={"schedule_id": schedule_id, "state": LogState.DELIVERED}
                ).logs
            ),
            5,
            "the delivery in the logs",
        )
    finally:
        process.kill()
        process.wait()


def _next_firing(client: QStash, schedule_id: str) -> float:
    """The schedule's next firing time, unix seconds on the server's clock."""
    next_ms = client.schedule.get(schedule_id).next_schedule_time
    assert next_ms is not None
    return next_ms / 1000
