"""Pull access: one Harbor robot per (platform Harbor, workspace), and the outbox of changes.

Bindings decide which private projects a workspace's namespaces may pull; the robot holds
exactly ``repository:pull`` on them. Binding changes enqueue outbox rows in their own
transaction; the reconciler applies them to Harbor later, with retries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _integration_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["integration_id"],
        ["mirror_integrations.id"],
        name=op.f(f"fk_{table}_integration_id_mirror_integrations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("mirror_integrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "share_pull_credentials", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "mirror_pull_robots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("robot_id", sa.Integer(), nullable=True),
        sa.Column("robot_name", sa.String(length=300), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("projects", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _integration_fk("mirror_pull_robots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_pull_robots")),
        sa.UniqueConstraint(
            "integration_id",
            "workspace_id",
            name=op.f("uq_mirror_pull_robots_integration_id_workspace_id"),
        ),
    )
    with op.batch_alter_table("mirror_pull_robots", schema=None) as batch_op:
        for column in ("integration_id", "workspace_id"):
            batch_op.create_index(
                batch_op.f(f"ix_mirror_pull_robots_{column}"), [column], unique=False
            )
    op.create_table(
        "mirror_pull_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        _integration_fk("mirror_pull_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_pull_outbox")),
    )
    with op.batch_alter_table("mirror_pull_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mirror_pull_outbox_pending", ["done_at", "next_attempt_at"], unique=False
        )
        for column in ("integration_id", "workspace_id"):
            batch_op.create_index(
                batch_op.f(f"ix_mirror_pull_outbox_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("mirror_pull_outbox")
    op.drop_table("mirror_pull_robots")
    with op.batch_alter_table("mirror_integrations", schema=None) as batch_op:
        batch_op.drop_column("share_pull_credentials")
