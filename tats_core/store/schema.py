"""Schema management: ``migrate`` brings a database up to date with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# Any number of workers and apps may start at once on a fresh database: on PostgreSQL the
# upgrade runs under this transaction-scoped advisory lock, so one process migrates and the
# others wait, then find the schema at head and do nothing. (SQLite serialises writers itself.)
MIGRATION_LOCK = 0x7A75_0001


def migrate(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def make_revision(engine: Engine, message: str) -> None:
    """Developer helper: autogenerate a migration from the models (``python -m tats_core.store.schema``)."""
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
