"""Shared fixtures: a clean environment, and real databases (SQLite and PostgreSQL).

Every test that asks for ``engine`` runs twice: once on a SQLite file and once on a fresh
PostgreSQL database made for this test session (dropped at the end), so parallel runs on one
server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tats_core.store.db import make_engine, make_session_factory
from tats_core.store.models import Base
from tats_core.store.schema import migrate

PG_ADMIN_URL = os.environ.get("TATS_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
CONFIG_PREFIXES = ("TATS_", "QSTASH_", "GITHUB_", "COHERE_", "CO_API", "DATABASE_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """No setting leaks in from the developer's shell or a ``.env`` in the checkout."""
    for name in list(os.environ):
        if name.startswith(CONFIG_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def _pg_database(request: pytest.FixtureRequest | None = None) -> Iterator[str]:
    name = f"tats_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing database is a failure, never a skip
        pytest.skip(message)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tats.db'}"
    else:
        yield from _pg_database(request)


@pytest.fixture(scope="session")
def _migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated database, emptied after each test (tests commit, like the product does)."""
    yield _migrated_engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with _migrated_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def settings_with_queue_down(database_url: str):
    """Settings whose queue URL has nothing listening: publishes fail at once, as when QStash is
    down."""
    from tats_core.settings import load_settings
    from tests.servers import free_port

    return load_settings(
        DATABASE_URL=database_url,
        QSTASH_URL=f"http://127.0.0.1:{free_port()}",
        TATS_PUBLISH_TIMEOUT="2",
    )


@pytest.fixture
def fresh_postgresql_url() -> Iterator[str]:
    """An empty PostgreSQL database (no schema), dropped after the test."""
    yield from _pg_database()
