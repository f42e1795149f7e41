"""The demo host console mounts the plugin the way a host team would, end to end.

Each test builds the console on a fresh SQLite file, runs the plugin's migrations, the host's
``create_all`` and the seed, then drives it through Flask's test client like a browser would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from demo.console import create_app
from demo.models import User, db
from demo.seed import prepare
from mirror_plugin.models import Binding, Integration, Space

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_OPTION = re.compile(r'<option value="([^"]+)"')
PRIVATE = "harbor.demo.local/alpha-private/web:1.0"
PUBLIC = "harbor.demo.local/library/nginx:1.25"


@pytest.fixture
def console_app(tmp_path: object) -> Iterator[Flask]:
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/demo.db"}
    )
    with app.app_context():
        prepare()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser(console_app: Flask) -> FlaskClient:
    return console_app.test_client()


def token(client: FlaskClient, path: str) -> str:
    match = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = "demo") -> int:
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token(client, "/login")},
    )
    return response.status_code


def deploy(client: FlaskClient, namespace: str, image: str, name: str = "web"):  # type: ignore[no-untyped-def]
    data = {"namespace": namespace, "name": name, "image": image}
    return client.post("/deploy", data={**data, "csrf_token": token(client, "/deploy")})


def test_login_works_and_wrong_password_fails(browser: FlaskClient) -> None:
    assert sign_in(browser, "eddie", "wrong") == 401
    assert browser.get("/workloads").status_code == 302
    assert sign_in(browser, "nobody") == 401

    assert sign_in(browser, "eddie") == 302
    page = browser.get("/workloads").get_data(as_text=True)
    assert "Eddie Edwards" in page and "Editor · Team Alpha" in page
    assert "cluster-1/alpha-web" in page and "cluster-1/beta-api" not in page

    browser.post("/logout", data={"csrf_token": token(browser, "/workloads")})
    assert browser.get("/workloads").status_code == 302


def test_login_page_lists_the_demo_accounts(browser: FlaskClient) -> None:
    page = browser.get("/login").get_data(as_text=True)
    for username in ("admin", "alice", "eddie", "vera", "bob"):
        assert f"<code>{username}</code>" in page
    assert "<script" not in page


def test_next_never_leaves_the_site(browser: FlaskClient) -> None:
    response = browser.post(
        "/login",
        data={
            "username": "admin",
            "password": "demo",
            "next": "https://evil.example/",
            "csrf_token": token(browser, "/login"),
        },
    )
    assert response.location == "/workloads"


def test_anonymous_mirror_redirects_to_login(browser: FlaskClient) -> None:
    response = browser.get("/mirror/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    sign_in_page = browser.get(response.location).get_data(as_text=True)
    assert 'value="/mirror/"' in sign_in_page


def test_admin_sees_harbor_inside_the_console_chrome(browser: FlaskClient) -> None:
    assert sign_in(browser, "admin") == 302
    response = browser.get("/mirror/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "harbor-demo" in page and "alpha-registry" in page
    # The plugin's page is inside the console layout: sidebar, top bar, the console's stylesheet.
    assert "Container Console" in page and "/static/console.css" in page
    assert "Platform Admin" in page and "Ada Admin" in page
    assert re.search(r'nav__item--active" href="/mirror/"', page)
    assert "<title>Mirror Warehouse · Container Console</title>" in page


def test_editor_deploys_a_bound_private_image(browser: FlaskClient) -> None:
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/alpha-web", PRIVATE)
    assert response.status_code == 200
    assert f"Deployment web of {PRIVATE} to cluster-1/alpha-web accepted" in response.get_data(
        as_text=True
    )


def test_editor_cannot_deploy_into_another_workspace(browser: FlaskClient) -> None:
    sign_in(browser, "eddie")
    offered = _OPTION.findall(browser.get("/deploy").get_data(as_text=True))
    assert offered == ["cluster-1/alpha-jobs", "cluster-1/alpha-web", "cluster-1/sandbox"]
    response = deploy(browser, "cluster-1/beta-api", PRIVATE)
    assert response.status_code == 403
    assert "accepted" not in response.get_data(as_text=True)
    assert deploy(browser, "cluster-9/nowhere", PUBLIC).status_code == 403


def test_public_image_deploys_to_the_sandbox(browser: FlaskClient) -> None:
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/sandbox", PUBLIC, name="proxy")
    assert response.status_code == 200
    assert f"Deployment proxy of {PUBLIC} to cluster-1/sandbox accepted" in response.get_data(
        as_text=True
    )


def test_private_image_is_denied_in_the_sandbox_with_the_reason(browser: FlaskClient) -> None:
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/sandbox", PRIVATE)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "namespace_not_in_workspace" in page
    assert "not bound to a workspace" in page
    assert "accepted" not in page
    # The form is re-rendered with what the user typed.
    assert f'id="image" value="{PRIVATE}"' in page


def test_space_bound_elsewhere_is_denied(browser: FlaskClient) -> None:
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/alpha-web", "harbor.demo.local/beta-private/api:2")
    assert response.status_code == 422
    assert "space_not_bound" in response.get_data(as_text=True)


def test_admin_is_offered_every_namespace(browser: FlaskClient) -> None:
    sign_in(browser, "admin")
    offered = _OPTION.findall(browser.get("/deploy").get_data(as_text=True))
    assert offered == [
        "cluster-1/alpha-jobs",
        "cluster-1/alpha-web",
        "cluster-1/beta-api",
        "cluster-1/sandbox",
    ]


def test_post_without_csrf_token_is_refused(browser: FlaskClient) -> None:
    sign_in(browser, "eddie")
    data = {"namespace": "cluster-1/sandbox", "name": "web", "image": PUBLIC}
    assert browser.post("/deploy", data=data).status_code == 400
    assert browser.post("/deploy", data={**data, "csrf_token": "forged"}).status_code == 400
    assert browser.post("/login", data={"username": "admin", "password": "demo"}).status_code == 400


def test_viewer_may_browse_but_not_deploy(browser: FlaskClient) -> None:
    sign_in(browser, "vera")
    page = browser.get("/deploy").get_data(as_text=True)
    assert "cannot deploy" in page and "<fieldset disabled>" in page
    assert browser.get("/mirror/").status_code == 200
    response = deploy(browser, "cluster-1/alpha-web", PUBLIC)
    assert response.status_code == 403
    assert "accepted" not in response.get_data(as_text=True)


def test_invalid_app_name_is_rejected(browser: FlaskClient) -> None:
    sign_in(browser, "eddie")
    assert deploy(browser, "cluster-1/alpha-web", PUBLIC, name="Bad Name!").status_code == 422


def test_seed_is_idempotent(console_app: Flask) -> None:
    def counts() -> tuple[int, ...]:
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, Integration, Space, Binding)
        )

    with console_app.app_context():
        before = counts()
        prepare()
        assert counts() == before == (5, 2, 5, 4)


def test_mirror_cli_is_mounted(console_app: Flask) -> None:
    runner = console_app.test_cli_runner()
    denied = runner.invoke(args=["mirror", "check", "cluster-1/sandbox", PRIVATE])
    assert denied.exit_code == 1, denied.output
    assert "namespace_not_in_workspace" in denied.output
    allowed = runner.invoke(args=["mirror", "check", "cluster-1/alpha-jobs", PRIVATE])
    assert allowed.exit_code == 0, allowed.output
