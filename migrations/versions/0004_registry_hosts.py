"""Other names and resolved addresses of registries; registry keys recomputed.

The visibility rule finds an integration by its canonical ``host[:port]`` key and, since this
revision, by the aliases the Admin listed and the addresses its host resolved to. Writes to
the new table bump the rule generation like writes to integrations (see 0003). Existing
``registry_host`` values are recomputed with the stricter canonical form (ports as numbers,
IPv4 literals in any ``inet_aton`` form, IPv6 compressed, IDNA).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mirror_plugin.policy.hostkey import registry_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "mirror_registry_hosts"
BUMP = "UPDATE mirror_rule_generation SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("host_key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["mirror_integrations.id"],
            name=op.f("fk_mirror_registry_hosts_integration_id_mirror_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_registry_hosts")),
        sa.UniqueConstraint(
            "integration_id",
            "source",
            "host_key",
            name=op.f("uq_mirror_registry_hosts_integration_id_source_host_key"),
        ),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mirror_registry_hosts_host_key"), ["host_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mirror_registry_hosts_integration_id"), ["integration_id"], unique=False
        )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_bump_rule_generation AFTER INSERT OR UPDATE OR DELETE "
            f"ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION mirror_bump_rule_generation()"
        )
    elif dialect == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_bump_on_{event.lower()} AFTER {event} ON {TABLE} "
                f"BEGIN {BUMP}; END"
            )
    integrations = sa.table(
        "mirror_integrations",
        sa.column("id", sa.Integer),
        sa.column("url", sa.String),
        sa.column("registry_host", sa.String),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(integrations.c.id, integrations.c.url)).all():
        key = registry_key(row.url.split("://", 1)[-1].split("/", 1)[0])
        bind.execute(
            integrations.update().where(integrations.c.id == row.id).values(registry_host=key)
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_bump_rule_generation ON {TABLE}")
    elif dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_bump_on_{event}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_registry_hosts_integration_id"))
        batch_op.drop_index(batch_op.f("ix_mirror_registry_hosts_host_key"))
    op.drop_table(TABLE)
