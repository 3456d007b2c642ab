"""The local QStash server, driven by the real ``qstash`` SDK, delivering to a real endpoint.

The endpoint is a small Starlette app on loopback that checks every delivery with
``qstash.Receiver`` (as the worker does) and can be scripted to fail, sleep or answer 489.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from qstash import QStash, Receiver
from qstash.errors import QStashError, SignatureError
from qstash.log import LogState
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tats_core.routes import HEALTH_PATH
from tats_dev.qstash.clock import ShiftedClock
from tats_dev.qstash.store import DELIVERED_RETENTION
from tats_dev.qstash_server import (
    DEV_CURRENT_SIGNING_KEY,
    DEV_NEXT_SIGNING_KEY,
    DEV_TOKEN,
    create_app,
)
from tests.servers import free_port, serve

REPO_ROOT = Path(__file__).resolve().parents[1]
RECEIVER = Receiver(
    current_signing_key=DEV_CURRENT_SIGNING_KEY, next_signing_key=DEV_NEXT_SIGNING_KEY
)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    sleep: float = 0.0


@dataclass
class Delivery:
    url: str
    method: str
    headers: httpx.Headers
    body: bytes
    received_at: float
    verified: bool

    @property
    def json(self) -> object:
        return json.loads(self.body)


class Endpoint:
    """A receiving endpoint that verifies and records every delivery; replies as scripted."""

    def __init__(self) -> None:
        self.base_url = ""
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=_METHODS)])
        self._deliveries: dict[str, list[Delivery]] = defaultdict(list)
        self._replies: dict[str, list[Reply]] = defaultdict(list)
        self.delay: dict[str, float] = {}
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.base_url + path

    def script(self, path: str, *replies: Reply) -> None:
        """The next replies for ``path``, in order; after them every delivery gets 200."""
        self._replies[path].extend(replies)

    def on(self, path: str) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries[path])

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        wait_until(lambda: len(self.on(path)) >= count, timeout, f"{count} deliveries to {path}")
        return self.on(path)

    async def _handle(self, request: Request) -> Response:
        path, body = request.url.path, await request.body()
        url = self.url(path) + (f"?{request.url.query}" if request.url.query else "")
        try:
            RECEIVER.verify(
                signature=request.headers["upstash-signature"], body=body.decode(), url=url
            )
            verified = True
        except (KeyError, SignatureError):
            verified = False
        with self._lock:
            delivery = Delivery(url, request.method, request.headers, body, time.time(), verified)
            self._deliveries[path].append(delivery)
            reply = self._replies[path].pop(0) if self._replies[path] else Reply()
            self.in_flight[path] += 1
            self.max_in_flight[path] = max(self.max_in_flight[path], self.in_flight[path])
        try:
            await asyncio.sleep(reply.sleep or self.delay.get(path, 0.0))
        finally:
            with self._lock:
                self.in_flight[path] -= 1
        return Response(reply.body, status_code=reply.status, headers=reply.headers)


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    receiver = Endpoint()
    with serve(receiver.app) as url:
        receiver.base_url = url
        yield receiver


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    app = create_app(db_path=str(tmp_path / "qstash.db"), delay_scale=0.001)
    with serve(app) as url:
        yield url


@pytest.fixture
def client(server: str) -> QStash:
    return QStash(DEV_TOKEN, base_url=server, retry=False)


# A shifted server's clock starts this far behind the wall clock, so that after a test moves it
# forward by up to as much, its deliveries are still signed in the receiver's past (a signature
# from the future is refused) and within the signature's 300 s lifetime.
LAG = 200.0


@dataclass
class ShiftedServer:
    url: str
    clock: ShiftedClock
    client: QStash


@pytest.fixture
def shifted(tmp_path: Path) -> Iterator[ShiftedServer]:
    """A server on a ``ShiftedClock`` that the test moves forward instead of waiting."""
    clock = ShiftedClock(-LAG)
    app = create_app(db_path=str(tmp_path / "qstash.db"), delay_scale=0.001, clock=clock)
    with serve(app) as url:
        yield ShiftedServer(url, clock, QStash(DEV_TOKEN, base_url=url, retry=False))


def test_publish_json_is_delivered_signed_byte_for_byte(client: QStash, endpoint: Endpoint):
    url = endpoint.url("/api/process?job=7")
    sent = client.message.publish_json(
        url=url, body={"candidateId": 42}, headers={"X-Trace": "t-1"}
    )

    [delivery] = endpoint.wait_for("/api/process")
    assert delivery.verified
    assert delivery.url == url
    assert delivery.method == "POST"
    assert delivery.body == json.dumps({"candidateId": 42}).encode()
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["user-agent"] == "Upstash-QStash"
    assert delivery.headers["upstash-message-id"] == sent.message_id
    assert delivery.headers["upstash-retried"] == "0"
    assert delivery.headers["x-trace"] == "t-1"


def test_batch_json_delivers_every_message_once(client: QStash, endpoint: Endpoint):
    sent = client.message.batch_json(
        [{"url": endpoint.url(f"/batch/{i}"), "body": {"i": i}} for i in range(5)]
    )

    assert len({r.message_id for r in sent}) == 5
    for i, response in enumerate(sent):
        [delivery] = endpoint.wait_for(f"/batch/{i}")
        assert delivery.verified and delivery.json == {"i": i}
        assert delivery.headers["upstash-message-id"] == response.message_id


def test_duplicate_publish_is_answered_202_and_delivered_once(
    client: QStash, server: str, endpoint: Endpoint
):
    first = client.message.publish_json(url=endpoint.url("/dup"), body=1, deduplication_id="d1")
    again = client.message.publish_json(url=endpoint.url("/dup"), body=2, deduplication_id="d1")
    raw = httpx.post(
        f"{server}/v2/publish/{endpoint.url('/dup')}",
        headers={"Authorization": f"Bearer {DEV_TOKEN}", "Upstash-Deduplication-Id": "d1"},
        content=b"3",
    )
    by_content = [
        client.message.publish_json(
            url=endpoint.url("/same"), body={"a": 1}, content_based_deduplication=True
        )
        for _ in range(2)
    ]

    assert (again.message_id, again.deduplicated) == (first.message_id, True)
    assert raw.status_code == 202
    assert raw.json() == {"messageId": first.message_id, "deduplicated": True}
    assert by_content[1].deduplicated and by_content[1].message_id == by_content[0].message_id
    endpoint.wait_for("/dup")
    endpoint.wait_for("/same")
    client.message.publish_json(url=endpoint.url("/sentinel"), body=0)
    endpoint.wait_for("/sentinel")
    assert [d.body for d in endpoint.on("/dup")] == [b"1"]
    assert len(endpoint.on("/same")) == 1


def test_a_message_can_be_read_and_cancelled_before_delivery(
    shifted: ShiftedServer, endpoint: Endpoint
):
    client = shifted.client
    sent = client.message.publish_json(url=endpoint.url("/cancelled"), body={"x": 1}, delay=1)
    sentinel_sent = client.message.publish_json(url=endpoint.url("/kept"), body={}, delay=1)

    message = client.message.get(sent.message_id)
    assert message.url == endpoint.url("/cancelled")
    assert message.body == '{"x": 1}' and message.method == "POST"
    assert message.not_before >= message.created_at + 1000
    client.message.cancel(sent.message_id)

    with pytest.raises(QStashError, match="404"):
        client.message.get(sent.message_id)
    with pytest.raises(QStashError, match="404"):
        client.message.cancel(sent.message_id)
    shifted.clock.advance(1)
    [kept] = endpoint.wait_for("/kept")
    assert kept.headers["upstash-message-id"] == sentinel_sent.message_id
    assert endpoint.on("/cancelled") == []


def test_signature_does_not_verify_a_changed_body_or_url(client: QStash, endpoint: Endpoint):
    client.message.publish_json(url=endpoint.url("/signed"), body={"candidateId": 1})
    [delivery] = endpoint.wait_for("/signed")
    signature, body = delivery.headers["upstash-signature"], delivery.body.decode()

    RECEIVER.verify(signature=signature, body=body, url=delivery.url)
    # (The Receiver reports the last key it tried, so the messages do not name the cause.)
    with pytest.raises(SignatureError):
        RECEIVER.verify(signature=signature, body=body.replace("1", "2"), url=delivery.url)
    with pytest.raises(SignatureError):
        RECEIVER.verify(signature=signature, body=body, url=delivery.url + "/other")
    with pytest.raises(SignatureError):
        Receiver("sig_" + "a" * 28, "sig_" + "b" * 28).verify(signature=signature, body=body)


def test_failed_deliveries_are_retried_until_one_succeeds(
    shifted: ShiftedServer, endpoint: Endpoint
):
    client = shifted.client
    endpoint.script("/flaky", Reply(500), Reply(503))
    sent = client.message.publish_json(url=endpoint.url("/flaky"), body={"n": 1})

    deliveries = endpoint.wait_for("/flaky", 3)
    assert [d.headers["upstash-retried"] for d in deliveries] == ["0", "1", "2"]
    assert {d.headers["upstash-message-id"] for d in deliveries} == {sent.message_id}
    assert all(d.verified and d.body == b'{"n": 1}' for d in deliveries)
    wait_until(lambda: _logged(client, sent.message_id, LogState.DELIVERED), 5, "the delivery")
    shifted.clock.advance(DELIVERED_RETENTION)  # a delivered message stays readable this long
    assert _get_status(client, sent.message_id) == 404


def test_exhausted_retries_dead_letter_and_call_the_failure_callback(
    client: QStash, endpoint: Endpoint
):
    endpoint.script("/broken", *[Reply(500, body=b"boom")] * 3)
    sent = client.message.publish_json(
        url=endpoint.url("/broken"),
        body={"candidateId": 9},
        retries=2,
        failure_callback=endpoint.url("/failed"),
    )

    [callback] = endpoint.wait_for("/failed")
    assert len(endpoint.on("/broken")) == 3
    assert callback.verified
    payload = callback.json
    assert isinstance(payload, dict)
    assert json.loads(base64.b64decode(payload["sourceBody"])) == {"candidateId": 9}
    assert base64.b64decode(payload["body"]) == b"boom"
    assert payload["sourceMessageId"] == sent.message_id
    assert (payload["status"], payload["retried"], payload["maxRetries"]) == (500, 2, 2)
    assert payload["url"] == endpoint.url("/broken")
    [dead] = client.dlq.list().messages
    assert (dead.message_id, dead.dlq_id) == (sent.message_id, payload["dlqId"])
    assert (dead.response_status, dead.response_body) == (500, "boom")


def test_a_489_non_retryable_answer_dead_letters_at_once(client: QStash, endpoint: Endpoint):
    endpoint.script("/fatal", Reply(489, headers={"Upstash-NonRetryable-Error": "true"}))
    sent = client.message.publish_json(
        url=endpoint.url("/fatal"), body={}, retries=3, failure_callback=endpoint.url("/failed")
    )

    [callback] = endpoint.wait_for("/failed")
    assert callback.json["sourceMessageId"] == sent.message_id  # type: ignore[index]
    assert len(endpoint.on("/fatal")) == 1
    assert [m.response_status for m in client.dlq.list().messages] == [489]


def test_a_dead_letter_can_be_retried_or_deleted(client: QStash, server: str, endpoint: Endpoint):
    for path in ("/later", "/gone"):
        endpoint.script(path, Reply(500))
        client.message.publish_json(url=endpoint.url(path), body={"p": path}, retries=0)
    wait_until(lambda: len(client.dlq.list().messages) == 2, 5, "two dead letters")
    by_url = {m.url: m for m in client.dlq.list().messages}

    retried = httpx.post(
        f"{server}/v2/dlq/retry/{by_url[endpoint.url('/later')].dlq_id}",
        headers={"Authorization": f"Bearer {DEV_TOKEN}"},
    )
    client.dlq.delete(by_url[endpoint.url("/gone")].dlq_id)

    assert retried.status_code == 200
    deliveries = endpoint.wait_for("/later", 2)
    assert deliveries[-1].headers["upstash-message-id"] == retried.json()["messageId"]
    assert client.dlq.list().messages == []


def test_a_delivery_that_times_out_is_retried(client: QStash, endpoint: Endpoint):
    endpoint.script("/slow", Reply(sleep=1.5))
    client.message.publish_json(url=endpoint.url("/slow"), body={}, timeout="1s")

    first, second = endpoint.wait_for("/slow", 2)
    assert second.headers["upstash-retried"] == "1"
    assert second.received_at - first.received_at >= 0.9  # the server gave up after 1 s


def test_success_callback_receives_the_response(client: QStash, endpoint: Endpoint):
    endpoint.script("/work", Reply(201, body=b"done"))
    sent = client.message.publish_json(
        url=endpoint.url("/work"), body={"a": 1}, callback=endpoint.url("/callback")
    )

    [callback] = endpoint.wait_for("/callback")
    assert callback.verified
    payload = callback.json
    assert isinstance(payload, dict)
    assert (payload["status"], payload["sourceMessageId"]) == (201, sent.message_id)
    assert base64.b64decode(payload["body"]) == b"done"


def test_flow_control_bounds_parallelism_per_key(client: QStash, endpoint: Endpoint):
    endpoint.delay["/limited"] = 0.2
    client.message.batch_json(
        [
            {
                "url": endpoint.url("/limited"),
                "body": {"i": i},
                "flow_control": {"key": "worker", "parallelism": 2},
            }
            for i in range(6)
        ]
    )

    endpoint.wait_for("/limited", 6)
    assert endpoint.max_in_flight["/limited"] == 2


def test_a_wrong_or_missing_token_is_refused(server: str, endpoint: Endpoint):
    wrong = QStash("not-the-token", base_url=server, retry=False)
    with pytest.raises(QStashError, match="401"):
        wrong.message.publish_json(url=endpoint.url("/nope"), body={})
    missing = httpx.get(f"{server}/v2/keys")
    assert missing.status_code == 401 and "error" in missing.json()

    by_query = httpx.post(
        f"{server}/v2/publish/{endpoint.url('/ok')}", params={"qstash_token": DEV_TOKEN}
    )
    assert by_query.status_code == 201
    [delivery] = endpoint.wait_for("/ok")
    assert delivery.url == endpoint.url("/ok")  # the token is not part of the destination
    assert endpoint.on("/nope") == []


def test_bad_publish_requests_are_rejected(server: str, client: QStash):
    auth = {"Authorization": f"Bearer {DEV_TOKEN}"}
    too_big = httpx.post(
        f"{server}/v2/publish/http://127.0.0.1:9/x", headers=auth, content=b"x" * (1024 * 1024 + 1)
    )
    assert too_big.status_code == 413
    for headers in (
        {"Upstash-Retry-Delay": "__import__('os').system('true')"},
        {"Upstash-Delay": "soon"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "parallelism=0"},
    ):
        bad = httpx.post(f"{server}/v2/publish/http://127.0.0.1:9/x", headers={**auth, **headers})
        assert bad.status_code == 400 and bad.json()["error"]
    with pytest.raises(QStashError, match="400"):
        client.message.publish_json(url="not-a-url", body={})


def test_signing_keys_endpoint_returns_the_dev_keys(client: QStash):
    keys = client.signing_key.get()
    assert (keys.current, keys.next) == (DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY)


def test_each_attempt_is_logged_once_without_secrets(
    client: QStash, endpoint: Endpoint, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="tats_dev.qstash")
    endpoint.script("/logged", Reply(500))
    sent = client.message.publish_json(url=endpoint.url("/logged"), body={})
    endpoint.wait_for("/logged", 2)
    wait_until(lambda: len(_lines(caplog, sent.message_id)) == 2, 5, "two log lines")

    first, second = _lines(caplog, sent.message_id)
    assert "attempt=1" in first and "500" in first and endpoint.url("/logged") in first
    assert "attempt=2" in second and "200" in second
    for secret in (DEV_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY):
        assert secret not in caplog.text


def test_every_accepted_message_survives_a_kill_and_restart(endpoint: Endpoint, tmp_path: Path):
    port, db = free_port(), tmp_path / "qstash.db"
    endpoint.delay["/durable"] = 0.02  # with parallelism 4: at most 200 deliveries a second
    flow = {"key": "durable", "parallelism": 4}
    process = _start_server(port, db)
    try:
        client = QStash(DEV_TOKEN, base_url=f"http://127.0.0.1:{port}", retry=False)
        accepted = [
            response.message_id
            for chunk in range(3)
            for response in client.message.batch_json(
                [
                    {
                        "url": endpoint.url("/durable"),
                        "body": {"n": chunk * 50 + i},
                        "flow_control": flow,
                    }
                    for i in range(50)
                ]
            )
        ]
        endpoint.wait_for("/durable", 20)
        process.send_signal(signal.SIGKILL)
        process.wait()
        delivered_before_restart = _delivered_ids(endpoint)
        assert len(delivered_before_restart) < len(accepted)  # it really died mid-run

        process = _start_server(port, db)
        wait_until(lambda: _delivered_ids(endpoint) >= set(accepted), 20, "every accepted message")
    finally:
        process.kill()
        process.wait()
    assert all(d.verified for d in endpoint.on("/durable"))


def _start_server(port: int, db: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tats_dev.qstash_server", "--port", str(port), "--db", str(db)]
    command += ["--delay-scale", "0.001", "--log-level", "warning", *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(command, env=env)

    def ready() -> bool:
        assert process.poll() is None, "the server process exited"
        try:
            return httpx.get(f"http://127.0.0.1:{port}{HEALTH_PATH}").status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, 15, "the server to start")
    return process


def _delivered_ids(endpoint: Endpoint) -> set[str]:
    return {d.headers["upstash-message-id"] for d in endpoint.on("/durable")}


def _logged(client: QStash, message_id: str, state: LogState) -> bool:
    logs = client.log.list(filter={"message_id": message_id, "state": state}).logs
    return bool(logs)


def _get_status(client: QStash, message_id: str) -> int:
    try:
        client.message.get(message_id)
    except QStashError as exc:
        return 404 if "404" in str(exc) else 500
    return 200


def _lines(caplog: pytest.LogCaptureFixture, message_id: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if message_id in r.getMessage()]
