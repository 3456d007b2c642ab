"""The worker: a FastAPI app that QStash calls, a thin shell over ``tats_core.processing``.

- ``deliveries``  the signed routes (a candidate, the failure callback, reconcile)
- ``signature``   verifying ``Upstash-Signature`` against ``TATS_WORKER_URL`` + path
- ``bodies``      reading what QStash sends
- ``health``      ``GET /healthz``
- ``metrics``     ``GET /metrics`` (``tats_core.metrics``)

Dependencies (database, queue, GitHub client, analyzer) are built once per process in the
lifespan, from the settings, unless a test hands them in.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from tats_core.deps import Deps, build_deps, build_judges
from tats_core.judging.unconfigured import UnconfiguredAnalyzer
from tats_core.logs import configure_logging, log_event
from tats_core.metrics import PrometheusTelemetry
from tats_core.processing import problems
from tats_core.processing.claims import Work, release_leases
from tats_core.processing.judgement import Judges
from tats_core.processing.recheck import recheck
from tats_core.settings import Settings, load_settings
from tats_core.store.db import in_thread, transaction
from tats_core.telemetry import NoTelemetry
from worker_service import deliveries, health, metrics
from worker_service.signature import receiver_for

log = logging.getLogger("tats.worker")


def create_app(
    settings: Settings,
    *,
    deps: Deps | None = None,
    judges: Judges | None = None,
    telemetry: PrometheusTelemetry | NoTelemetry | None = None,
) -> FastAPI:
    """Build the worker app; ``deps``/``judges`` default to what ``settings`` describe, and
    ``telemetry`` to the Prometheus metrics (``NoTelemetry`` turns them off: a benchmark's
    baseline)."""
    lifespan = _lifespan(settings, deps, judges, telemetry)
    app = FastAPI(title="TATS worker", version="1", lifespan=lifespan)
    app.include_router(deliveries.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app


def _lifespan(
    settings: Settings,
    deps: Deps | None,
    judges: Judges | None,
    telemetry: PrometheusTelemetry | NoTelemetry | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state
        state.settings = settings
        state.deps = deps or build_deps(settings)
        state.telemetry = telemetry or PrometheusTelemetry()
        state.judges = judges or build_judges(settings, state.deps.session_factory, state.telemetry)
        state.receiver = receiver_for(settings)
        state.lease = timedelta(seconds=settings.claim_lease_s)
        state.holding = {}
        state.webhooks = state.deps.webhooks
        await _check_dependencies(state.deps, state.judges)
        yield
        await _release_held_leases(state.deps, state.holding)
        for client in (state.judges.github, state.judges.analyzer):
            if hasattr(client, "aclose"):
                await client.aclose()

    return lifespan


async def _check_dependencies(deps: Deps, judges: Judges) -> None:
    """A missing key is known before any candidate comes: record it, so /healthz says so at
    once; and ask the dependencies recorded as misconfigured whether they answer now."""
    if isinstance(judges.analyzer, UnconfiguredAnalyzer):
        problem = judges.analyzer.error()

        def _report() -> None:
            with transaction(deps.session_factory) as session:
                problems.report(session, problem.dependency, problem.message)

        await in_thread(_report)
        log.error("configuration problem: %s", problem.message)
    await recheck(deps.session_factory, judges)


async def _release_held_leases(deps: Deps, holding: dict[int, Work]) -> None:
    """Graceful stop (SIGTERM): uvicorn has let requests finish for its grace period; hand back
    the leases of whatever is still in flight so the next delivery takes it at once."""
    if not holding:
        return
    works = list(holding.values())
    released = await in_thread(
        lambda: release_leases(deps.session_factory, works, "worker stopped; lease released")
    )
    log_event(log, "shutdown", released_leases=released)


def app_from_env() -> FastAPI:
    """The app for ``uvicorn worker_service.app:app_from_env --factory`` (and ``tats worker``):
    settings from the environment, read when the server starts, in each worker process."""
    settings = load_settings()
    configure_logging(settings.log_format, secrets=settings.secret_values())
    return create_app(settings)
