"""Changes to a cluster's credentials or settings bump the rule generation counter.

The admission webhook keeps every cluster (token hash, mode, exempt namespaces, mutate) in
each worker's memory and re-reads them when the counter moved, which each worker checks at
most every ``MIRROR_RULE_REFRESH_SECONDS`` anyway (mirror_plugin.services.rulecache): a
token
rotated
or a cluster removed by any process, or by SQL, stops working within that bound without a
query per review. Only those columns are watched: the decision counters, updated every few
seconds by each worker, must not make every snapshot reload. (SQLite triggers are dropped
by a batch table rebuild: a later migration rebuilding mirror_clusters must re-create them.)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "mirror_clusters"
WATCHED_COLUMNS = "name, token_hash, mode, exempt_namespaces, mutate"
BUMP = "UPDATE mirror_rule_generation SET value = value + 1 WHERE id = 1"
SQLITE_EVENTS = {"insert": "INSERT", "delete": "DELETE", "update": f"UPDATE OF {WATCHED_COLUMNS}"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":  # mirror_bump_rule_generation() is migration 0003's
        op.execute(
            f"CREATE TRIGGER {TABLE}_bump_rule_generation AFTER INSERT OR DELETE OR UPDATE OF "
            f"{WATCHED_COLUMNS} ON {TABLE} FOR EACH STATEMENT "
            "EXECUTE FUNCTION mirror_bump_rule_generation()"
        )
    elif dialect == "sqlite":
        for name, event in SQLITE_EVENTS.items():
            op.execute(
                f"CREATE TRIGGER {TABLE}_bump_on_{name} AFTER {event} ON {TABLE} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_bump_rule_generation ON {TABLE}")
    elif dialect == "sqlite":
        for name in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_bump_on_{name}")
