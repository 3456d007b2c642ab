"""schema_compat: the oldest revision whose code can run on this schema (rolling deploys, #18).

A migration that removes or renames something older code reads sets ``min_reader`` to its own
revision; ``tats_core.store.schema.migrate`` writes the newest such value after every upgrade.

Revision ID: 0008_schema_compat
Revises: 0007_dependency_problem
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_schema_compat"
down_revision = "0007_dependency_problem"
branch_labels = None
depends_on = None
min_reader = "0008_schema_compat"  # the first release that checks it


def upgrade() -> None:
    op.create_table(
        "schema_compat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("min_reader", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schema_compat")),
    )


def downgrade() -> None:
    op.drop_table("schema_compat")
