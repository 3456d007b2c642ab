"""Job webhooks (issue #21): job.notify_url and the job_event outbox.

Revision ID: 0012_job_webhooks
Revises: 0011_candidate_removed
"""

import sqlalchemy as sa
from alembic import op

import tats_core.store.models

revision = "0012_job_webhooks"
down_revision = "0011_candidate_removed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("notify_url", sa.Text(), nullable=True))
    op.create_table(
        "job_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("completion", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", tats_core.store.models.UTCDateTime(), nullable=False),
        sa.Column("published_at", tats_core.store.models.UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_job_event_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_job_event_event_id")),
        sa.UniqueConstraint("job_id", "completion", name=op.f("uq_job_event_job_id_completion")),
    )


def downgrade() -> None:
    op.drop_table("job_event")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("notify_url")
