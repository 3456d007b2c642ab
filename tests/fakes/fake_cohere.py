"""A fake Cohere chat API (``POST /v2/chat``) that records requests and can be scripted.

    fake = FakeCohere()
    fake.reply_json({"decision": "looks_fine", ...})     # the next answer
    fake.reply_text("{not json")                          # a broken one
    fake.fail_next(429, retry_after="7")                  # an HTTP error
    fake.slow_next(2.0)                                   # slower than the client's timeout
    fake.reject_key()                                     # every request 401 until accept_key()
    with serve(fake.app) as url:
        CohereAnalyzer("key", base_url=url)...
    fake.requests[0].body["messages"]

Scripted replies are used in order; when none is left, a valid ``needs_review`` answer is given.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEFAULT_ANSWER: dict[str, Any] = {
    "decision": "needs_review",
    "score": 50,
    "summary": "Some work is visible; a person should look.",
    "strengths": ["A README is present."],
    "concerns": ["Few tests."],
    "criteria": [{"criterion": "Tests", "verdict": "partial", "evidence": ["few tests"]}],
}


@dataclass
class Reply:
    status: int = 200
    text: str | None = None  # the assistant's text (status 200)
    finish_reason: str = "COMPLETE"
    body: Any = None  # the whole JSON body, for errors or a malformed envelope
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class RecordedRequest:
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def text(self) -> str:
        """Everything the model would read: every message's content, as one string."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class FakeCohere:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._rejecting: int | None = None
        self.app = Starlette(routes=[Route("/v2/chat", self._chat, methods=["POST"])])

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reply(self, reply: Reply) -> FakeCohere:
        with self._lock:
            self._replies.append(reply)
        return self

    def reply_json(self, answer: dict[str, Any], **kwargs: Any) -> FakeCohere:
        return self.reply(Reply(text=json.dumps(answer), **kwargs))

    def reply_text(self, text: str, **kwargs: Any) -> FakeCohere:
        return self.reply(Reply(text=text, **kwargs))

    def fail_next(
        self, status: int, *, retry_after: str | None = None, message: str = "scripted failure"
    ) -> FakeCohere:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        return self.reply(Reply(status=status, body={"message": message}, headers=headers))

    def reject_key(self, status: int = 401) -> FakeCohere:
        """Answer every request ``status`` (a key Cohere rejects) until ``accept_key``."""
        self._rejecting = status
        return self

    def accept_key(self) -> FakeCohere:
        self._rejecting = None
        return self

    def slow_next(self, seconds: float, answer: dict[str, Any] | None = None) -> FakeCohere:
        return self.reply(Reply(text=json.dumps(answer or DEFAULT_ANSWER), delay=seconds))

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        with self._lock:
            self._requests.append(RecordedRequest(dict(request.headers), body))
            if self._rejecting is not None:
                return JSONResponse({"message": "invalid api token"}, status_code=self._rejecting)
            reply = (
                self._replies.popleft() if self._replies else Reply(text=json.dumps(DEFAULT_ANSWER))
            )
        deadline = time.monotonic() + reply.delay
        while time.monotonic() < deadline:  # stop early once the client has given up
            if await request.is_disconnected():
                return Response(status_code=499)
            await asyncio.sleep(0.02)
        if reply.body is not None or reply.status != 200:
            return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)
        return JSONResponse(
            {
                "id": f"fake-{len(self._requests)}",
                "finish_reason": reply.finish_reason,
                "message": {"role": "assistant", "content": [{"type": "text", "text": reply.text}]},
                "usage": {"tokens": {"input_tokens": 100, "output_tokens": 50}},
            },
            headers=reply.headers,
        )
