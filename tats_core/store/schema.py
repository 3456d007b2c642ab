"""Schema management: ``migrate`` brings a database up to date with Alembic.

``ensure_schema`` is what processes call at start-up: one query when the database is already at
``SCHEMA_HEAD`` (the usual case, after ``tats migrate`` ran once per release), so a short command
such as ``tats import`` neither loads Alembic nor takes the migration lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions; tests/test_schema.py checks it against Alembic.
SCHEMA_HEAD = "0011_candidate_removed"

# Any number of workers and apps may start at once on a fresh database: on PostgreSQL the
# upgrade runs under this transaction-scoped advisory lock, so one process migrates and the
# others wait, then find the schema at head and do nothing. (SQLite serialises writers itself.)
MIGRATION_LOCK = 0x7A75_0001


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database without the schema."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version table yet
        return None


def ensure_schema(engine: Engine) -> None:
    if current_revision(engine) != SCHEMA_HEAD:
        migrate(engine)


def migrate(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def make_revision(engine: Engine, message: str) -> None:
    """Developer helper: autogenerate a migration from the models (``python -m tats_core.store.schema``)."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover - developer tool
    import sys

    from tats_core.store.db import make_engine

    engine = make_engine(sys.argv[1])
    migrate(engine)
    make_revision(engine, sys.argv[2])
