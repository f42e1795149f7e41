"""The plugin's web layer against hostile input: CSRF tokens that are not ASCII or that were
issued before sign-in, oversized request bodies, and registry text carrying bidi or control
characters into pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from flask_login import LoginManager, UserMixin, login_user, logout_user

from mirror_plugin.testing import FakeHostAdapter

from .conftest import Api, make_app, migrated
from .factories import integration, session, space

# -- CSRF -------------------------------------------------------------------------------------


def test_non_ascii_csrf_token_is_a_400_not_a_500(api: Api) -> None:
    """hmac.compare_digest raises TypeError on non-ASCII str: that was a 500."""
    api.as_user("eddie")
    body = {"namespace": "prod/a-web", "images": []}
    as_header = api.client.post(
        "/mirror/api/filter", json=body, headers={"X-Mirror-CSRF": "t\u00f6k\u00e9n"}
    )
    as_field = api.client.post("/mirror/api/filter", data={"mirror_csrf_token": "токен"})
    for refused in (as_header, as_field):
        assert refused.status_code == 400
        assert "CSRF token is malformed" in refused.get_json()["error"]["message"]
    wrong = api.client.post("/mirror/api/filter", json=body, headers={"X-Mirror-CSRF": "nope"})
    assert wrong.status_code == 403


class _User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


@pytest.fixture
def login_host(database_url: str, adapter: FakeHostAdapter) -> Iterator[Flask]:
    """A host that signs users in with Flask-Login's login_user, as most consoles do."""
    app = make_app(database_url, adapter)
    manager = LoginManager(app)
    manager.user_loader(_User)

    @app.post("/login/<user_id>")
    def sign_in(user_id: str) -> str:
        login_user(_User(user_id))
        adapter.login(user_id)
        return "signed in"

    @app.post("/logout")
    def sign_out() -> str:
        logout_user()
        return "signed out"

    with migrated(app) as ready:
        yield ready


def test_csrf_token_from_before_sign_in_stops_working_at_sign_in(login_host: Flask) -> None:
    """Session fixation of the CSRF token: a token planted in (or read from) the session
    before sign-in must not authorise the signed-in user's requests. The host does nothing
    but call login_user: the plugin listens to Flask-Login's user_logged_in."""
    client = login_host.test_client()
    planted = "planted-before-sign-in"
    with client.session_transaction() as cookie:
        cookie["_mirror_csrf"] = planted
    assert client.post("/login/eddie").status_code == 200

    body = {"namespace": "prod/a-web", "images": ["harbor.example.com/x/y:1"]}

    def post_filter(token: str) -> Any:
        return client.post("/mirror/api/filter", json=body, headers={"X-Mirror-CSRF": token})

    assert post_filter(planted).status_code == 403
    with client.session_transaction() as cookie:
        issued = cookie["_mirror_csrf"]
    assert issued != planted and post_filter(issued).status_code == 200

    client.post("/logout")
    with client.session_transaction() as cookie:
        assert cookie["_mirror_csrf"] != issued


# -- request size -----------------------------------------------------------------------------


def test_plugin_routes_refuse_oversized_bodies_in_the_api_error_shape(api: Api) -> None:
    """A few huge image references: 413 before anything is parsed (default 1 MiB)."""
    api.as_user("eddie")
    body = {"namespace": "prod/a-web", "images": ["x" * 300_000] * 4}
    refused = api.post("/api/filter", body)
    assert refused.status_code == 413
    assert refused.get_json()["error"] == {
        "status": 413,
        "message": "The request body is larger than this endpoint accepts (1048576 bytes).",
    }


def test_the_limit_is_the_plugins_own_and_never_widens_the_hosts(
    tmp_path: Any, adapter: FakeHostAdapter
) -> None:
    app = make_app(f"sqlite:///{tmp_path}/size.db", adapter, MIRROR_MAX_REQUEST_BYTES=1000)

    @app.post("/upload")
    def upload() -> str:
        return str(len(request.get_data()))

    client = app.test_client()
    adapter.login("root")
    with client.session_transaction() as cookie:
        cookie["_mirror_csrf"] = Api.TOKEN
    headers = {"X-Mirror-CSRF": Api.TOKEN}
    assert client.post("/upload", data=b"x" * 5000).get_data(as_text=True) == "5000"
    big_json = {"namespace": "prod/a-web", "images": ["y" * 1000]}
    api_refused = client.post("/mirror/api/filter", json=big_json, headers=headers)
    assert api_refused.status_code == 413 and api_refused.is_json
    page_refused = client.post(
        "/mirror/integrations/new", data={"mirror_csrf_token": Api.TOKEN, "name": "n" * 2000}
    )
    assert page_refused.status_code == 413 and not page_refused.is_json

    app.config["MAX_CONTENT_LENGTH"] = 500  # the host's own, smaller limit still applies
    small_json = {"namespace": "prod/a-web", "images": ["y" * 600]}
    assert client.post("/mirror/api/filter", json=small_json, headers=headers).status_code == 413


# -- bidi and control characters in registry text ----------------------------------------------

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "gpj.exe" reads as "exe.jpg"
HIDDEN_NAMES = {
    "space": f"team{RLO}gpj.exe",
    "integration": "harbor\u2066main\u2069",
    "error": "connection refused\u200f\x1b[31m",
    "description": "mirror\u00adof\u200bdocker",
}
RAW = (RLO, "\u2066", "\u2069", "\u200f", "\x1b", "\u00ad", "\u200b")


@pytest.fixture
def hidden_text(app: Flask) -> dict[str, int]:
    """A platform registry whose name, description, error and space carry hidden characters
    (as a hostile or broken registry would hand them to a sync)."""
    registry = integration(HIDDEN_NAMES["integration"], "http://127.0.0.1:9")
    registry.description = HIDDEN_NAMES["description"]
    registry.health = "unhealthy"
    registry.last_error = HIDDEN_NAMES["error"]
    shown = space(registry, HIDDEN_NAMES["space"], bound=("ws-a",))
    session().commit()
    return {"integration": registry.id, "space": shown.id}


def assert_escaped(html: str, *names: str) -> None:
    for raw in RAW:
        assert raw not in html, f"raw U+{ord(raw):04X} in the page"
    for name in names:
        escaped = re.sub(r"[\u202e\u2066\u2069\u200f\x1b\u00ad\u200b]", _escape, name)
        assert escaped in html, escaped


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def test_pages_show_hidden_characters_escaped(api: Api, hidden_text: dict[str, int]) -> None:
    api.as_user("root")
    integration_id, space_id = hidden_text["integration"], hidden_text["space"]
    api.call("PUT", f"/api/spaces/{space_id}/workspaces", {"workspaces": ["ws-b"]})  # audited
    pages = {
        "/": ("integration", "error"),
        "/integrations/": ("integration", "error"),
        f"/integrations/{integration_id}": ("integration", "error", "description"),
        f"/integrations/{integration_id}/spaces": ("integration", "space"),
        f"/spaces/{space_id}/bind": ("space",),
        f"/spaces/{space_id}/delete": ("space", "integration"),
        "/audit": ("space", "integration"),
        f"/integrations/{integration_id}/delete": ("integration",),
    }
    for path, keys in pages.items():
        response = api.get(path)
        assert response.status_code == 200, path
        assert_escaped(response.get_data(as_text=True), *(HIDDEN_NAMES[k] for k in keys))


def test_flash_messages_quoting_a_registry_are_escaped_for_any_layout(
    api: Api, hidden_text: dict[str, int]
) -> None:
    """The visibility flip reaches the (closed) registry and flashes the space name and the
    error; a host layout showing flashes itself gets them escaped too."""
    api.as_user("root")
    flipped = api.client.post(
        f"/mirror/spaces/{hidden_text['space']}/visibility",
        data={"public": "true", "mirror_csrf_token": Api.TOKEN},
    )
    assert flipped.status_code == 302
    with api.client.session_transaction() as cookie:
        (category, message), *_ = cookie["_flashes"]
    assert category == "error" and message.startswith("team\\u202egpj.exe was not changed")
    assert_escaped(api.client.get(flipped.headers["Location"]).get_data(as_text=True))
