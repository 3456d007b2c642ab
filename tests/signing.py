"""Sign a request body the way QStash does (JWT HS256), to forge good and bad signatures."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import jwt

from tats_core.settings import DEV_CURRENT_SIGNING_KEY


def qstash_signature(
    body: bytes,
    url: str,
    *,
    key: str = DEV_CURRENT_SIGNING_KEY,
    now: float | None = None,
    lifetime: int = 300,
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": "Upstash",
        "sub": url,
        "exp": issued + lifetime,
        "nbf": issued,
        "iat": issued,
        "jti": f"jwt_{uuid.uuid4().hex}",
        "body": base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode(),
    }
    return jwt.encode(claims, key, algorithm="HS256", headers={"typ": "JWT"})
