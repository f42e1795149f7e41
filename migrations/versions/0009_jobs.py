"""Background jobs: ``mirror_jobs``, one row per sync (or other long registry work).

``active_key`` is unique and set only while a job is queued or running: the database refuses
a second active job of the same kind for the same integration, on every replica.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("active_key", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_category", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_jobs")),
        sa.UniqueConstraint("active_key", name=op.f("uq_mirror_jobs_active_key")),
    )
    with op.batch_alter_table("mirror_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mirror_jobs_integration_id"), ["integration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mirror_jobs_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("mirror_jobs")
