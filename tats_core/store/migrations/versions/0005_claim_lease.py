"""Claims are leases: candidate.lease_expires_at (issue #11).

A candidate ``processing`` without a live lease (NULL or past) may be taken over, so claims made
before this migration count as lapsed and are taken over by the next delivery or reconcile.

Revision ID: 0005_claim_lease
Revises: 0004_candidate_files
"""

import sqlalchemy as sa
from alembic import op

import tats_core.store.models

revision = "0005_claim_lease"
down_revision = "0004_candidate_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.add_column(
            sa.Column("lease_expires_at", tats_core.store.models.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.drop_column("lease_expires_at")
