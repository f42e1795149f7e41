"""Repositories of spaces, as of the last sync (the picker searches their names).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("artifact_count", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["mirror_spaces.id"],
            name=op.f("fk_mirror_repositories_space_id_mirror_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_repositories")),
        sa.UniqueConstraint("space_id", "name", name=op.f("uq_mirror_repositories_space_id_name")),
    )
    with op.batch_alter_table("mirror_repositories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mirror_repositories_name"), ["name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mirror_repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_repositories_name"))

    op.drop_table("mirror_repositories")
