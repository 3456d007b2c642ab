"""TATS's own few HTTP calls to the QStash API, with a timeout a person can wait for.

The ``qstash`` SDK (3.4) gives no public way to bound a request's time: its client waits up to
600 s and retries with sleeps, even after its last failed try. A person waits on an upload and on
the Queue page, and ``reconcile`` publishes whatever a failed publish missed, so TATS owns the
six requests it makes (batch publish, schedules, dead letters, events), documented in
``shared/design/QSTASH.md`` and served alike by Upstash and ``tats_dev``'s local server. The
worker still verifies signatures with the SDK's ``Receiver``.

Every failure becomes one ``QueueError``, classified here and nowhere else: not reachable,
timeouts, 429 and 5xx are transient; any other refusal is permanent, and a 401/403 says which
setting to check. The token never appears in a message.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tats_core.errors import QueueError
from tats_core.settings import Settings

NOT_REACHABLE = "the queue (QStash) is not reachable"


class QStashHttp:
    """``request(method, path, ...)`` -> the JSON answer, or ``QueueError``."""

    def __init__(self, base_url: str, token: str, *, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        # One connection pool per process (httpx clients are thread-safe).
        self._client = httpx.Client(timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> QStashHttp:
        """The queue's client for a process: a page or an upload waits on it, and reconcile
        retries what fails, so one try bounded by the publish timeout."""
        return cls(settings.qstash_url, settings.qstash_token, timeout=settings.publish_timeout_s)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:  # never the token
        return f"QStashHttp({self.base_url!r})"

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """Send one request; ``what`` says what it was for, in a failure's message."""
        sent_headers = {"Authorization": f"Bearer {self._token}", **(headers or {})}
        content = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        if body is not None and not isinstance(body, str | bytes):
            sent_headers.setdefault("Content-Type", "application/json")
        try:
            response = self._client.request(
                method, self.base_url + path, content=content, headers=sent_headers, params=params
            )
        except (httpx.TransportError, OSError) as exc:
            raise QueueError(NOT_REACHABLE, transient=True) from exc
        return _answer(response, what)


def _answer(response: httpx.Response, what: str) -> Any:
    if response.is_success:
        try:
            return response.json() if response.content else None
        except ValueError as exc:
            raise QueueError(f"the queue (QStash) sent an unreadable answer to {what}") from exc
    detail = response.text[:200].strip()
    message = f"the queue (QStash) could not {what}: HTTP {response.status_code} {detail}"
    if response.status_code in (401, 403):
        raise QueueError(message.rstrip() + " (check QSTASH_TOKEN and QSTASH_URL)")
    transient = response.status_code == 429 or response.status_code >= 500
    raise QueueError(message.rstrip(), transient=transient)
