"""QStash signatures on the worker's routes, verified with the SDK's ``Receiver``.

Each delivery's signature is verified against the raw body and the *configured* public URL
(``TATS_WORKER_URL`` + path), never the URL this request arrived on: behind a proxy or a tunnel
the two differ, and the signature's ``sub`` claim names the public one.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from qstash import Receiver
from qstash.errors import SignatureError

from tats_core.settings import Settings

SIGNATURE_HEADER = [
    {"name": "Upstash-Signature", "in": "header", "required": True, "schema": {"type": "string"}}
]


def receiver_for(settings: Settings) -> Receiver:
    return Receiver(
        current_signing_key=settings.qstash_current_signing_key,
        next_signing_key=settings.qstash_next_signing_key,
    )


async def verified_body(request: Request, path: str) -> bytes | None:
    """The request's raw body when its ``Upstash-Signature`` is valid for ``path``, else None."""
    body = await request.body()
    signature = request.headers.get("upstash-signature")
    if not signature:
        return None
    url = request.app.state.settings.worker_url.rstrip("/") + path
    if request.url.query:
        url += "?" + request.url.query
    try:
        request.app.state.receiver.verify(
            signature=signature, body=body.decode("utf-8", "replace"), url=url
        )
    except (SignatureError, ValueError, KeyError, TypeError):
        return None
    return body


def unauthorized() -> JSONResponse:
    return JSONResponse({"error": "missing or invalid Upstash-Signature"}, status_code=401)
