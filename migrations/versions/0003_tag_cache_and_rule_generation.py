"""Tag cache for the picker; a rule generation counter bumped by triggers.

The triggers make every write to integrations, spaces and bindings, by any process or tool,
visible to the workers' in-memory rule snapshots (mirror_plugin.services.rulecache). SQLite and
PostgreSQL are supported; on other databases the counter is left to the plugin's own
writes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WATCHED = ("mirror_integrations", "mirror_spaces", "mirror_bindings")
BUMP = "UPDATE mirror_rule_generation SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "mirror_rule_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_rule_generation")),
    )
    op.execute("INSERT INTO mirror_rule_generation (id, value) VALUES (1, 0)")
    op.create_table(
        "mirror_tag_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("repository", sa.String(length=512), nullable=False),
        sa.Column("artifacts", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["mirror_spaces.id"],
            name=op.f("fk_mirror_tag_cache_space_id_mirror_spaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_tag_cache")),
        sa.UniqueConstraint(
            "space_id", "repository", name=op.f("uq_mirror_tag_cache_space_id_repository")
        ),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION mirror_bump_rule_generation() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_bump_rule_generation AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION mirror_bump_rule_generation()"
            )
    elif dialect == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_bump_on_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {BUMP}; END"
                )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_rule_generation ON {table}")
        op.execute("DROP FUNCTION IF EXISTS mirror_bump_rule_generation()")
    elif dialect == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_on_{event}")
    op.drop_table("mirror_tag_cache")
    op.drop_table("mirror_rule_generation")
