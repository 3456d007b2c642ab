"""Reading the bodies QStash sends: a candidate message, and the failure callback."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, NamedTuple

CANDIDATE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["candidateId"],
                "properties": {"candidateId": {"type": "integer"}},
            }
        }
    },
}
ANY_JSON_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object"}}},
}


class FailureCallback(NamedTuple):
    candidate_id: int
    source_message_id: str | None
    detail: str


def candidate_id(body: bytes) -> int | None:
    """``{"candidateId": <int>}`` -> the id, or None for anything else."""
    try:
        value = json.loads(body).get("candidateId")
    except (ValueError, AttributeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        return None  # ids are 32-bit integers on both databases
    return value


def failure_callback(body: bytes) -> FailureCallback | None:
    """QStash's callback body varies between versions; read what we need leniently."""
    try:
        payload: dict[str, Any] = json.loads(body)
        source = payload.get("sourceBody") or ""
        decoded = base64.b64decode(source + "=" * (-len(source) % 4)) if source else b""
    except (ValueError, binascii.Error, AttributeError):
        return None
    found = candidate_id(decoded) if decoded else None
    if found is None:
        return None
    detail = f"last response HTTP {payload.get('status')}" if payload.get("status") else ""
    return FailureCallback(found, payload.get("sourceMessageId"), detail)
