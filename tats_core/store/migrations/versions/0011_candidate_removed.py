"""candidate.removed_at / removed_by: a recruiter removes a candidate from its job, history kept
(issue #21). The per-status index of a job gains ``removed_at``, so the counts of the candidates
still in a job come from the index alone, as all of them did.

Revision ID: 0011_candidate_removed
Revises: 0010_candidate_note
"""

import sqlalchemy as sa
from alembic import op

import tats_core.store.models

revision = "0011_candidate_removed"
down_revision = "0010_candidate_note"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.add_column(
            sa.Column("removed_at", tats_core.store.models.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("removed_by", sa.String(length=200), nullable=True))
    op.drop_index("ix_candidate_job_id_status", table_name="candidate")
    op.create_index(
        "ix_candidate_job_id_status_removed_at", "candidate", ["job_id", "status", "removed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_candidate_job_id_status_removed_at", table_name="candidate")
    op.create_index("ix_candidate_job_id_status", "candidate", ["job_id", "status"])
    with op.batch_alter_table("candidate") as batch:
        batch.drop_column("removed_by")
        batch.drop_column("removed_at")
