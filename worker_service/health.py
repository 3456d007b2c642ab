"""``GET /healthz``: can this worker do its work? The database answers, and no dependency has
failed on configuration since its last success (``tats_core.processing.problems``): otherwise
503 with the problems, each naming the service and what to check (never a secret)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from tats_core.processing import problems
from tats_core.routes import HEALTH_PATH
from tats_core.store.db import transaction

router = APIRouter()
DATABASE_DOWN = "the database does not answer (check DATABASE_URL and that the server is up)"


@router.get(HEALTH_PATH)
async def healthz(request: Request) -> JSONResponse:
    def _problems() -> list[str]:
        with transaction(request.app.state.deps.session_factory) as session:
            return [p.headline for p in problems.active(session)]

    try:
        # Not behind the deliveries' database limiter (store.db.in_thread): the health check
        # must answer even while every delivery waits on the database.
        found = await anyio.to_thread.run_sync(_problems)
    except SQLAlchemyError:
        found = [DATABASE_DOWN]
    if found:
        return JSONResponse({"status": "degraded", "problems": found}, 503)
    return JSONResponse({"status": "ok"})
