"""Pull secrets for cluster agents, and the optional mutating webhook per cluster.

``mirror_clusters.mutate`` turns on the mutating webhook that adds a namespace's pull secret
to its Pods (off by default). ``mirror_pull_counter`` (one row) is the change counter of pull
credentials and ``mirror_pull_changes`` the counter value of each workspace's last change:
what a cluster agent's ``since`` cursor is compared with.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mirror_clusters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mutate", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    counter = op.create_table(
        "mirror_pull_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_pull_counter")),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])
    op.create_table(
        "mirror_pull_changes",
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_mirror_pull_changes")),
    )
    with op.batch_alter_table("mirror_pull_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mirror_pull_changes_seq"), ["seq"], unique=False)


def downgrade() -> None:
    op.drop_table("mirror_pull_changes")
    op.drop_table("mirror_pull_counter")
    with op.batch_alter_table("mirror_clusters", schema=None) as batch_op:
        batch_op.drop_column("mutate")
