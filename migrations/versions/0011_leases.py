"""Leases: ``mirror_leases``, one row per piece of background work a single process leads.

The health monitor and the pull worker's drift check run in every worker process of every
replica; the process holding the row's lease is the only one that runs their round
(mirror_plugin.services.leases).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mirror_leases")),
    )


def downgrade() -> None:
    op.drop_table("mirror_leases")
