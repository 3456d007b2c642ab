"""The QStash HTTP API subset the ``qstash`` SDK uses, and ``create_app`` that serves it.

Response shapes follow what the SDK 3.4.0 parses (``qstash/message.py``, ``qstash/dlq.py``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tats_core.settings import DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY, DEV_QSTASH_TOKEN
from tats_dev.qstash.delivery import Dispatcher, Transport
from tats_dev.qstash.message import (
    MAX_BODY_BYTES,
    BadRequest,
    Message,
    PayloadTooLarge,
    new_message_id,
    parse_message,
)
from tats_dev.qstash.store import DeadLetter, Store

MAX_BATCH_BYTES = 64 * MAX_BODY_BYTES
PUBLISH_PREFIX = "/v2/publish/"


def create_app(
    *,
    db_path: str,
    token: str = DEV_QSTASH_TOKEN,
    current_signing_key: str = DEV_CURRENT_SIGNING_KEY,
    next_signing_key: str = DEV_NEXT_SIGNING_KEY,
    delay_scale: float = 1.0,
    max_deliveries_in_flight: int = 256,
) -> ASGIApp:
    """The local QStash server; its lifespan opens ``db_path`` and runs the delivery loop.

    ``delay_scale`` multiplies the default retry backoff (e.g. 0.001 in tests).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = Store(db_path)
        transport = Transport(connections=max_deliveries_in_flight)
        dispatcher = Dispatcher(
            store,
            transport,
            signing_key=current_signing_key,
            delay_scale=delay_scale,
            max_in_flight=max_deliveries_in_flight,
        )
        app.state.store, app.state.dispatcher = store, dispatcher
        app.state.keys = {"current": current_signing_key, "next": next_signing_key}
        loop = asyncio.create_task(dispatcher.run())
        try:
            yield
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
            await dispatcher.aclose()
            await transport.aclose()
            store.close()

    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, BadRequest: _bad_request},
    )
    return _TokenAuth(app, token)


class _TokenAuth:
    """401 for any ``/v2/`` request without the token (``Authorization: Bearer`` or query)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._bearer = f"Bearer {token}".encode()
        self._token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        protected = scope["type"] == "http" and scope["path"].startswith("/v2/")
        if protected and not self._authorized(scope):
            error = {"error": "Unauthorized: missing or wrong QStash token"}
            await JSONResponse(error, status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        if hmac.compare_digest(header, self._bearer):
            return True
        query = parse_qs(scope["query_string"].decode("latin-1"))
        return any(hmac.compare_digest(t, self._token) for t in query.get("qstash_token", []))


async def publish(request: Request) -> Response:
    # The destination is pasted raw after the prefix, and the request's query string is its own.
    destination = request.scope["raw_path"].decode("latin-1").removeprefix(PUBLISH_PREFIX)
    query = "&".join(
        part
        for part in request.scope["query_string"].decode("latin-1").split("&")
        if part and not part.startswith("qstash_token=")
    )
    if query:
        destination += "?" + query
    body = await _body(request, MAX_BODY_BYTES)
    now = time.time()
    message = parse_message(destination, body, request.headers, now=now)
    [(message_id, deduplicated)] = _store(request).add([message], now=now)
    request.app.state.dispatcher.notify()
    if deduplicated:
        return JSONResponse({"messageId": message_id, "deduplicated": True}, status_code=202)
    return JSONResponse({"messageId": message_id}, status_code=201)


async def batch(request: Request) -> Response:
    try:
        items = json.loads(await _body(request, MAX_BATCH_BYTES))
    except ValueError:
        raise BadRequest("the batch body must be a JSON array") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadRequest("the batch body must be a JSON array of objects")
    now, messages = time.time(), []
    for index, item in enumerate(items):
        try:
            if item.get("queue"):
                raise BadRequest("queues are not supported by the local server")
            body = item.get("body") or ""
            message = parse_message(
                str(item.get("destination", "")),
                body.encode() if isinstance(body, str) else bytes(body),
                item.get("headers") or {},
                now=now,
            )
        except BadRequest as exc:
            raise type(exc)(f"message {index}: {exc}") from None
        messages.append(message)
    results = _store(request).add(messages, now=now)
    request.app.state.dispatcher.notify()
    return JSONResponse(
        [{"messageId": i, **({"deduplicated": True} if dup else {})} for i, dup in results]
    )


async def get_message(request: Request) -> Response:
    message = _store(request).get(request.path_params["message_id"])
    if message is None:
        raise HTTPException(404, "message not found (delivered, cancelled or unknown)")
    return JSONResponse(_message_json(message))


async def cancel_message(request: Request) -> Response:
    if not _store(request).cancel([request.path_params["message_id"]]):
        raise HTTPException(404, "message not found (delivered, cancelled or unknown)")
    return Response(status_code=202)


async def cancel_messages(request: Request) -> Response:
    body = await request.body()
    ids = json.loads(body).get("messageIds") if body else None
    return JSONResponse({"cancelled": _store(request).cancel(ids)})


async def list_dead_letters(request: Request) -> Response:
    params = request.query_params
    filters: dict[str, Any] = {
        column: params[name]
        for name, column in (("messageId", "message_id"), ("url", "url"), ("label", "label"))
        if name in params
    }
    try:
        if "responseStatus" in params:
            filters["response_status"] = int(params["responseStatus"])
        after = int(params.get("cursor", "0"))
        count = min(100, max(1, int(params.get("count", "100"))))
    except ValueError:
        raise BadRequest("cursor, count and responseStatus must be integers") from None
    page, cursor = _store(request).dead_letters(after=after, count=count, filters=filters)
    response: dict[str, Any] = {"messages": [_dead_letter_json(d) for d in page]}
    if cursor is not None:
        response["cursor"] = str(cursor)
    return JSONResponse(response)


async def get_dead_letter(request: Request) -> Response:
    dead = _store(request).get_dead_letter(request.path_params["dlq_id"])
    if dead is None:
        raise HTTPException(404, "DLQ message not found")
    return JSONResponse(_dead_letter_json(dead))


async def delete_dead_letter(request: Request) -> Response:
    if not _store(request).delete_dead_letters([request.path_params["dlq_id"]]):
        raise HTTPException(404, "DLQ message not found")
    return Response(status_code=200)


async def delete_dead_letters(request: Request) -> Response:
    ids = json.loads(await request.body() or b"{}").get("dlqIds") or []
    return JSONResponse({"deleted": _store(request).delete_dead_letters(ids)})


async def retry_dead_letter(request: Request) -> Response:
    new_id = new_message_id()
    if not _store(request).retry_dead_letter(
        request.path_params["dlq_id"], new_id=new_id, now=time.time()
    ):
        raise HTTPException(404, "DLQ message not found")
    request.app.state.dispatcher.notify()
    return JSONResponse({"messageId": new_id})


async def signing_keys(request: Request) -> Response:
    return JSONResponse(request.app.state.keys)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/healthz", health),
    Route("/v2/publish/{destination:path}", publish, methods=["POST"]),
    Route("/v2/batch", batch, methods=["POST"]),
    Route("/v2/messages/{message_id}", get_message, methods=["GET"]),
    Route("/v2/messages/{message_id}", cancel_message, methods=["DELETE"]),
    Route("/v2/messages", cancel_messages, methods=["DELETE"]),
    Route("/v2/dlq", list_dead_letters, methods=["GET"]),
    Route("/v2/dlq", delete_dead_letters, methods=["DELETE"]),
    Route("/v2/dlq/retry/{dlq_id}", retry_dead_letter, methods=["POST"]),
    Route("/v2/dlq/{dlq_id}", get_dead_letter, methods=["GET"]),
    Route("/v2/dlq/{dlq_id}", delete_dead_letter, methods=["DELETE"]),
    Route("/v2/keys", signing_keys, methods=["GET"]),
]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    return body


def _message_json(m: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "messageId": m.id,
        "url": m.destination,
        "method": m.method,
        "header": {name: [value] for name, value in m.headers.items()},
        "maxRetries": m.max_retries,
        "notBefore": int(m.due_at * 1000),
        "createdAt": int(m.created_at * 1000),
        "callback": m.callback,
        "failureCallback": m.failure_callback,
        "callbackHeader": {k: [v] for k, v in m.callback_headers.items()} or None,
        "failureCallbackHeader": {k: [v] for k, v in m.failure_callback_headers.items()} or None,
        "retryDelayExpression": m.retry_delay,
        "label": m.label,
        **_body_json(m.body, "body", "bodyBase64"),
    }
    if m.flow_key is not None:
        data.update(flowControlKey=m.flow_key, parallelism=m.parallelism, rate=m.rate)
        data["period"] = int(m.period) if m.period is not None else None
    return {key: value for key, value in data.items() if value is not None}


def _dead_letter_json(dead: DeadLetter) -> dict[str, Any]:
    response = dead.response
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers.setdefault(name, []).append(value)
    # With no response at all (timeout, refused connection) the reason stands in for a body.
    body = response.body or (response.error or "").encode()
    return {
        **_message_json(dead.message),
        "dlqId": dead.dlq_id,
        "responseStatus": response.status,
        "responseHeader": headers,
        **_body_json(body, "responseBody", "responseBodyBase64"),
    }


def _body_json(body: bytes, text_key: str, base64_key: str) -> dict[str, str]:
    try:
        return {text_key: body.decode()}
    except UnicodeDecodeError:
        return {base64_key: base64.b64encode(body).decode()}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code)


async def _bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    return JSONResponse({"error": str(exc)}, status_code=exc.status)
