"""Bulk operations of the local QStash server touch only what they name or match.

Cancels and DLQ operations take ids or filters in the JSON body or the query string; labels are
lists (``Upstash-Label: a,b``) and several label values are OR-ed. Driven by the real ``qstash``
SDK where it has the call, and by plain HTTP for the query-string forms it lacks.
"""

from __future__ import annotations

import httpx
from qstash import QStash
from qstash.log import LogState

from tats_dev.qstash_server import DEV_TOKEN
from tests import test_qstash_server
from tests.test_qstash_server import Endpoint, Reply, wait_until

server, client, endpoint = (  # fixtures
    test_qstash_server.server,
    test_qstash_server.client,
    test_qstash_server.endpoint,
)

AUTH = {"Authorization": f"Bearer {DEV_TOKEN}"}


def _pending(client: QStash, endpoint: Endpoint, path: str, label: str | None = None) -> str:
    """A message that waits a minute before its delivery: cancellable meanwhile."""
    return client.message.publish_json(
        url=endpoint.url(path), body={"p": path}, delay=60, label=label
    ).message_id


def _exists(server: str, message_id: str) -> bool:
    status = httpx.get(f"{server}/v2/messages/{message_id}", headers=AUTH).status_code
    assert status in (200, 404)
    return status == 200


def test_a_single_cancel_answers_cancelled_1_then_404(server: str, client: QStash, endpoint):
    message_id = _pending(client, endpoint, "/one")
    kept = _pending(client, endpoint, "/other")

    first = httpx.delete(f"{server}/v2/messages/{message_id}", headers=AUTH)
    assert (first.status_code, first.json()) == (200, {"cancelled": 1})
    assert httpx.delete(f"{server}/v2/messages/{message_id}", headers=AUTH).status_code == 404
    assert not _exists(server, message_id) and _exists(server, kept)


def test_bulk_cancel_by_ids_in_the_body_cancels_only_those(server, client: QStash, endpoint):
    a, b, c = (_pending(client, endpoint, f"/ids/{n}") for n in "abc")

    assert client.message.cancel_many([a, b]) == 2

    assert [_exists(server, i) for i in (a, b, c)] == [False, False, True]
    assert client.message.cancel_many([a, b]) == 0  # already gone: nothing else is touched
    assert _exists(server, c)


def test_bulk_cancel_by_ids_in_the_query_cancels_only_those(server, client: QStash, endpoint):
    a, b, c, d = (_pending(client, endpoint, f"/query/{n}") for n in "abcd")

    repeated = httpx.delete(f"{server}/v2/messages?messageIds={a}&messageIds={b}", headers=AUTH)
    assert repeated.json() == {"cancelled": 2}
    comma = httpx.delete(f"{server}/v2/messages", params={"messageIds": c}, headers=AUTH)
    assert comma.json() == {"cancelled": 1}

    assert [_exists(server, i) for i in (a, b, c, d)] == [False, False, False, True]


def test_an_empty_id_list_cancels_nothing(server, client: QStash, endpoint):
    kept = _pending(client, endpoint, "/kept")

    assert client.message.cancel_many([]) == 0
    assert _exists(server, kept)


def test_bulk_cancel_by_label_touches_only_matching_messages(server, client: QStash, endpoint):
    x1 = _pending(client, endpoint, "/l/x1", label="x")
    unrelated = _pending(client, endpoint, "/l/y", label="y")
    unlabelled = _pending(client, endpoint, "/l/none")
    x2 = _pending(client, endpoint, "/l/x2", label="z,x")

    one = httpx.delete(f"{server}/v2/messages?label=x&count=1", headers=AUTH)
    assert one.json() == {"cancelled": 1}
    assert not _exists(server, x1)  # the oldest match
    assert _exists(server, x2) and _exists(server, unrelated) and _exists(server, unlabelled)

    body = httpx.request("DELETE", f"{server}/v2/messages", headers=AUTH, json={"label": ["x"]})
    assert body.json() == {"cancelled": 1}
    assert not _exists(server, x2)
    assert _exists(server, unrelated) and _exists(server, unlabelled)


def test_bulk_cancel_filters_combine_or_within_and_across(server, client: QStash, endpoint):
    a = _pending(client, endpoint, "/f/a", label="red")
    b = _pending(client, endpoint, "/f/b", label="blue")
    c = _pending(client, endpoint, "/f/c", label="green")
    d = _pending(client, endpoint, "/f/a", label="green")

    # (label red OR green) AND url = /f/a: a and d, not b (blue) nor c (other url).
    answer = httpx.delete(
        f"{server}/v2/messages",
        params=[("label", "red,green"), ("url", endpoint.url("/f/a"))],
        headers=AUTH,
    )
    assert answer.json() == {"cancelled": 2}
    assert [_exists(server, i) for i in (a, b, c, d)] == [False, True, True, False]


def test_an_unknown_filter_is_refused_rather_than_cancelling_everything(
    server, client: QStash, endpoint
):
    kept = _pending(client, endpoint, "/kept")

    refused = httpx.delete(f"{server}/v2/messages?lable=x", headers=AUTH)
    assert refused.status_code == 400 and "lable" in refused.json()["error"]
    assert _exists(server, kept)


def test_cancel_all_cancels_every_pending_message(server, client: QStash, endpoint):
    ids = [_pending(client, endpoint, f"/all/{n}") for n in range(3)]

    assert client.message.cancel_all() == 3
    assert not any(_exists(server, i) for i in ids)


def _dead(client: QStash, endpoint: Endpoint, path: str, label: str | None = None) -> str:
    """Publish a message whose only attempt fails; its DLQ id once it is there."""
    endpoint.script(path, Reply(500, body=b"down"))
    message_id = client.message.publish_json(
        url=endpoint.url(path), body={"p": path}, retries=0, label=label
    ).message_id

    def in_dlq() -> list[str]:
        found = client.dlq.list(filter={"message_id": message_id}).messages
        return [m.dlq_id for m in found]

    wait_until(lambda: bool(in_dlq()), 10, f"{path} in the DLQ")
    return in_dlq()[0]


def _dlq_ids(client: QStash) -> set[str]:
    return {m.dlq_id for m in client.dlq.list().messages}


def test_dlq_bulk_retry_by_query_ids_retries_only_those(server, client: QStash, endpoint):
    first, second, third = (_dead(client, endpoint, f"/dlq/{n}") for n in "abc")

    answer = httpx.post(
        f"{server}/v2/dlq/retry?dlqIds={first}&dlqIds={second}", headers=AUTH
    ).json()

    assert len(answer["responses"]) == 2
    assert _dlq_ids(client) == {third}
    [again_a] = endpoint.wait_for("/dlq/a", 2)[1:]  # the retry is a new message, delivered
    [again_b] = endpoint.wait_for("/dlq/b", 2)[1:]
    new_ids = {again_a.headers["upstash-message-id"], again_b.headers["upstash-message-id"]}
    assert new_ids == {r["messageId"] for r in answer["responses"]}
    assert len(endpoint.on("/dlq/c")) == 1


def test_dlq_bulk_retry_and_delete_by_label_filter(server, client: QStash, endpoint):
    nightly = _dead(client, endpoint, "/dlq/nightly", label="nightly,batch")
    manual = _dead(client, endpoint, "/dlq/manual", label="manual")
    other = _dead(client, endpoint, "/dlq/other")

    deleted = httpx.delete(f"{server}/v2/dlq?label=manual", headers=AUTH).json()
    assert deleted == {"deleted": 1}
    assert _dlq_ids(client) == {nightly, other}

    retried = httpx.post(f"{server}/v2/dlq/retry?label=batch", headers=AUTH).json()
    assert len(retried["responses"]) == 1
    assert _dlq_ids(client) == {other}
    assert manual not in _dlq_ids(client)
    endpoint.wait_for("/dlq/nightly", 2)


def test_dlq_bulk_delete_by_ids_in_body_or_query(server, client: QStash, endpoint):
    a, b, c, d = (_dead(client, endpoint, f"/dlqd/{n}") for n in "abcd")

    assert client.dlq.delete_many([a]) == 1
    by_query = httpx.delete(f"{server}/v2/dlq", params=[("dlqIds", b), ("dlqIds", c)], headers=AUTH)
    assert by_query.json() == {"deleted": 2}
    assert _dlq_ids(client) == {d}


def test_a_message_with_two_labels_matches_either_in_logs_and_dlq(
    server: str, client: QStash, endpoint
):
    tagged = client.message.publish_json(
        url=endpoint.url("/labelled"), body={}, label="alpha,beta"
    ).message_id
    other = client.message.publish_json(
        url=endpoint.url("/labelled"), body={}, label="gamma"
    ).message_id
    endpoint.wait_for("/labelled", 2)

    def delivered(label: str) -> set[str]:
        logs = client.log.list(filter={"label": label, "state": LogState.DELIVERED}).logs
        return {log.message_id for log in logs}

    wait_until(lambda: delivered("beta") == {tagged}, 5, "the DELIVERED event")
    assert delivered("alpha") == {tagged}
    assert delivered("gamma") == {other}
    assert delivered("delta") == set()
    # Several label values are OR-ed.
    both = httpx.get(
        f"{server}/v2/events",
        params=[("label", "beta"), ("label", "gamma"), ("state", "DELIVERED")],
        headers=AUTH,
    ).json()["events"]
    assert {e["messageId"] for e in both} == {tagged, other}

    dead = _dead(client, endpoint, "/labelled-dead", label="alpha,omega")
    assert [m.dlq_id for m in client.dlq.list(filter={"label": "omega"}).messages] == [dead]
    assert [m.dlq_id for m in client.dlq.list(filter={"label": "alpha"}).messages] == [dead]
    assert client.dlq.list(filter={"label": "beta"}).messages == []


def test_logs_record_each_state_of_a_retried_message(client: QStash, endpoint):
    endpoint.script("/twice", Reply(503))
    sent = client.message.publish_json(url=endpoint.url("/twice"), body={}, retries=2)
    endpoint.wait_for("/twice", 2)

    def states() -> list[str]:
        logs = client.log.list(filter={"message_id": sent.message_id}).logs
        return [log.state.value for log in reversed(logs)]  # the log lists newest first

    wait_until(lambda: "DELIVERED" in states(), 5, "the DELIVERED event")
    assert states() == ["CREATED", "ACTIVE", "ERROR", "RETRY", "ACTIVE", "DELIVERED"]


def test_deliveries_carry_qstash_headers(client: QStash, endpoint):
    sent = client.message.publish_json(url=endpoint.url("/headers"), body={})
    [delivery] = endpoint.wait_for("/headers")

    assert delivery.verified
    assert delivery.headers["upstash-message-id"] == sent.message_id
    assert delivery.headers["upstash-retried"] == "0"
    assert delivery.headers["upstash-caller-ip"] == "127.0.0.1"
    assert delivery.headers["user-agent"] == "Upstash-QStash"


def test_a_url_group_fans_out_with_its_name_in_each_delivery(client: QStash, endpoint):
    client.url_group.upsert_endpoints(
        "group", [{"url": endpoint.url("/g1")}, {"url": endpoint.url("/g2"), "name": "second"}]
    )
    sent = client.message.publish_json(url_group="group", body={"fan": "out"})

    assert isinstance(sent, list) and len({r.message_id for r in sent}) == 2
    for path in ("/g1", "/g2"):
        [delivery] = endpoint.wait_for(path)
        assert delivery.verified and delivery.headers["upstash-topic-name"] == "group"
