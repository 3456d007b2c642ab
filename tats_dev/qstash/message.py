"""A message as the local server keeps it, built from a publish request's ``Upstash-*`` headers.

The same parser serves ``POST /v2/publish/...`` (real HTTP headers) and ``POST /v2/batch``
(a JSON object of headers per message), so both honour exactly the same options.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from tats_dev.qstash.backoff import ExpressionError, compile_retry_delay, parse_duration

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 30.0
DEDUPLICATION_WINDOW = 600.0
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# Options QStash reads under the callback prefixes; every other suffix is a header to forward.
_CALLBACK_OPTIONS = frozenset({"retries", "retry-delay", "timeout", "delay", "method"})


class BadRequest(ValueError):
    """The publish request cannot be accepted; the message is returned to the publisher."""

    status = 400


class PayloadTooLarge(BadRequest):
    status = 413


@dataclass(frozen=True)
class Message:
    id: str
    destination: str
    method: str
    headers: dict[str, str]  # sent with every delivery, Content-Type included
    body: bytes
    max_retries: int
    retry_delay: str | None
    callback: str | None
    failure_callback: str | None
    callback_headers: dict[str, str]
    failure_callback_headers: dict[str, str]
    timeout: float
    flow_key: str | None
    parallelism: int | None
    rate: int | None
    period: float | None
    label: str | None
    created_at: float
    due_at: float  # unix seconds of the next attempt (the first one: the not-before time)
    retried: int = 0
    queue: str | None = None  # the queue it was enqueued to
    url_group: str | None = None  # the URL group (topic) it was published to
    endpoint_name: str | None = None  # the name of its endpoint within that URL group
    schedule_id: str | None = None  # the schedule that created it
    caller_ip: str | None = None  # the publisher's address
    dedup_key: str | None = field(default=None, compare=False)

    @property
    def labels(self) -> list[str]:
        """``Upstash-Label: a,b`` gives a message the labels ``a`` and ``b``."""
        return split_labels(self.label)


@dataclass(frozen=True)
class Response:
    """What a destination answered to one delivery attempt (status 0: no answer at all)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    error: str | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def split_labels(label: str | None) -> list[str]:
    return [part.strip() for part in (label or "").split(",") if part.strip()]


def is_url(destination: str) -> bool:
    return re.match(r"https?://[^/]", destination, re.IGNORECASE) is not None


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def canonical_header(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def parse_message(
    destination: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float,
    url_group: bool = False,
) -> Message:
    """Build a message from a publish request; raises ``BadRequest`` with a reason.

    ``destination`` is a URL, or the name of a URL group when ``url_group`` is true (the
    caller then copies the message to each endpoint).
    """
    h = {name.lower(): value for name, value in headers.items()}
    if not url_group:
        _require_url(destination, "destination")
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"message body is larger than {MAX_BODY_BYTES} bytes")
    for name in ("upstash-callback", "upstash-failure-callback"):
        if name in h:
            _require_url(h[name], canonical_header(name))
    forwarded = _forwarded(h)
    flow_key, parallelism, rate, period = _flow_control(h)
    return Message(
        id=new_message_id(),
        destination=destination,
        method=_method(h),
        headers=forwarded,
        body=body,
        max_retries=_integer(h, "upstash-retries", DEFAULT_RETRIES),
        retry_delay=_retry_delay(h),
        callback=h.get("upstash-callback"),
        failure_callback=h.get("upstash-failure-callback"),
        callback_headers=_prefixed(h, "upstash-callback-"),
        failure_callback_headers=_prefixed(h, "upstash-failure-callback-"),
        timeout=_duration(h, "upstash-timeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT,
        flow_key=flow_key,
        parallelism=parallelism,
        rate=rate,
        period=period,
        label=h.get("upstash-label"),
        created_at=now,
        due_at=_due_at(h, now),
        dedup_key=_dedup_key(h, destination, body, forwarded),
    )


def _method(h: Mapping[str, str]) -> str:
    method = h.get("upstash-method", "POST").upper()
    if method not in METHODS:
        raise BadRequest(f"Upstash-Method must be one of {sorted(METHODS)}")
    return method


def _forwarded(h: Mapping[str, str]) -> dict[str, str]:
    """The headers every delivery carries: Content-Type and each ``Upstash-Forward-*``."""
    forwarded = {"Content-Type": h["content-type"]} if "content-type" in h else {}
    for name, value in h.items():
        if name.startswith("upstash-forward-"):
            forwarded[canonical_header(name.removeprefix("upstash-forward-"))] = value
    return forwarded


def _retry_delay(h: Mapping[str, str]) -> str | None:
    """``Upstash-Retry-Delay``, checked now so that a bad expression is refused at publish."""
    retry_delay = h.get("upstash-retry-delay")
    if retry_delay is not None:
        try:
            compile_retry_delay(retry_delay)
        except ExpressionError as exc:
            raise BadRequest(f"Upstash-Retry-Delay: {exc}") from None
    return retry_delay


def _due_at(h: Mapping[str, str], now: float) -> float:
    """The first attempt's time: after ``Upstash-Delay`` and not before ``Upstash-Not-Before``."""
    delay = _duration(h, "upstash-delay", 0.0)
    return max(now + delay, float(_integer(h, "upstash-not-before", 0)))


def callback_message(
    source: Message, response: Response, *, now: float, dlq_id: str = ""
) -> Message:
    """The signed POST QStash sends to the success or failure callback about ``source``."""
    failed = bool(dlq_id)
    payload = {
        "status": response.status,
        "header": _multi(response.headers),
        "body": base64.b64encode(response.body).decode(),
        "retried": source.retried,
        "maxRetries": source.max_retries,
        "sourceMessageId": source.id,
        "url": source.destination,
        "method": source.method,
        "sourceHeader": {k: [v] for k, v in source.headers.items()},
        "sourceBody": base64.b64encode(source.body).decode(),
        "notBefore": str(int(source.due_at * 1000)),
        "createdAt": str(int(source.created_at * 1000)),
        "label": source.label,
    }
    if failed:
        payload["dlqId"] = dlq_id
    if response.error:
        payload["error"] = response.error
    url = source.failure_callback if failed else source.callback
    extra = source.failure_callback_headers if failed else source.callback_headers
    assert url is not None
    return Message(
        id=new_message_id(),
        destination=url,
        method="POST",
        headers={**extra, "Content-Type": "application/json"},
        body=json.dumps(payload).encode(),
        max_retries=DEFAULT_RETRIES,
        retry_delay=None,
        callback=None,
        failure_callback=None,
        callback_headers={},
        failure_callback_headers={},
        timeout=DEFAULT_TIMEOUT,
        flow_key=None,
        parallelism=None,
        rate=None,
        period=None,
        label=source.label,
        created_at=now,
        due_at=now,
    )


def _optional_int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _require_url(value: str, what: str) -> None:
    if not is_url(value):
        raise BadRequest(
            f"{what} must be an absolute http(s) URL or an existing URL group, got "
            f"{value[:200]!r} (APIs are not supported by the local server)"
        )


def _integer(h: Mapping[str, str], name: str, default: int) -> int:
    if name not in h:
        return default
    try:
        value = int(h[name])
    except ValueError:
        raise BadRequest(f"{canonical_header(name)} must be an integer") from None
    if value < 0:
        raise BadRequest(f"{canonical_header(name)} must not be negative")
    return value


def _duration(h: Mapping[str, str], name: str, default: float) -> float:
    if name not in h:
        return default
    try:
        return parse_duration(h[name])
    except ValueError as exc:
        raise BadRequest(f"{canonical_header(name)}: {exc}") from None


def _flow_control(
    h: Mapping[str, str],
) -> tuple[str | None, int | None, int | None, float | None]:
    """The flow-control key and its parallelism, rate and period (all None without a key)."""
    flow_key = h.get("upstash-flow-control-key")
    if not flow_key:
        return flow_key, None, None, None
    flow = _flow_settings(h.get("upstash-flow-control-value", ""))
    return (
        flow_key,
        _optional_int(flow.get("parallelism")),
        _optional_int(flow.get("rate")),
        flow.get("period", 1.0),
    )


def _flow_settings(value: str) -> dict[str, float | int]:
    """``"parallelism=2, rate=5, period=60s"`` -> ``{"parallelism": 2, "rate": 5, ...}``."""
    settings: dict[str, float | int] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, raw = part.partition("=")
        name = name.strip().lower()
        if name not in ("parallelism", "rate", "period"):
            raise BadRequest(f"unknown flow control setting {name!r}")
        try:
            settings[name] = parse_duration(raw) if name == "period" else int(raw)
            if settings[name] <= 0:
                raise ValueError
        except ValueError:
            raise BadRequest(f"Upstash-Flow-Control-Value: bad {name} {raw!r}") from None
    return settings


def _prefixed(h: Mapping[str, str], prefix: str) -> dict[str, str]:
    headers = {}
    for name, value in h.items():
        suffix = name.removeprefix(prefix)
        if suffix != name and suffix not in _CALLBACK_OPTIONS:
            headers[canonical_header(suffix.removeprefix("forward-"))] = value
    return headers


def _dedup_key(h: Mapping[str, str], destination: str, body: bytes, headers: dict) -> str | None:
    if "upstash-deduplication-id" in h:
        return "id:" + h["upstash-deduplication-id"]
    if h.get("upstash-content-based-deduplication", "").lower() == "true":
        digest = hashlib.sha256(destination.encode() + b"\0" + body)
        digest.update(json.dumps(sorted(headers.items())).encode())
        return "content:" + digest.hexdigest()
    return None


def _multi(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(canonical_header(name), []).append(value)
    return grouped
