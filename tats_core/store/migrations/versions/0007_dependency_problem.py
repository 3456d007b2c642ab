"""dependency_problem: outside services TATS cannot use until a setting is fixed (issue #18).

Revision ID: 0007_dependency_problem
Revises: 0006_commit_archive
"""

import sqlalchemy as sa
from alembic import op

import tats_core.store.models

revision = "0007_dependency_problem"
down_revision = "0006_commit_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dependency_problem",
        sa.Column("dependency", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_seen_at", tats_core.store.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", tats_core.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dependency", name=op.f("pk_dependency_problem")),
    )


def downgrade() -> None:
    op.drop_table("dependency_problem")
