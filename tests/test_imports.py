"""What importing the plugin costs: a host process (a web worker, a `flask` command) should not
load Alembic until a migration runs, and `import mirror_plugin` alone loads nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("alembic", "requests", "urllib3", "sqlalchemy", "flask_babel")


def loaded_after(code: str) -> dict[str, bool]:
    """Which of HEAVY a fresh interpreter has in sys.modules after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1])


def test_import_mirror_plugin_loads_nothing_heavy() -> None:
    assert loaded_after("import mirror_plugin") == dict.fromkeys(HEAVY, False)


def test_the_extension_loads_without_alembic() -> None:
    loaded = loaded_after("from mirror_plugin import MirrorPlugin")
    assert loaded["sqlalchemy"], "the probe itself is wrong: the extension needs SQLAlchemy"
    assert not loaded["alembic"]


def test_alembic_loads_when_a_migration_runs() -> None:
    loaded = loaded_after(
        "from flask import Flask\n"
        "from flask_sqlalchemy import SQLAlchemy\n"
        "from mirror_plugin import MirrorPlugin, dbmigrate\n"
        "from mirror_plugin.testing import FakeHostAdapter\n"
        "from cryptography.fernet import Fernet\n"
        "app = Flask('probe'); app.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite://'\n"
        "app.config['MIRROR_SECRET_KEYS'] = [Fernet.generate_key().decode()]\n"
        "db = SQLAlchemy(app); MirrorPlugin(app, db=db, host=FakeHostAdapter())\n"
        "with app.app_context(): dbmigrate.upgrade()"
    )
    assert loaded["alembic"]


def test_every_exported_name_resolves() -> None:
    import mirror_plugin

    for name in mirror_plugin.__all__:
        assert getattr(mirror_plugin, name) is not None, name
