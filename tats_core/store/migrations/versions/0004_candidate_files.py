"""candidate_file: each candidate's own code files (path, blob sha, size), for shared-code checks.

Revision ID: 0004_candidate_files
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_candidate_files"
down_revision = "0002_blob_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidate_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
            name=op.f("fk_candidate_file_candidate_id_candidate"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_candidate_file_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_file")),
    )
    op.create_index("ix_candidate_file_job_id_sha", "candidate_file", ["job_id", "sha"])
    op.create_index("ix_candidate_file_candidate_id", "candidate_file", ["candidate_id"])


def downgrade() -> None:
    op.drop_index("ix_candidate_file_candidate_id", table_name="candidate_file")
    op.drop_index("ix_candidate_file_job_id_sha", table_name="candidate_file")
    op.drop_table("candidate_file")
