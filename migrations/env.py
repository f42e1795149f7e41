"""Alembic environment of the plugin's own migration chain.

Configured in code by mirror_plugin.dbmigrate: the connection and version table arrive in
``config.attributes``; only ``mirror_`` tables are compared; batch mode keeps SQLite working.
"""

from __future__ import annotations

from alembic import context

from mirror_plugin.dbmigrate import include_plugin_object
from mirror_plugin.models import mirror_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run the plugin's migrations through 'flask mirror db ...'.")

context.configure(
    connection=connection,
    target_metadata=mirror_metadata,
    version_table=config.attributes["version_table"],
    include_object=include_plugin_object,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
