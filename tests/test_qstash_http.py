"""TATS's own QStash calls: every answer classified once, into one ``QueueError``."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tats_core.errors import QueueError
from tats_core.processing.qstash_http import QStashHttp
from tests.servers import free_port, serve

TOKEN = "secret-token-123"


async def scripted(request: Request) -> Response:
    status = int(request.path_params["status"])
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return Response('{"error": "unauthorized"}', 401)
    body = "not json" if status == 299 else '{"ok": true}'
    return Response(body, 200 if status == 299 else status, media_type="application/json")


@pytest.fixture(scope="module")
def url():
    with serve(Starlette(routes=[Route("/s/{status}", scripted, methods=["GET"])])) as base:
        yield base


def call(url: str, status: int, token: str = TOKEN):
    return QStashHttp(url, token, timeout=5).request("GET", f"/s/{status}", what="do it")


def test_a_success_is_its_json(url):
    assert call(url, 200) == {"ok": True}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_transient(url, status):
    with pytest.raises(QueueError) as caught:
        call(url, status)
    assert caught.value.transient and f"HTTP {status}" in str(caught.value)


def test_a_refusal_is_permanent(url):
    with pytest.raises(QueueError) as caught:
        call(url, 400)
    assert not caught.value.transient and "could not do it" in str(caught.value)


def test_a_wrong_token_names_the_setting_and_never_the_token(url):
    with pytest.raises(QueueError) as caught:
        call(url, 200, token="wrong-token-456")
    assert "QSTASH_TOKEN" in str(caught.value) and "wrong-token-456" not in str(caught.value)
    assert "wrong-token-456" not in repr(QStashHttp(url, "wrong-token-456", timeout=1))


def test_an_unreadable_answer_and_a_closed_port(url):
    with pytest.raises(QueueError, match="unreadable answer"):
        call(url, 299)
    with pytest.raises(QueueError, match="not reachable") as caught:
        call(f"http://127.0.0.1:{free_port()}", 200)
    assert caught.value.transient
