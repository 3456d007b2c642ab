"""Queues of the local QStash server: order, parallelism, pause, delete, and a restart."""

from __future__ import annotations

import json
from pathlib import Path

from qstash import QStash

from tats_dev.qstash_server import DEV_TOKEN, create_app
from tests import test_qstash_server
from tests.servers import serve
from tests.test_qstash_server import Endpoint, Reply, wait_until

server, client, endpoint = (  # fixtures
    test_qstash_server.server,
    test_qstash_server.client,
    test_qstash_server.endpoint,
)


def _bodies(endpoint: Endpoint, path: str) -> list[int]:
    return [json.loads(d.body)["n"] for d in endpoint.on(path)]


def test_a_queue_delivers_in_order_and_a_retry_holds_back_the_rest(
    client: QStash, endpoint: Endpoint
):
    client.queue.upsert("ordered", parallelism=1)
    endpoint.script("/ordered", Reply(500))
    for n in range(3):
        client.message.enqueue_json(queue="ordered", url=endpoint.url("/ordered"), body={"n": n})

    endpoint.wait_for("/ordered", 4)
    assert _bodies(endpoint, "/ordered") == [0, 0, 1, 2]
    assert endpoint.max_in_flight["/ordered"] == 1


def test_a_queue_keeps_within_its_parallelism(client: QStash, endpoint: Endpoint):
    client.queue.upsert("pair", parallelism=2)
    endpoint.delay["/pair"] = 0.2
    sent = [
        client.message.enqueue_json(queue="pair", url=endpoint.url("/pair"), body={"n": n})
        for n in range(6)
    ]

    endpoint.wait_for("/pair", 6)
    assert endpoint.max_in_flight["/pair"] == 2
    assert {d.headers["upstash-message-id"] for d in endpoint.on("/pair")} == {
        s.message_id for s in sent
    }


def test_enqueueing_creates_the_queue_with_parallelism_1(client: QStash, endpoint: Endpoint):
    client.message.enqueue_json(queue="implicit", url=endpoint.url("/implicit"), body={"n": 0})

    queue = client.queue.get("implicit")
    assert (queue.name, queue.parallelism, queue.paused) == ("implicit", 1, False)
    endpoint.wait_for("/implicit")


def test_a_paused_queue_holds_its_messages_until_resumed(client: QStash, endpoint: Endpoint):
    client.queue.upsert("held", paused=True)
    sent = client.message.enqueue_json(queue="held", url=endpoint.url("/held"), body={"n": 1})
    other = client.message.publish_json(url=endpoint.url("/free"), body={"n": 2})

    endpoint.wait_for("/free")  # the server is delivering, just not from the paused queue
    assert endpoint.on("/held") == []
    assert client.queue.get("held").lag == 1
    assert client.message.get(sent.message_id).queue == "held"

    client.queue.resume("held")
    [delivery] = endpoint.wait_for("/held")
    assert delivery.headers["upstash-message-id"] == sent.message_id
    assert other.message_id != sent.message_id


def test_deleting_a_queue_cancels_only_its_waiting_messages(client: QStash, endpoint: Endpoint):
    client.queue.upsert("doomed", paused=True)
    client.queue.upsert("spared", paused=True)
    for n in range(2):
        client.message.enqueue_json(queue="doomed", url=endpoint.url("/doomed"), body={"n": n})
    client.message.enqueue_json(queue="spared", url=endpoint.url("/spared"), body={"n": 9})

    client.queue.delete("doomed")

    assert not any(q.name == "doomed" for q in client.queue.list())
    assert client.queue.get("spared").lag == 1
    client.queue.resume("spared")
    endpoint.wait_for("/spared")
    assert endpoint.on("/doomed") == []


def test_queues_survive_a_restart(tmp_path: Path, endpoint: Endpoint):
    db = str(tmp_path / "qstash.db")
    with serve(create_app(db_path=db, delay_scale=0.001)) as url:
        client = QStash(DEV_TOKEN, base_url=url, retry=False)
        client.queue.upsert("lasting", parallelism=3, paused=True)
        sent = client.message.enqueue_json(
            queue="lasting", url=endpoint.url("/lasting"), body={"n": 1}
        )

    with serve(create_app(db_path=db, delay_scale=0.001)) as url:
        client = QStash(DEV_TOKEN, base_url=url, retry=False)
        queue = client.queue.get("lasting")
        assert (queue.parallelism, queue.paused, queue.lag) == (3, True, 1)
        client.queue.resume("lasting")
        [delivery] = endpoint.wait_for("/lasting")
        assert delivery.headers["upstash-message-id"] == sent.message_id
        wait_until(lambda: client.queue.get("lasting").lag == 0, 5, "the queue to drain")
