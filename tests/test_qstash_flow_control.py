"""Flow-control management of the local QStash server: pause, pin, and their restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from qstash import QStash

from tats_dev.qstash_server import DEV_TOKEN, create_app
from tests import test_qstash_server
from tests.servers import serve
from tests.test_qstash_server import Endpoint, ShiftedServer

server, client, endpoint, shifted = (  # fixtures
    test_qstash_server.server,
    test_qstash_server.client,
    test_qstash_server.endpoint,
    test_qstash_server.shifted,
)


def test_a_paused_key_holds_its_messages_until_resumed(client: QStash, endpoint: Endpoint):
    client.flow_control.pause("held-key")
    sent = client.message.publish_json(
        url=endpoint.url("/held"), body={}, flow_control={"key": "held-key", "parallelism": 1}
    )
    client.message.publish_json(url=endpoint.url("/free"), body={})

    endpoint.wait_for("/free")
    assert endpoint.on("/held") == []
    info = client.flow_control.get("held-key")
    assert info.is_paused and info.wait_list_size == 1

    client.flow_control.resume("held-key")
    [delivery] = endpoint.wait_for("/held")
    assert delivery.headers["upstash-message-id"] == sent.message_id


def test_a_pinned_parallelism_overrides_the_messages_own(client: QStash, endpoint: Endpoint):
    client.flow_control.pin("pinned-key", {"parallelism": 1})
    endpoint.delay["/pinned"] = 0.1
    flow = {"key": "pinned-key", "parallelism": 5}
    for n in range(4):
        client.message.publish_json(url=endpoint.url("/pinned"), body={"n": n}, flow_control=flow)

    endpoint.wait_for("/pinned", 4)
    assert endpoint.max_in_flight["/pinned"] == 1
    info = client.flow_control.get("pinned-key")
    assert info.is_pinned_parallelism and info.parallelism_max == 1 and not info.is_pinned_rate


def test_a_rate_holds_further_starts_until_its_period_has_passed(
    shifted: ShiftedServer, endpoint: Endpoint
):
    flow = {"key": "rated", "rate": 2, "period": "1m"}
    shifted.client.message.batch_json(
        [{"url": endpoint.url("/rated"), "body": {"i": i}, "flow_control": flow} for i in range(3)]
    )

    first_two = endpoint.wait_for("/rated", 2)
    info = shifted.client.flow_control.get("rated")
    assert (info.rate_count, info.rate_max, info.wait_list_size) == (2, 2, 1)
    shifted.clock.advance(info.rate_period - 5)
    with pytest.raises(AssertionError):  # the period has not passed yet
        endpoint.wait_for("/rated", 3, timeout=0.5)

    shifted.clock.advance(5)
    deliveries = endpoint.wait_for("/rated", 3)
    assert deliveries[:2] == first_two and deliveries[2].verified


def test_a_reset_rate_counts_every_start_published_before_it(client: QStash, endpoint: Endpoint):
    flow = {"key": "reset-key", "rate": 2, "period": "1m"}
    for n in range(2):
        client.message.publish_json(url=endpoint.url("/reset"), body={"n": n}, flow_control=flow)
    client.flow_control.reset_rate("reset-key")  # at once: the starts may not have happened

    endpoint.wait_for("/reset", 2)
    assert client.flow_control.get("reset-key").rate_count == 0
    client.message.publish_json(url=endpoint.url("/reset"), body={"n": 2}, flow_control=flow)
    endpoint.wait_for("/reset", 3)  # the rate's budget is whole again, not a minute later


def test_global_parallelism_reports_the_server_limit(client: QStash):
    info = client.flow_control.get_global_parallelism()
    assert (info.parallelism_max, info.parallelism_count) == (256, 0)


def test_pause_and_pins_survive_a_restart(tmp_path: Path):
    db = str(tmp_path / "qstash.db")
    with serve(create_app(db_path=db)) as url:
        client = QStash(DEV_TOKEN, base_url=url, retry=False)
        client.flow_control.pause("lasting")
        client.flow_control.pin("lasting", {"rate": 7, "period": 30})

    with serve(create_app(db_path=db)) as url:
        info = QStash(DEV_TOKEN, base_url=url, retry=False).flow_control.get("lasting")
        assert info.is_paused and info.is_pinned_rate
        assert (info.rate_max, info.rate_period) == (7, 30)
