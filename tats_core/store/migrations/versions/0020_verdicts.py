"""Verdicts a recruiter can check and repeat (issue #19): the job's criteria, each evaluation's
rubric hash, reuse key, verdict and the evaluation it reused, and the starter files a candidate
was given.

Revision ID: 0020_verdicts
Revises: 0012_job_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_verdicts"
down_revision = "0012_job_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("criteria", sa.JSON(), nullable=True))
    with op.batch_alter_table("evaluation") as batch:
        batch.add_column(sa.Column("rubric_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("verdict_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("verdict", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reused_from", sa.Integer(), nullable=True))
        batch.create_index("ix_evaluation_verdict_key", ["verdict_key"])
    with op.batch_alter_table("candidate_file") as batch:
        batch.add_column(
            sa.Column("given", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("candidate_file") as batch:
        batch.drop_column("given")
    with op.batch_alter_table("evaluation") as batch:
        batch.drop_index("ix_evaluation_verdict_key")
        for column in ("reused_from", "verdict", "verdict_key", "rubric_hash"):
            batch.drop_column(column)
    with op.batch_alter_table("job") as batch:
        batch.drop_column("criteria")
