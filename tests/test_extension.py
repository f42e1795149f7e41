"""Mounting the plugin: registration errors, config defaults, pages and the access gate."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from mirror_plugin import MirrorPlugin
from mirror_plugin.config import DEFAULTS
from mirror_plugin.testing import FakeHostAdapter

from .conftest import world
from .factories import integration, session, space


def bare_app() -> Flask:
    app = Flask("bare")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", TESTING=True, SECRET_KEY="s")
    return app


def test_production_without_secret_keys_refuses_to_start() -> None:
    app = Flask("production")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    SQLAlchemy(app)
    with pytest.raises(RuntimeError, match="MIRROR_SECRET_KEYS is not set"):
        MirrorPlugin(app, host=world())
    assert "mirror_plugin" not in app.extensions


def test_a_malformed_secret_key_is_named() -> None:
    app = bare_app()
    app.config["MIRROR_SECRET_KEYS"] = ["not-a-key"]
    SQLAlchemy(app)
    with pytest.raises(RuntimeError, match="not a Fernet key"):
        MirrorPlugin(app, host=world())


def test_registering_twice_is_a_clear_error() -> None:
    app = bare_app()
    db = SQLAlchemy(app)
    MirrorPlugin(app, db=db, host=world())
    with pytest.raises(RuntimeError, match="already been registered"):
        MirrorPlugin(app, db=db, host=world())


def test_missing_host_adapter_is_a_clear_error() -> None:
    app = bare_app()
    db = SQLAlchemy(app)
    with pytest.raises(RuntimeError, match="Missing host adapter"):
        MirrorPlugin(app, db=db)
    assert "mirror_plugin" not in app.extensions


def test_incomplete_host_adapter_names_what_is_missing() -> None:
    class HalfAdapter:
        def current_user(self) -> None:
            return None

    app = bare_app()
    SQLAlchemy(app)
    with pytest.raises(RuntimeError, match="workspace_roles, list_workspaces"):
        MirrorPlugin(app, host=HalfAdapter())  # type: ignore[arg-type]


def test_optional_adapter_methods_are_optional_but_must_be_callable() -> None:
    app = bare_app()
    SQLAlchemy(app)
    MirrorPlugin(app, host=world())  # no console_namespace: the default mapping applies
    adapter = world()
    adapter.console_namespace = "cluster-1/{namespace}"  # type: ignore[attr-defined]
    app = bare_app()
    SQLAlchemy(app)
    with pytest.raises(RuntimeError, match="lacks console_namespace"):
        MirrorPlugin(app, host=adapter)


def test_missing_database_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="Flask-SQLAlchemy"):
        MirrorPlugin(bare_app(), host=world())


def test_uses_the_hosts_sqlalchemy_found_on_the_app() -> None:
    app = bare_app()
    db = SQLAlchemy(app)
    MirrorPlugin(app, host=world())
    assert app.extensions["mirror_plugin"].db is db
    assert app.extensions["sqlalchemy"] is db
    assert "migrate" not in app.extensions


def test_factory_pattern_and_config_defaults() -> None:
    plugin = MirrorPlugin(host=world())
    app = bare_app()
    app.config["MIRROR_URL_PREFIX"] = "/registry"
    SQLAlchemy(app)
    plugin.init_app(app)
    assert app.config["MIRROR_URL_PREFIX"] == "/registry"
    for key, default in DEFAULTS.items():
        if key != "MIRROR_URL_PREFIX":
            assert app.config[key] == default
    assert any(rule.rule == "/registry/" for rule in app.url_map.iter_rules())
    assert "mirror" in app.cli.commands


def test_bad_foreign_image_policy_is_refused_at_start() -> None:
    app = bare_app()
    app.config["MIRROR_FOREIGN_IMAGES"] = "maybe"
    SQLAlchemy(app)
    with pytest.raises(RuntimeError, match="MIRROR_FOREIGN_IMAGES must be 'allow' or 'deny'"):
        MirrorPlugin(app, host=world())


def test_one_plugin_object_serves_two_apps(tmp_path: object) -> None:
    plugin = MirrorPlugin(host=world())
    for name in ("one", "two"):
        app = Flask(name)
        app.config.update(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/{name}.db", TESTING=True, SECRET_KEY="s"
        )
        SQLAlchemy(app)
        plugin.init_app(app)
        assert app.extensions["mirror_plugin"].plugin is plugin


def test_menu_items_are_data_for_the_host(app: Flask) -> None:
    items = app.extensions["mirror_plugin"].plugin.menu_items()
    assert items[0].title == "Mirror Warehouse"
    with app.test_request_context():
        from flask import url_for

        assert url_for(items[0].endpoint) == "/mirror/"


def test_anonymous_users_get_401(client, adapter: FakeHostAdapter) -> None:  # type: ignore[no-untyped-def]
    adapter.login(None)
    assert client.get("/mirror/").status_code == 401
    assert client.get("/mirror/explain").status_code == 401


def test_admin_sees_every_registry_members_only_their_workspaces(
    app: Flask,
    client,
    adapter: FakeHostAdapter,  # type: ignore[no-untyped-def]
) -> None:
    harbor = integration("platform-harbor", "https://harbor.example.com")
    space(harbor, "library", public=True)
    integration("alpha-own", "https://a.example.com", workspace_id="ws-a")
    integration("beta-own", "https://b.example.com", workspace_id="ws-b")
    session().commit()

    adapter.login("root")
    page = client.get("/mirror/").get_data(as_text=True)
    assert all(name in page for name in ("platform-harbor", "alpha-own", "beta-own"))

    adapter.login("eddie")
    page = client.get("/mirror/").get_data(as_text=True)
    assert "alpha-own" in page and "Team A" in page and "platform-harbor" in page
    assert "beta-own" not in page


def test_explain_page_answers_for_own_namespaces_only(
    app: Flask,
    client,
    adapter: FakeHostAdapter,  # type: ignore[no-untyped-def]
) -> None:
    harbor = integration("harbor", "https://harbor.example.com")
    space(harbor, "secret", bound=("ws-a",))
    session().commit()
    adapter.login("eddie")
    url = "/mirror/explain?namespace=prod/a-web&image=harbor.example.com/secret/app:1"
    page = client.get(url).get_data(as_text=True)
    assert "Allowed" in page and "bound to workspace Team A" in page
    sandbox = client.get("/mirror/explain?namespace=dev/sandbox&image=harbor.example.com/secret/a")
    assert "not bound to any workspace" in sandbox.get_data(as_text=True)
    other = client.get("/mirror/explain?namespace=prod/b-api&image=harbor.example.com/secret/a")
    assert other.status_code == 404
    unknown = client.get("/mirror/explain?namespace=nope&image=harbor.example.com/secret/a")
    assert unknown.status_code == 404


def test_host_can_override_a_template(app: Flask, tmp_path, adapter: FakeHostAdapter) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "templates" / "mirror_plugin"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("host's own overview")
    app.template_folder = str(tmp_path / "templates")
    adapter.login("root")
    assert app.test_client().get("/mirror/").get_data(as_text=True) == "host's own overview"


def test_pages_extend_the_hosts_base_template(
    app: Flask, tmp_path, adapter: FakeHostAdapter
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "console.html").write_text(
        "<nav>HOST CHROME</nav>{% block head %}{% endblock %}{% block content %}{% endblock %}"
    )
    app.config["MIRROR_BASE_TEMPLATE"] = "console.html"
    app.template_folder = str(tmp_path)
    adapter.login("root")
    page = app.test_client().get("/mirror/").get_data(as_text=True)
    assert page.startswith("<nav>HOST CHROME</nav>") and "Mirror Warehouse" in page


def test_host_may_take_over_the_content_security_policy(
    app: Flask, adapter: FakeHostAdapter
) -> None:
    adapter.login("root")
    app.config["MIRROR_CONTENT_SECURITY_POLICY"] = ""
    headers = app.test_client().get("/mirror/").headers
    assert "Content-Security-Policy" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_templates_hold_no_inline_script_or_style() -> None:
    """The CSP forbids them; a template that adds one would break in browsers."""
    import re

    from mirror_plugin.resources import templates_dir

    for template in templates_dir().rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert " style=" not in text and "<style" not in text, template
