"""commit_archive: a submission's tar.gz by commit sha, downloaded once (issue 17, item 1).

Revision ID: 0006_commit_archive
Revises: 0005_claim_lease

Self-contained: plain SQLAlchemy types (``UTCDateTime`` is a ``DateTime`` in the database).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_commit_archive"
down_revision = "0005_claim_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commit_archive",
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha", name=op.f("pk_commit_archive")),
    )


def downgrade() -> None:
    op.drop_table("commit_archive")
