import pytest
from sqlalchemy import inspect

from tats_core.store.models import Base


def test_migrations_build_exactly_the_models_schema(engine):
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) - {"alembic_version"} == set(Base.metadata.tables)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name


def test_candidate_indexes_cover_per_job_counts(engine):
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("candidate")}
    # Of all a job's candidates, or of those still in it (removed ones left out): from the
    # index alone either way.
    assert indexes["ix_candidate_job_id_status_removed_at"] == ["job_id", "status", "removed_at"]


def test_schema_head_names_the_newest_migration():
    from alembic.script import ScriptDirectory

    from tats_core.store.schema import alembic_config, migration_chain, schema_head

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [schema_head()]
    assert len(migration_chain()) == len(
        list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
    )


def test_ensure_schema_migrates_a_fresh_database_and_is_then_one_query(tmp_path):
    from sqlalchemy import event

    from tats_core.store.db import make_engine
    from tats_core.store.schema import current_revision, ensure_schema, schema_head

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert current_revision(engine) is None
    ensure_schema(engine)
    assert current_revision(engine) == schema_head()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ensure_schema(engine)
    assert statements == ["SELECT version_num FROM alembic_version"]
    engine.dispose()


def _at_revision(engine, revision: str) -> None:
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_database_ahead_of_this_release_is_never_migrated_and_runs_when_compatible(tmp_path):
    """A rolling deploy: a newer replica migrated the database to a revision this release does
    not know. An older replica runs on it when the newer schema says it still can, and refuses
    with one clear line when it says it cannot; it never touches the schema either way."""
    from sqlalchemy import text

    from tats_core.errors import ConfigurationError
    from tats_core.store.db import make_engine
    from tats_core.store.schema import current_revision, ensure_schema, schema_head

    engine = make_engine(f"sqlite:///{tmp_path / 'ahead.db'}")
    ensure_schema(engine)
    _at_revision(engine, "0099_from_the_future")  # compatible: min_reader is ours
    ensure_schema(engine)
    assert current_revision(engine) == "0099_from_the_future"

    with engine.begin() as connection:
        connection.execute(text("UPDATE schema_compat SET min_reader = '0099_from_the_future'"))
    with pytest.raises(ConfigurationError) as refused:
        ensure_schema(engine)
    message = str(refused.value)
    assert "0099_from_the_future" in message and schema_head() in message
    assert "\n" not in message
    assert current_revision(engine) == "0099_from_the_future"
    engine.dispose()


def test_a_database_behind_is_migrated_to_the_scripts_head(tmp_path):
    from tats_core.store.db import make_engine
    from tats_core.store.schema import (
        current_revision,
        ensure_schema,
        migrate,
        migration_chain,
        schema_head,
        stored_min_reader,
    )

    engine = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    migrate(engine, migration_chain()[-2].revision)  # the previous release's schema
    ensure_schema(engine)
    assert current_revision(engine) == schema_head() == migration_chain()[-1].revision
    assert stored_min_reader(engine) == "0008_schema_compat"
    engine.dispose()
