"""Schema management: ``migrate`` brings a database up to date with Alembic.

``ensure_schema`` is what processes call at start-up: one query when the database is already at
this release's head (the usual case, after ``tats migrate`` ran once per release), so a short
command such as ``tats import`` neither loads Alembic nor takes the migration lock.

The head comes from the migration scripts themselves (``migration_chain`` reads their
``revision``/``down_revision`` lines), never from a constant kept by hand. A database *ahead* of
this release (a newer replica migrated it during a rolling deploy) is never migrated: this
process runs if the schema says it is still compatible (``schema_compat.min_reader`` is a
revision this release knows), and refuses with one clear line otherwise.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tats_core.errors import ConfigurationError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

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


class Revision(NamedTuple):
    revision: str
    down_revision: str | None
    min_reader: str | None  # set by a migration older code cannot run on


@cache
def migration_chain() -> tuple[Revision, ...]:
    """The migration scripts' revisions, oldest first (read as text: Alembic is not loaded)."""
    found: dict[str | None, Revision] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, str | None] = {
            target.id: node.value.value
            for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str | None)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        if revision := values.get("revision"):
            rev = Revision(revision, values.get("down_revision"), values.get("min_reader"))
            found[rev.down_revision] = rev
    chain: list[Revision] = []
    while (following := found.get(chain[-1].revision if chain else None)) is not None:
        chain.append(following)
    return tuple(chain)


def schema_head() -> str:
    return migration_chain()[-1].revision


def min_reader() -> str:
    """The oldest revision whose code can run on this release's head schema."""
    chain = migration_chain()
    return next((r.min_reader for r in reversed(chain) if r.min_reader), chain[0].revision)


def ensure_schema(engine: Engine) -> None:
    """Migrate a database that is behind (or new); run on one that is ahead only if it is
    compatible with this release; otherwise raise ``ConfigurationError`` (one clear line)."""
    current = current_revision(engine)
    head = schema_head()
    if current == head:
        return
    if current is None or current in {r.revision for r in migration_chain()}:
        migrate(engine)
        return
    needs = stored_min_reader(engine)
    if needs is None or needs not in {r.revision for r in migration_chain()}:
        raise ConfigurationError(
            f"the database schema is at {current}, newer than this release ({head}), and older "
            f"code cannot run on it (it needs {needs or 'a newer release'}); deploy the newer "
            "release here too"
        )


def stored_min_reader(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT min_reader FROM schema_compat")).scalar()
    except DBAPIError:
        return None


def migrate(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if revision == "head":
            _write_min_reader(connection)


def _write_min_reader(connection: Connection) -> None:
    updated = connection.execute(
        text("UPDATE schema_compat SET min_reader = :r"), {"r": min_reader()}
    )
    if not updated.rowcount:
        connection.execute(
            text("INSERT INTO schema_compat (id, min_reader) VALUES (1, :r)"), {"r": min_reader()}
        )


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
