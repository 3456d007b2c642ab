"""candidate_note: a recruiter's notes on a candidate, with author and time (issue #21).

Revision ID: 0010_candidate_note
Revises: 0009_test_runs
"""

import sqlalchemy as sa
from alembic import op

import tats_core.store.models

revision = "0010_candidate_note"
down_revision = "0009_test_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidate_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", tats_core.store.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
            name=op.f("fk_candidate_note_candidate_id_candidate"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_note")),
    )
    op.create_index("ix_candidate_note_candidate_id_id", "candidate_note", ["candidate_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_candidate_note_candidate_id_id", table_name="candidate_note")
    op.drop_table("candidate_note")
