"""Kubernetes clusters that ask the admission webhook, with their decision counters.

One row per cluster: the sha256 of its bearer token (never the token), its mode (``warn`` or
``enforce``), the namespaces it exempts, what ``flask mirror cluster config`` prints the
webhook configuration from, and the allowed / denied / warned counters every worker bumps.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("exempt_namespaces", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("ca_bundle", sa.Text(), nullable=False),
        sa.Column("failure_policy", sa.String(length=8), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allowed_count", sa.BigInteger(), nullable=False),
        sa.Column("denied_count", sa.BigInteger(), nullable=False),
        sa.Column("warned_count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("mode IN ('warn', 'enforce')", name=op.f("ck_mirror_clusters_mode")),
        sa.CheckConstraint(
            "failure_policy IN ('Fail', 'Ignore')", name=op.f("ck_mirror_clusters_failure_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_clusters")),
        sa.UniqueConstraint("name", name=op.f("uq_mirror_clusters_name")),
    )


def downgrade() -> None:
    op.drop_table("mirror_clusters")
