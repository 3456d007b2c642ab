"""candidate.removed_at / removed_by: a recruiter removes a candidate from its job, history kept
(issue #21).

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


def downgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.drop_column("removed_by")
        batch.drop_column("removed_at")
