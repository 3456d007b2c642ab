"""``GET /metrics``: the worker's Prometheus metrics (``tats_core.metrics``), all processes
together. Answered to callers on this machine (a Prometheus agent beside the worker), or to
callers sending ``Authorization: Bearer $TATS_METRICS_TOKEN``; anyone else gets 401."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from tats_core.metrics import CONTENT_TYPE
from tats_core.routes import METRICS_PATH

router = APIRouter()


@router.get(METRICS_PATH)
async def metrics(request: Request) -> Response:
    if not _allowed(request):
        return JSONResponse(
            {
                "error": "metrics are for loopback callers or Authorization: Bearer <TATS_METRICS_TOKEN>"
            },
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(request.app.state.telemetry.exposition(), media_type=CONTENT_TYPE)


def _allowed(request: Request) -> bool:
    token = request.app.state.settings.metrics_token
    sent = request.headers.get("authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
