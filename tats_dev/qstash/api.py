"""The QStash HTTP API the ``qstash`` SDK uses, and ``create_app`` that serves it.

This module has publishing (to a URL, a URL group or a queue), messages, the DLQ, logs and
keys; queues, URL groups, schedules and flow control bring their own routes. Response shapes
follow what the SDK 3.4.0 parses (``qstash/message.py``, ``qstash/dlq.py``, ``qstash/log.py``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tats_core.routes import HEALTH_PATH
from tats_core.settings import DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY, DEV_QSTASH_TOKEN
from tats_dev.qstash import clock as clocks
from tats_dev.qstash import events, flow_control, queues, schedule, topics
from tats_dev.qstash.clock import Clock, ShiftedClock
from tats_dev.qstash.delivery import Dispatcher, Transport
from tats_dev.qstash.filters import Filter, parse_filter
from tats_dev.qstash.message import (
    MAX_BODY_BYTES,
    BadRequest,
    Message,
    PayloadTooLarge,
    is_url,
    parse_message,
)
from tats_dev.qstash.queues import Queues
from tats_dev.qstash.schedule import Schedules
from tats_dev.qstash.store import DEAD_LETTER_COLUMNS, MESSAGE_COLUMNS, DeadLetter, Store
from tats_dev.qstash.topics import Topics

MAX_BATCH_BYTES = 64 * MAX_BODY_BYTES
PUBLISH_PREFIX = "/v2/publish/"
ENQUEUE_PREFIX = "/v2/enqueue/"


def create_app(
    *,
    db_path: str,
    token: str = DEV_QSTASH_TOKEN,
    current_signing_key: str = DEV_CURRENT_SIGNING_KEY,
    next_signing_key: str = DEV_NEXT_SIGNING_KEY,
    delay_scale: float = 1.0,
    max_deliveries_in_flight: int = 256,
    clock: Clock | None = None,
) -> ASGIApp:
    """The local QStash server; its lifespan opens ``db_path`` and runs the delivery loop.

    ``delay_scale`` multiplies the default retry backoff (e.g. 0.001 in tests). ``clock`` is
    the one clock of every part (the wall clock by default); a ``ShiftedClock`` also gets the
    test-only ``/dev/clock`` route that moves it.
    """
    clock = Clock() if clock is None else clock

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = Store(db_path)
        app.state.keys = {"current": current_signing_key, "next": next_signing_key}
        transport, dispatcher, schedules = _build(
            app,
            store,
            clock,
            signing_key=current_signing_key,
            delay_scale=delay_scale,
            max_in_flight=max_deliveries_in_flight,
        )
        try:
            async with _loops(clock, dispatcher, schedules):
                yield
        finally:
            await dispatcher.aclose()
            await transport.aclose()
            store.close()

    test_routes = clocks.ROUTES if isinstance(clock, ShiftedClock) else []
    app = Starlette(
        routes=[*ROUTES, *test_routes],
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, BadRequest: _bad_request},
    )
    return _TokenAuth(app, token)


def _build(
    app: Starlette,
    store: Store,
    clock: Clock,
    *,
    signing_key: str,
    delay_scale: float,
    max_in_flight: int,
) -> tuple[Transport, Dispatcher, Schedules]:
    """The server's parts over ``store``, all on ``clock``; the routes find them in
    ``app.state``."""
    app.state.clock, app.state.store = clock, store
    app.state.queues = queue_book = Queues(store, clock)
    app.state.topics = topic_book = Topics(store, clock)
    transport = Transport(connections=max_in_flight)
    app.state.dispatcher = dispatcher = Dispatcher(
        store,
        transport,
        queues=queue_book,
        clock=clock,
        signing_key=signing_key,
        delay_scale=delay_scale,
        max_in_flight=max_in_flight,
    )
    app.state.schedules = schedules = Schedules(store, topic_book, queue_book, clock)
    schedules.on_fired.append(dispatcher.notify)
    return transport, dispatcher, schedules


@contextlib.asynccontextmanager
async def _loops(clock: Clock, dispatcher: Dispatcher, schedules: Schedules) -> AsyncIterator[None]:
    """Run the delivery and schedule loops until the block ends; a jump of the clock wakes
    them."""
    loops = [asyncio.create_task(dispatcher.run()), asyncio.create_task(schedules.run())]
    event_loop = asyncio.get_running_loop()

    def wake() -> None:
        # A jump may come from another thread (a test's): wake both loops on their own.
        event_loop.call_soon_threadsafe(_wake, dispatcher, schedules)

    stop_listening = clock.on_jump(wake)
    try:
        yield
    finally:
        stop_listening()
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


def _wake(dispatcher: Dispatcher, schedules: Schedules) -> None:
    dispatcher.notify()
    schedules.notify()


class _TokenAuth:
    """401 for any ``/v2/`` or ``/dev/`` request without the token (``Authorization: Bearer``
    or query)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._bearer = f"Bearer {token}".encode()
        self._token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        protected = scope["type"] == "http" and scope["path"].startswith(("/v2/", "/dev/"))
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
    return await _publish(request, _destination(request, PUBLISH_PREFIX), queue=None)


async def enqueue(request: Request) -> Response:
    queue, _, destination = _destination(request, ENQUEUE_PREFIX).partition("/")
    if not queue or not destination:
        raise BadRequest("use /v2/enqueue/{queue}/{destination}")
    return await _publish(request, destination, queue=queue)


async def _publish(request: Request, destination: str, *, queue: str | None) -> Response:
    body = await _body(request, MAX_BODY_BYTES)
    now = _now(request)
    message = parse_message(
        destination, body, request.headers, now=now, url_group=not is_url(destination)
    )
    messages = _expand(request, message, queue=queue)
    results = _store(request).add(messages, now=now)
    request.app.state.dispatcher.notify()
    if message.url_group is None and not is_url(destination):  # a URL group: one per endpoint
        return JSONResponse(
            [_published(r, m.destination) for r, m in zip(results, messages, strict=True)],
            status_code=201,
        )
    [(message_id, deduplicated)] = results
    if deduplicated:
        return JSONResponse({"messageId": message_id, "deduplicated": True}, status_code=202)
    return JSONResponse({"messageId": message_id}, status_code=201)


def _destination(request: Request, prefix: str) -> str:
    """The raw path after ``prefix``; the request's query string belongs to the destination."""
    destination = request.scope["raw_path"].decode("latin-1").removeprefix(prefix)
    query = "&".join(
        part
        for part in request.scope["query_string"].decode("latin-1").split("&")
        if part and not part.startswith("qstash_token=")
    )
    return destination + ("?" + query if query else "")


def _expand(request: Request, message: Message, *, queue: str | None) -> list[Message]:
    """Stamp the publisher and queue on ``message`` and fan it out over its URL group."""
    client = request.client
    message = dataclasses.replace(
        message, queue=queue or None, caller_ip=client.host if client else None
    )
    if queue:
        request.app.state.queues.ensure(queue)
    topic_book: Topics = request.app.state.topics
    return topic_book.fan_out(message)


def _published(result: tuple[str, bool], url: str) -> dict[str, Any]:
    message_id, deduplicated = result
    return {"messageId": message_id, "url": url, **({"deduplicated": True} if deduplicated else {})}


async def batch(request: Request) -> Response:
    try:
        items = json.loads(await _body(request, MAX_BATCH_BYTES))
    except ValueError:
        raise BadRequest("the batch body must be a JSON array") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadRequest("the batch body must be a JSON array of objects")
    now, groups = _now(request), []
    for index, item in enumerate(items):
        try:
            body = item.get("body") or ""
            destination = str(item.get("destination", ""))
            message = parse_message(
                destination,
                body.encode() if isinstance(body, str) else bytes(body),
                item.get("headers") or {},
                now=now,
                url_group=not is_url(destination),
            )
            groups.append((is_url(destination), _expand(request, message, queue=item.get("queue"))))
        except BadRequest as exc:
            raise type(exc)(f"message {index}: {exc}") from None
    results = iter(_store(request).add([m for _, group in groups for m in group], now=now))
    request.app.state.dispatcher.notify()
    answer: list[Any] = []
    for single, group in groups:
        answered = [_published(next(results), m.destination) for m in group]
        if single:
            del answered[0]["url"]
            answer.append(answered[0])
        else:
            answer.append(answered)
    return JSONResponse(answer)


async def get_message(request: Request) -> Response:
    message = _store(request).get(request.path_params["message_id"], now=_now(request))
    if message is None:
        raise HTTPException(404, "message not found (delivered, cancelled or unknown)")
    return JSONResponse(_message_json(message))


async def cancel_message(request: Request) -> Response:
    only = Filter(ids=(request.path_params["message_id"],), ids_given=True)
    if not _store(request).cancel(only, now=_now(request)):
        raise HTTPException(404, "message not found (delivered, cancelled or unknown)")
    return JSONResponse({"cancelled": 1})


async def cancel_messages(request: Request) -> Response:
    """By ids, by filters (AND of ORs), or everything when neither is given."""
    selection = await _filter(request, ids_name="messageIds", known=MESSAGE_COLUMNS)
    return JSONResponse({"cancelled": _store(request).cancel(selection, now=_now(request))})


async def list_dead_letters(request: Request) -> Response:
    selection = parse_filter(
        request.query_params.multi_items(), b"", ids_name="dlqIds", known=DEAD_LETTER_COLUMNS
    )
    params = request.query_params
    try:
        after = int(params.get("cursor", "0") or "0")
    except ValueError:
        raise BadRequest("cursor must be an integer") from None
    count = min(100, selection.count or 100)
    page, cursor = _store(request).dead_letters(selection, after=after, count=count)
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
    only = Filter(ids=(request.path_params["dlq_id"],), ids_given=True)
    if not _store(request).delete_dead_letters(only):
        raise HTTPException(404, "DLQ message not found")
    return Response(status_code=200)


async def delete_dead_letters(request: Request) -> Response:
    selection = await _filter(request, ids_name="dlqIds", known=DEAD_LETTER_COLUMNS)
    return JSONResponse({"deleted": _store(request).delete_dead_letters(selection)})


async def retry_dead_letter(request: Request) -> Response:
    only = Filter(ids=(request.path_params["dlq_id"],), ids_given=True)
    new_ids = _store(request).retry_dead_letters(only, now=_now(request))
    if not new_ids:
        raise HTTPException(404, "DLQ message not found")
    request.app.state.dispatcher.notify()
    return JSONResponse({"messageId": new_ids[0]})


async def retry_dead_letters(request: Request) -> Response:
    selection = await _filter(request, ids_name="dlqIds", known=DEAD_LETTER_COLUMNS)
    new_ids = _store(request).retry_dead_letters(selection, now=_now(request))
    request.app.state.dispatcher.notify()
    return JSONResponse({"responses": [{"messageId": i} for i in new_ids]})


async def list_events(request: Request) -> Response:
    selection = parse_filter(
        request.query_params.multi_items(), b"", ids_name="messageIds", known=events.COLUMNS
    )
    try:
        cursor = int(request.query_params["cursor"]) if request.query_params.get("cursor") else None
    except ValueError:
        raise BadRequest("cursor must be an integer") from None
    page, next_cursor = events.list_events(
        _store(request).db, selection, cursor=cursor, count=selection.count
    )
    response: dict[str, Any] = {"events": page}
    if next_cursor is not None:
        response["cursor"] = str(next_cursor)
    return JSONResponse(response)


async def _filter(request: Request, *, ids_name: str, known: dict[str, str]) -> Filter:
    return parse_filter(
        request.query_params.multi_items(), await request.body(), ids_name=ids_name, known=known
    )


async def signing_keys(request: Request) -> Response:
    return JSONResponse(request.app.state.keys)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route(HEALTH_PATH, health),
    Route("/v2/publish/{destination:path}", publish, methods=["POST"]),
    Route("/v2/enqueue/{destination:path}", enqueue, methods=["POST"]),
    Route("/v2/batch", batch, methods=["POST"]),
    Route("/v2/events", list_events, methods=["GET"]),
    Route("/v2/messages/{message_id}", get_message, methods=["GET"]),
    Route("/v2/messages/{message_id}", cancel_message, methods=["DELETE"]),
    Route("/v2/messages", cancel_messages, methods=["DELETE"]),
    Route("/v2/dlq", list_dead_letters, methods=["GET"]),
    Route("/v2/dlq", delete_dead_letters, methods=["DELETE"]),
    Route("/v2/dlq/retry", retry_dead_letters, methods=["POST"]),
    Route("/v2/dlq/retry/{dlq_id}", retry_dead_letter, methods=["POST"]),
    Route("/v2/dlq/{dlq_id}", get_dead_letter, methods=["GET"]),
    Route("/v2/dlq/{dlq_id}", delete_dead_letter, methods=["DELETE"]),
    Route("/v2/keys", signing_keys, methods=["GET"]),
    *queues.ROUTES,
    *topics.ROUTES,
    *schedule.ROUTES,
    *flow_control.ROUTES,
]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _now(request: Request) -> float:
    clock: Clock = request.app.state.clock
    return clock.now()


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
        "topicName": m.url_group,
        "endpointName": m.endpoint_name,
        "queueName": m.queue,
        "scheduleId": m.schedule_id,
        "callerIP": m.caller_ip,
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
