"""What importing the plugin costs: a host process (a web worker, a `flask` command) should not
load Alembic until a migration runs, nor the registry HTTP stack (requests, urllib3) until it
calls a registry, and `import mirror_plugin` alone loads nothing heavy."""

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


#: A host app on SQLite with the plugin initialised and its tables created: workspace ``ws``
#: owns namespace ``dev``, and ``admin`` is a platform Admin.
HOST_APP = (
    "from flask import Flask\n"
    "from flask_sqlalchemy import SQLAlchemy\n"
    "from mirror_plugin import MirrorPlugin, dbmigrate\n"
    "from mirror_plugin.testing import FakeHostAdapter\n"
    "from cryptography.fernet import Fernet\n"
    "app = Flask('probe'); app.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite://'\n"
    "app.config['MIRROR_SECRET_KEYS'] = [Fernet.generate_key().decode()]\n"
    "host = FakeHostAdapter(workspaces={'ws': 'Team'}, namespaces={'dev': 'ws'},\n"
    "                       platform_admins=['admin'])\n"
    "db = SQLAlchemy(app); plugin = MirrorPlugin(app, db=db, host=host)\n"
    "with app.app_context(): dbmigrate.upgrade()\n"
)


def test_alembic_loads_when_a_migration_runs() -> None:
    loaded = loaded_after(HOST_APP)
    assert loaded["alembic"]


def test_checks_and_pages_without_a_registry_load_no_http_stack() -> None:
    """Deploy checks and pages that talk to no registry are what a web worker mostly serves."""
    loaded = loaded_after(
        HOST_APP + "with app.app_context():\n"
        "    assert plugin.check_image('dev', 'nginx:1').allowed\n"
        "host.login('admin')\n"
        "page = app.test_client().get('/mirror/integrations/')\n"
        "assert page.status_code == 200, page.status_code"
    )
    assert not loaded["requests"] and not loaded["urllib3"]


def test_the_first_registry_call_loads_the_http_stack() -> None:
    """The probe above can fail: the same app loads requests once it tests a connection."""
    loaded = loaded_after(
        HOST_APP + "from mirror_plugin.services.integrations import IntegrationInput, "
        "test_connection\n"
        "data = IntegrationInput(name='r', kind='docker', url='https://registry.invalid')\n"
        "with app.app_context():\n"
        "    assert not test_connection(data, platform=True).ok"
    )
    assert loaded["requests"] and loaded["urllib3"]


def test_every_exported_name_resolves() -> None:
    import mirror_plugin

    for name in mirror_plugin.__all__:
        assert getattr(mirror_plugin, name) is not None, name
