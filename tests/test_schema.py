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
    assert indexes["ix_candidate_job_id_status"] == ["job_id", "status"]
