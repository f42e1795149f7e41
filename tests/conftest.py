"""Fixtures: a host app with the plugin mounted, on SQLite and on PostgreSQL.

PostgreSQL tests run against the server at MIRROR_TEST_POSTGRES (default: the local one at
127.0.0.1:5432, database ``test``) in a database of their own created for the session. Locally
they skip when the server is unreachable; under CI (``CI=true``) that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from mirror_plugin import MirrorPlugin, dbmigrate
from mirror_plugin.models import mirror_metadata
from mirror_plugin.testing import FakeHostAdapter

POSTGRES_URL = os.environ.get(
    "MIRROR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = "redis://127.0.0.1:6379"

# The real Docker Registry fixtures (registry_open, registry_basic, registry_token), the
# browser fixtures (demo, chromium, open_page) and the socket recorder (connects).
pytest_plugins = ["tests.registries", "tests.browser", "tests.faulty_server"]


def pytest_configure(config: pytest.Config) -> None:
    from tests import leakcheck

    leakcheck.install()


@pytest.fixture(autouse=True)
def no_secret_leaks() -> Iterator[None]:
    """Fail the test during which a registry password or token reached a response or a log."""
    from tests import leakcheck

    leakcheck.ensure_logging_watched()
    seen = len(leakcheck.HITS)
    yield
    new = leakcheck.HITS[seen:]
    assert not new, "secret leaked:\n" + "\n".join(new)


def require_tool(available: bool, what: str) -> None:
    """Skip on a laptop that lacks ``what``; fail under CI, where everything must be present."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI but is not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        admin.dispose()
        require_tool(False, f"PostgreSQL at {POSTGRES_URL} ({exc.__class__.__name__})")
    name = f"mirror_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis at 127.0.0.1:6379: skipped locally when unreachable, required under CI."""
    try:
        import redis
    except ImportError:
        require_tool(False, "the redis Python client")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        require_tool(False, f"Redis at {REDIS_URL} ({exc.__class__.__name__})")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/mirror.db"
    return str(request.getfixturevalue("postgres_url"))


def world() -> FakeHostAdapter:
    """The platform every test shares: three workspaces, namespaces in two, one in none."""
    return FakeHostAdapter(
        workspaces={"ws-a": "Team A", "ws-b": "Team B", "ws-c": "Team C"},
        namespaces={
            "prod/a-web": "ws-a",
            "prod/a-jobs": "ws-a",
            "prod/b-api": "ws-b",
            "dev/sandbox": None,
        },
        roles={
            "alice": {"ws-a": "admin"},
            "eddie": {"ws-a": "editor"},
            "vera": {"ws-a": "viewer"},
            "bob": {"ws-b": "admin"},
        },
        platform_admins={"root"},
    )


@pytest.fixture
def adapter() -> FakeHostAdapter:
    return world()


def make_app(database_url: str, adapter: FakeHostAdapter, **config: object) -> Flask:
    app = Flask("host_under_test")
    app.config.update(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            # Test registries listen on loopback, which production refuses unless allow-listed.
            "MIRROR_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"],
            "MIRROR_REGISTRY_TIMEOUT": 5.0,
            **config,
        }
    )
    db = SQLAlchemy(app)
    MirrorPlugin(app, db=db, host=adapter)
    return app


def drop_plugin_tables(engine: sa.Engine) -> None:
    """Leave a shared database as found: the plugin's tables and its version table gone."""
    mirror_metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {dbmigrate.version_table()}"))


@contextmanager
def migrated(app: Flask) -> Iterator[Flask]:
    """``app`` in its app context with the plugin's tables migrated, dropped at the end."""
    with app.app_context():
        dbmigrate.upgrade()
        try:
            yield app
        finally:
            # A background thread (started by the first request when TESTING is off) left
            # running would take later tests' jobs from the session's shared PostgreSQL.
            state = app.extensions["mirror_plugin"]
            for thread in (state.health, state.pull_worker, state.jobs):
                thread.stop()
        db = app.extensions["mirror_plugin"].db
        db.session.remove()
        drop_plugin_tables(db.engine)
        db.engine.dispose()


@pytest.fixture
def app(database_url: str, adapter: FakeHostAdapter) -> Iterator[Flask]:
    with migrated(make_app(database_url, adapter)) as app:
        yield app


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


class Api:
    """A test client speaking the plugin's JSON API as one user, CSRF token included."""

    TOKEN = "test-csrf-token"

    def __init__(self, client: Any, adapter: FakeHostAdapter) -> None:
        self.client = client
        self.adapter = adapter
        with client.session_transaction() as session:
            session["_mirror_csrf"] = self.TOKEN

    def as_user(self, user_id: str | None) -> Api:
        self.adapter.login(user_id)
        return self

    def call(self, method: str, path: str, json: Any = None, csrf: bool = True) -> Any:
        headers = {"X-Mirror-CSRF": self.TOKEN} if csrf else {}
        return self.client.open("/mirror" + path, method=method, json=json, headers=headers)

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, json=json if json is not None else {}, **kw)

    def patch(self, path: str, json: Any) -> Any:
        return self.call("PATCH", path, json=json)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)


@pytest.fixture
def api(client: Any, adapter: FakeHostAdapter) -> Api:
    return Api(client, adapter)
