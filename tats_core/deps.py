"""Build a process's dependencies once, from settings, and pass them down (no singletons)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tats_core.processing.job_events import WebhookSender
from tats_core.processing.queue import CandidateQueue
from tats_core.processing.queue_admin import QueueAdmin
from tats_core.settings import Settings
from tats_core.store.db import make_engine, make_session_factory
from tats_core.store.schema import ensure_schema
from tats_core.telemetry import NO_TELEMETRY, Telemetry

if TYPE_CHECKING:  # judging pulls in httpx/cohere; the CLI's import command needs none of it
    from tats_core.judging.analysis import Analyzer
    from tats_core.processing.judgement import Judges


NO_COHERE_KEY = "TATS_ANALYZER=cohere needs COHERE_API_KEY (or CO_API_KEY)"


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    queue: CandidateQueue
    # Built from the settings when not given, over the queue's client: one connection pool to
    # QStash per process, for publishing, job webhooks and the Queue page alike.
    webhooks: WebhookSender = field(default=None)  # type: ignore[assignment]
    queue_admin: QueueAdmin = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.webhooks is None:
            self.webhooks = WebhookSender(self.queue.http, self.settings.webhook_secret)
        if self.queue_admin is None:
            self.queue_admin = QueueAdmin.from_settings(self.settings, self.queue.http)


def build_deps(settings: Settings, *, migrate_schema: bool = True) -> Deps:
    engine = make_engine(settings.database_url)
    if migrate_schema:
        ensure_schema(engine)
    return Deps(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        queue=CandidateQueue.from_settings(settings),
    )


def build_judges(
    settings: Settings,
    session_factory: sessionmaker[Session],
    telemetry: Telemetry = NO_TELEMETRY,
) -> Judges:
    """The GitHub client, the analyzer the settings ask for (Cohere when a key is set) and the
    sandbox that runs the submissions' tests (``TATS_RUN_TESTS``); each reports to
    ``telemetry`` (the worker's metrics)."""
    from tats_core.github.archive_cache import DbArchiveCache
    from tats_core.github.blob_cache import DbBlobCache
    from tats_core.github.cache import DbHttpCache
    from tats_core.github.client import GitHubClient
    from tats_core.processing.judgement import Judges
    from tats_core.processing.test_runs import TestRuns

    github = GitHubClient(
        settings.github_api_url,
        settings.github_token,
        cache=DbHttpCache(session_factory),
        raw_url=settings.raw_url,
        blob_cache=DbBlobCache(session_factory),
        archive_cache=DbArchiveCache(session_factory),
        telemetry=telemetry,
    )
    return Judges(
        github=github,
        analyzer=build_analyzer(settings, telemetry),
        tests=TestRuns.from_settings(settings, telemetry),
    )


def build_analyzer(settings: Settings, telemetry: Telemetry = NO_TELEMETRY) -> Analyzer:
    if settings.analyzer_name == "heuristic":
        from tats_core.judging.heuristic import HeuristicAnalyzer

        return HeuristicAnalyzer()
    if not settings.cohere_api_key:
        # The worker still starts: candidates wait and /healthz says what to set.
        from tats_core.judging.unconfigured import UnconfiguredAnalyzer

        return UnconfiguredAnalyzer("cohere", NO_COHERE_KEY)
    from tats_core.judging.cohere_analyzer import CohereAnalyzer

    return CohereAnalyzer(
        settings.cohere_api_key,
        base_url=settings.cohere_base_url,
        model=settings.cohere_model,
        telemetry=telemetry,
    )
