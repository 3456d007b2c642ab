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

    from tats_core.store.schema import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [SCHEMA_HEAD]


def test_ensure_schema_migrates_a_fresh_database_and_is_then_one_query(tmp_path):
    from sqlalchemy import event

    from tats_core.store.db import make_engine
    from tats_core.store.schema import SCHEMA_HEAD, current_revision, ensure_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert current_revision(engine) is None
    ensure_schema(engine)
    assert current_revision(engine) == SCHEMA_HEAD
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ensure_schema(engine)
    assert statements == ["SELECT version_num FROM alembic_version"]
    engine.dispose()
