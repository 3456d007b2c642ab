"""blob_text: file text cached by git blob sha (issue #10, reading the work).

Revision ID: 0002_blob_text
Revises: 0001
Create Date: 2026-11-30 05:00:00

Self-contained: plain SQLAlchemy types (``UTCDateTime`` is a ``DateTime`` in the database).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_blob_text"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_text",
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.String(length=40), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha", name=op.f("pk_blob_text")),
    )


def downgrade() -> None:
    op.drop_table("blob_text")
