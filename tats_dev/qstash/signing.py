"""The ``Upstash-Signature`` header: an HS256 JWT exactly as QStash makes it.

``qstash.Receiver`` checks ``iss``, ``sub`` (the exact destination URL), ``exp``/``nbf`` and
``body`` (base64url of the SHA-256 of the raw body, ``=`` padding kept).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import jwt

SIGNATURE_LIFETIME = 300


def sign(*, key: str, url: str, body: bytes, now: float) -> str:
    """A signature for delivering ``body`` to ``url`` at unix time ``now``, signed with ``key``
    (used as UTF-8)."""
    issued_at = int(now)
    claims = {
        "iss": "Upstash",
        "sub": url,
        "exp": issued_at + SIGNATURE_LIFETIME,
        "nbf": issued_at,
        "iat": issued_at,
        "jti": f"jwt_{secrets.token_hex(12)}",
        "body": base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode(),
    }
    return jwt.encode(claims, key, algorithm="HS256", headers={"typ": "JWT"})
