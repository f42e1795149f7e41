"""The plugin's own Alembic chain on SQLite and PostgreSQL, beside a host's Flask-Migrate."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from mirror_plugin import MirrorPlugin, dbmigrate, exclude_from_host
from mirror_plugin.models import mirror_metadata

from .conftest import world

PLUGIN_TABLES = {table.name for table in mirror_metadata.sorted_tables}


def table_names(app: Flask) -> set[str]:
    return set(sa.inspect(app.extensions["mirror_plugin"].db.engine).get_table_names())


def test_the_chain_has_one_head(app: Flask) -> None:
    assert len(dbmigrate.heads()) == 1


def test_migrated_schema_equals_the_models(app: Flask) -> None:
    assert dbmigrate.current() == dbmigrate.heads()[0]
    assert dbmigrate.pending_changes() == []
    ok, sentence = dbmigrate.check()
    assert ok, sentence
    assert PLUGIN_TABLES | {"alembic_version_mirror_plugin"} <= table_names(app)
    assert "alembic_version" not in table_names(app)


def test_downgrade_to_base_and_back(app: Flask) -> None:
    dbmigrate.downgrade("base")
    assert not PLUGIN_TABLES & table_names(app)
    assert dbmigrate.current() is None
    ok, sentence = dbmigrate.check()
    assert not ok and "flask mirror db upgrade" in sentence
    dbmigrate.upgrade()
    assert PLUGIN_TABLES <= table_names(app)


def test_cli_upgrade_current_check(app: Flask) -> None:
    runner = app.test_cli_runner()
    dbmigrate.downgrade("base")
    assert "base" in runner.invoke(args=["mirror", "db", "current"]).output
    failed = runner.invoke(args=["mirror", "db", "check"])
    assert failed.exit_code == 1
    result = runner.invoke(args=["mirror", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    head = dbmigrate.heads()[0]
    assert head in result.output
    assert runner.invoke(args=["mirror", "db", "current"]).output.strip() == head
    passed = runner.invoke(args=["mirror", "db", "check"])
    assert passed.exit_code == 0 and "matches the models" in passed.output


def test_host_flask_migrate_keeps_its_row_and_ignores_our_tables(
    database_url: str, tmp_path: Path
) -> None:
    """A host with its own Flask-Migrate history: neither chain disturbs the other."""
    from flask_migrate import Migrate, init, migrate, upgrade

    host = Flask("host_with_migrate")
    host.config.update(SQLALCHEMY_DATABASE_URI=database_url, TESTING=True, SECRET_KEY="s")
    db = SQLAlchemy(host)

    class Deployment(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "host_deployments"
        id = db.Column(db.Integer, primary_key=True)
        image = db.Column(db.String(500))

    directory = str(tmp_path / "host_migrations")
    Migrate(host, db, directory=directory, include_object=exclude_from_host)
    MirrorPlugin(host, db=db, host=world())
    engine_url = database_url
    try:
        with host.app_context():
            init(directory=directory)
            migrate(directory=directory, message="host tables")
            upgrade(directory=directory)
            with db.engine.connect() as conn:
                host_row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
            assert len(host_row) == 1

            dbmigrate.upgrade()
            with db.engine.connect() as conn:
                after = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
            assert after == host_row
            assert dbmigrate.pending_changes() == []

            # The host's next autogenerate sees nothing to do: no revision file is written.
            versions = Path(directory, "versions")
            before = sorted(versions.glob("*.py"))
            migrate(directory=directory, message="should be empty")
            assert sorted(versions.glob("*.py")) == before

            # Without the filter the host would propose dropping every plugin table.
            from alembic.autogenerate import compare_metadata
            from alembic.migration import MigrationContext

            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            dropped = {op[1].name for op in diff if op[0] == "remove_table"}
            assert PLUGIN_TABLES <= dropped
    finally:
        with host.app_context():
            mirror_metadata.drop_all(db.engine)
            with db.engine.begin() as conn:
                for table in (
                    "host_deployments",
                    "alembic_version",
                    "alembic_version_mirror_plugin",
                ):
                    conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
            db.engine.dispose()
    assert engine_url == database_url
