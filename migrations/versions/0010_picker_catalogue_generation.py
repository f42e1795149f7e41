"""Writes to repositories move the rule generation, and a catalogue counter of their own.

The picker searches an in-memory index of repositories in each worker
(mirror_plugin.services.searchindex), kept fresh with the rule snapshot. Row 2 of
``mirror_rule_generation``, the catalogue counter, tells the index whether it must re-read
the repositories or only the (much smaller) visibility facts.

On PostgreSQL every statement writing ``mirror_repositories``, by any process or tool, bumps
row 1 (what every worker watches, as for integrations, spaces and bindings: 0003) and row 2.
Syncs already move row 1 through the spaces they write, so snapshots reload no more often.

SQLite has row triggers only: one per repository would add about 0.9 s to a sync of 20,000
repositories (measured). There, every write to ``mirror_spaces`` bumps row 2 instead (row 1
is bumped by 0003's triggers): every writer of repositories in the plugin (sync, refresh,
deleting a space or an integration) writes their space in the same transaction, a sync once
per space. A tool writing repositories alone on SQLite is seen at the next write to a space.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "mirror_repositories"
BUMP = "UPDATE mirror_rule_generation SET value = value + 1 WHERE id IN (1, 2)"
SPACES = "mirror_spaces"
BUMP_CATALOGUE = "UPDATE mirror_rule_generation SET value = value + 1 WHERE id = 2"


def upgrade() -> None:
    op.execute("INSERT INTO mirror_rule_generation (id, value) VALUES (2, 0)")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # A statement trigger: a sync's bulk insert bumps the counters once per statement.
        op.execute(
            "CREATE OR REPLACE FUNCTION mirror_bump_catalogue_generation() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_bump_catalogue_generation AFTER INSERT OR UPDATE OR DELETE "
            f"ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION mirror_bump_catalogue_generation()"
        )
    elif dialect == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {SPACES}_bump_catalogue_on_{event.lower()} AFTER {event} "
                f"ON {SPACES} BEGIN {BUMP_CATALOGUE}; END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_bump_catalogue_generation ON {TABLE}")
        op.execute("DROP FUNCTION IF EXISTS mirror_bump_catalogue_generation()")
    elif dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {SPACES}_bump_catalogue_on_{event}")
    op.execute("DELETE FROM mirror_rule_generation WHERE id = 2")
