"""Build a process's dependencies once, from settings, and pass them down (no singletons)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tats_core.db import make_engine, make_session_factory
from tats_core.queue import CandidateQueue
from tats_core.schema import migrate
from tats_core.settings import Settings


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    queue: CandidateQueue


def build_deps(settings: Settings, *, migrate_schema: bool = True) -> Deps:
    engine = make_engine(settings.database_url)
    if migrate_schema:
        migrate(engine)
    return Deps(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        queue=CandidateQueue.from_settings(settings),
    )
