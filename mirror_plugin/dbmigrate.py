"""The plugin's own Alembic chain: upgrade, current, check, and the host-side filter.

The chain lives in ``mirror_plugin/migrations`` (``migrations/`` in a checkout) and records its
revision in a version table of its own (``MIRROR_VERSION_TABLE``), so it never touches the host's
``alembic_version`` row, whether or not the host uses Flask-Migrate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import Connection, Engine

from mirror_plugin.models import mirror_metadata
from mirror_plugin.resources import migrations_dir
from mirror_plugin.state import mirror_state

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where a migration runs, not with the plugin: a web worker never needs
# it, and importing it cost a third of `import mirror_plugin`.

TABLE_PREFIX = "mirror_"
DEFAULT_VERSION_TABLE = "alembic_version_mirror_plugin"


def is_plugin_table(name: str | None) -> bool:
    return bool(name) and (
        name.startswith(TABLE_PREFIX) or name.startswith(DEFAULT_VERSION_TABLE)  # type: ignore[union-attr]
    )


def exclude_from_host(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` for the *host's* migrations: leave the plugin's tables alone.

    Pass it to the host's Flask-Migrate, ``Migrate(app, db, include_object=exclude_from_host)``,
    so ``flask db migrate`` never proposes to drop them.
    """
    table = (
        obj.table.name
        if type_ in {"column", "index", "unique_constraint", "foreign_key_constraint"}
        else name
    )
    return not is_plugin_table(table)


def include_plugin_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """The plugin chain's own ``include_object``: only ``mirror_`` tables and their parts."""
    return not exclude_from_host(obj, name, type_, reflected, compare_to)


def _engine() -> Engine:
    return mirror_state().db.engine


def version_table() -> str:
    return str(current_app.config.get("MIRROR_VERSION_TABLE", DEFAULT_VERSION_TABLE))


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config built in code: no alembic.ini, the script folder found at run time."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = version_table()
    return config


@contextmanager
def _connected() -> Iterator[Config]:
    with _engine().begin() as connection:
        yield alembic_config(connection)


def upgrade(revision: str = "head") -> None:
    from alembic import command

    with _connected() as config:
        command.upgrade(config, revision)


def downgrade(revision: str) -> None:
    from alembic import command

    with _connected() as config:
        command.downgrade(config, revision)


def heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current() -> str | None:
    """The revision the database is at, ``None`` before the first upgrade."""
    from alembic.migration import MigrationContext

    with _engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": version_table()})
        return context.get_current_revision()


def pending_changes() -> list[Any]:
    """Differences between the migrated schema and the models (empty when in sync)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with _engine().connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": version_table(),
                "include_object": include_plugin_object,
                "compare_type": True,
                "target_metadata": mirror_metadata,
            },
        )
        return list(compare_metadata(context, mirror_metadata))


def check() -> tuple[bool, str]:
    """Is the database at head with a schema equal to the models? ``(ok, sentence)``."""
    at, head = current(), heads()
    if at not in head:
        return (
            False,
            f"Database is at {at or 'no revision'}; run 'flask mirror db upgrade' ({head[0]}).",
        )
    diff = pending_changes()
    if diff:
        return False, f"Schema differs from the models: {diff}"
    return True, f"Database is at head {at} and matches the models."
