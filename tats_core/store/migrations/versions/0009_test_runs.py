"""Test runs (issue #17): job.run_tests, job_acceptance (versioned acceptance tests), and the
evaluation's tests report with its two statuses.

Revision ID: 0009_test_runs
Revises: 0008_schema_compat
"""

import sqlalchemy as sa
from alembic import op

import tats_core.store.models

revision = "0009_test_runs"
down_revision = "0008_schema_compat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(
            sa.Column("run_tests", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("evaluation") as batch:
        batch.add_column(sa.Column("tests", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("tests_output", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tests_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("acceptance_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("acceptance_version", sa.Integer(), nullable=True))
    op.create_table(
        "job_acceptance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("total_bytes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", tats_core.store.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_job_acceptance_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_acceptance")),
        sa.UniqueConstraint("job_id", "version", name=op.f("uq_job_acceptance_job_id_version")),
    )


def downgrade() -> None:
    op.drop_table("job_acceptance")
    with op.batch_alter_table("evaluation") as batch:
        for column in (
            "acceptance_version",
            "acceptance_status",
            "tests_status",
            "tests_output",
            "tests",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("job") as batch:
        batch.drop_column("run_tests")
