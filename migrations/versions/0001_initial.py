"""Create the plugin's tables: integrations, spaces, bindings and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("integration_name", sa.String(length=100), nullable=False),
        sa.Column("space_name", sa.String(length=255), nullable=False),
        sa.Column("workspace_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_audit_events")),
    )
    with op.batch_alter_table("mirror_audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mirror_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_mirror_audit_events_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_mirror_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mirror_audit_events_space_name"), ["space_name"], unique=False
        )

    op.create_table(
        "mirror_integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("registry_host", sa.String(length=300), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("verify_tls", sa.Boolean(), nullable=False),
        sa.Column("ca_bundle", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("health", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(scope = 'platform' AND workspace_id = '')"
            " OR (scope = 'workspace' AND workspace_id <> '')",
            name=op.f("ck_mirror_integrations_scope_matches_workspace"),
        ),
        sa.CheckConstraint(
            "kind IN ('harbor', 'docker')", name=op.f("ck_mirror_integrations_known_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_integrations")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_mirror_integrations_workspace_id_name")
        ),
    )
    with op.batch_alter_table("mirror_integrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mirror_integrations_registry_host"), ["registry_host"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mirror_integrations_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "mirror_spaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("upstream_id", sa.String(length=64), nullable=True),
        sa.Column("repo_count", sa.Integer(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["mirror_integrations.id"],
            name=op.f("fk_mirror_spaces_integration_id_mirror_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_spaces")),
        sa.UniqueConstraint(
            "integration_id", "name", name=op.f("uq_mirror_spaces_integration_id_name")
        ),
    )
    with op.batch_alter_table("mirror_spaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mirror_spaces_integration_id"), ["integration_id"], unique=False
        )

    op.create_table(
        "mirror_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["mirror_spaces.id"],
            name=op.f("fk_mirror_bindings_space_id_mirror_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_bindings")),
        sa.UniqueConstraint(
            "space_id", "workspace_id", name=op.f("uq_mirror_bindings_space_id_workspace_id")
        ),
    )
    with op.batch_alter_table("mirror_bindings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mirror_bindings_workspace_space", ["workspace_id", "space_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mirror_bindings", schema=None) as batch_op:
        batch_op.drop_index("ix_mirror_bindings_workspace_space")

    op.drop_table("mirror_bindings")
    with op.batch_alter_table("mirror_spaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_spaces_integration_id"))

    op.drop_table("mirror_spaces")
    with op.batch_alter_table("mirror_integrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_integrations_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_mirror_integrations_registry_host"))

    op.drop_table("mirror_integrations")
    with op.batch_alter_table("mirror_audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_audit_events_space_name"))
        batch_op.drop_index(batch_op.f("ix_mirror_audit_events_at"))
        batch_op.drop_index(batch_op.f("ix_mirror_audit_events_actor"))
        batch_op.drop_index(batch_op.f("ix_mirror_audit_events_action"))

    op.drop_table("mirror_audit_events")
