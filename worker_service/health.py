"""``GET /healthz``: is this worker able to do its work?"""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from tats_core.routes import HEALTH_PATH

router = APIRouter()


@router.get(HEALTH_PATH)
async def healthz(request: Request) -> JSONResponse:
    def _ping() -> None:
        with request.app.state.deps.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await anyio.to_thread.run_sync(_ping)
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
    return JSONResponse({"status": "ok"})
