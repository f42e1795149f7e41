"""The demo host console mounts the plugin the way a host team would, end to end.

The registry sandbox (a Harbor emulator on a free loopback port) runs once per module, and the
database is prepared against it once: migrations, the host's ``create_all``, the seed, which
connects ``harbor-sandbox`` through the plugin's service and syncs it. Each test gets a copy of
that SQLite file and drives the console through Flask's test client like a browser would.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from demo.console import create_app
from demo.models import User, db
from demo.sandbox import DOCKER_REGISTRY, ROBOT, Sandbox, start_harbor, start_sandbox
from demo.seed import prepare
from mirror_plugin.models import Binding, Health, Integration, Repository, Space

from .conftest import require_tool

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_MIRROR_TOKEN = re.compile(r'name="mirror_csrf_token" value="([^"]+)"')
_OPTION = re.compile(r'<option value="([^"]+)"')
_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(harbor_port=0, registry=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def host(sandbox: Sandbox) -> str:
    """``127.0.0.1:<port>``: the registry part of the sandbox's image references."""
    return sandbox.harbor_host


@pytest.fixture(scope="module")
def private(host: str) -> str:
    return f"{host}/alpha-private/web:1.0"


@pytest.fixture(scope="module")
def public(host: str) -> str:
    return f"{host}/library/nginx:1.25"


def _app(sandbox: Sandbox, database: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MIRROR_SECRET_KEYS": [_KEY],
            "MIRROR_HEALTH_INTERVAL": 0,
            **sandbox.app_config(),
        }
    )


@pytest.fixture(scope="module")
def seeded(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database prepared once against the sandbox; tests work on copies."""
    database = tmp_path_factory.mktemp("demo") / "seeded.db"
    app = _app(sandbox, database)
    with app.app_context():
        prepare()
        db.session.remove()
        db.engine.dispose()
    return database


@pytest.fixture
def console_app(sandbox: Sandbox, seeded: Path, tmp_path: Path) -> Iterator[Flask]:
    database = tmp_path / "demo.db"
    shutil.copyfile(seeded, database)
    app = _app(sandbox, database)
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


def test_login_page_lists_the_demo_accounts_and_the_sandbox(
    browser: FlaskClient, sandbox: Sandbox
) -> None:
    page = browser.get("/login").get_data(as_text=True)
    for username in ("admin", "alice", "eddie", "vera", "bob"):
        assert f"<code>{username}</code>" in page
    for shown in (sandbox.harbor_url, "robot$alpha", "alpha-robot-secret", "alpha-dev-pass"):
        assert f"<code>{shown}</code>" in page
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


def test_admin_sees_harbor_inside_the_console_chrome(browser: FlaskClient, host: str) -> None:
    assert sign_in(browser, "admin") == 302
    response = browser.get("/mirror/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "harbor-sandbox" in page and f"<code>{host}</code>" in page
    # The plugin's page is inside the console layout: sidebar, top bar, the console's stylesheet.
    assert "Container Console" in page and "/static/console.css" in page
    assert "Platform Admin" in page and "Ada Admin" in page
    assert re.search(r'nav__item--active" href="/mirror/"', page)
    assert "<title>Mirror Warehouse · Container Console</title>" in page


def test_admin_sees_the_sandbox_integration_healthy_with_its_spaces(
    browser: FlaskClient, sandbox: Sandbox
) -> None:
    sign_in(browser, "admin")
    page = browser.get("/mirror/integrations/").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td><a href=\"[^\"]+\">harbor-sandbox</a>.*?</tr>", page, re.S)
    assert row, page
    cells = row.group(0)
    assert f"<code>{sandbox.harbor_url}</code>" in cells
    assert "Healthy" in cells and "Never" not in cells
    # 5 projects, 8 repositories (library 3, alpha-private 2, beta-private 1, shared-tools 1,
    # alpha-tools 1).
    assert re.findall(r'<td class="num">(\d+)</td>', cells) == ["5", "8"]


def test_editor_deploys_a_bound_private_image(
    browser: FlaskClient, console_app: Flask, private: str, sandbox: Sandbox
) -> None:
    with console_app.app_context():  # what the demo's background worker does by itself
        console_app.extensions["mirror_plugin"].plugin.reconcile_pull_access()
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/alpha-web", private)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Deployment web of {private} to cluster-1/alpha-web accepted" in page
    assert "bound_to_workspace" in page
    harbor = sandbox.harbor_url.split("://", 1)[1]
    assert f"Pull secret: <code>mirror-pull</code> with credentials for {harbor}" in page


def test_deploy_form_suggests_a_sandbox_image(browser: FlaskClient, public: str) -> None:
    sign_in(browser, "eddie")
    assert f'placeholder="{public}"' in browser.get("/deploy").get_data(as_text=True)


def test_editor_cannot_deploy_into_another_workspace(
    browser: FlaskClient, private: str, public: str
) -> None:
    sign_in(browser, "eddie")
    offered = _OPTION.findall(browser.get("/deploy").get_data(as_text=True))
    assert offered == ["cluster-1/alpha-jobs", "cluster-1/alpha-web", "cluster-1/sandbox"]
    response = deploy(browser, "cluster-1/beta-api", private)
    assert response.status_code == 403
    assert "accepted" not in response.get_data(as_text=True)
    assert deploy(browser, "cluster-9/nowhere", public).status_code == 403


def test_public_image_deploys_to_the_sandbox(browser: FlaskClient, public: str) -> None:
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/sandbox", public, name="proxy")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Deployment proxy of {public} to cluster-1/sandbox accepted" in page
    assert "public_space" in page


def test_private_image_is_denied_in_the_sandbox_with_the_reason(
    browser: FlaskClient, private: str
) -> None:
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/sandbox", private)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "namespace_not_in_workspace" in page
    assert "not bound to a workspace" in page
    assert "accepted" not in page
    # The form is re-rendered with what the user typed.
    assert f'id="image" value="{private}"' in page


def test_space_bound_elsewhere_is_denied(browser: FlaskClient, host: str) -> None:
    sign_in(browser, "eddie")
    response = deploy(browser, "cluster-1/alpha-web", f"{host}/beta-private/api:3.1")
    assert response.status_code == 422
    assert "space_not_bound" in response.get_data(as_text=True)


def test_shared_space_is_bound_to_both_workspaces(browser: FlaskClient, host: str) -> None:
    sign_in(browser, "admin")
    for namespace in ("cluster-1/alpha-jobs", "cluster-1/beta-api"):
        response = deploy(browser, namespace, f"{host}/shared-tools/ci/runner:1.0", name="ci")
        assert response.status_code == 200, namespace
    denied = deploy(browser, "cluster-1/sandbox", f"{host}/shared-tools/ci/runner:1.0")
    assert denied.status_code == 422


def test_workspace_admin_connects_a_warehouse_then_an_editor_deploys_from_it(
    console_app: Flask, sandbox: Sandbox, host: str
) -> None:
    alice = console_app.test_client()
    sign_in(alice, "alice")
    form = alice.get("/mirror/workspaces/alpha/warehouses/new")
    assert form.status_code == 200
    match = _MIRROR_TOKEN.search(form.get_data(as_text=True))
    assert match, "no mirror_csrf_token on the warehouse form"
    with alice.session_transaction() as session:
        assert match.group(1) == session["_mirror_csrf"]
    robot, secret = ROBOT
    saved = alice.post(
        "/mirror/workspaces/alpha/warehouses/new",
        data={
            "name": "alpha-harbor",
            "kind": "harbor",
            "url": sandbox.harbor_url,
            "username": robot,
            "password": secret,
            "verify_tls": "y",
            "action": "save",
            "mirror_csrf_token": match.group(1),
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert saved.location.startswith("/mirror/workspaces/alpha/warehouses/")
    detail = alice.get(saved.location).get_data(as_text=True)
    assert "Saved alpha-harbor" in detail and "Synced alpha-harbor" in detail
    assert "Healthy" in detail and secret not in detail
    with console_app.app_context():
        row = db.session.scalar(select(Integration).where(Integration.name == "alpha-harbor"))
        assert row is not None and row.workspace_id == "alpha" and row.username == robot

    eddie = console_app.test_client()
    sign_in(eddie, "eddie")
    image = f"{host}/alpha-tools/lint:0.9"
    response = deploy(eddie, "cluster-1/alpha-web", image, name="worker")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert f"Deployment worker of {image} to cluster-1/alpha-web accepted" in page
    assert "workspace_warehouse" in page and "alpha-harbor" in page
    # The robot cannot read beta-private, so the warehouse does not open it to Team Alpha.
    refused = deploy(eddie, "cluster-1/alpha-web", f"{host}/beta-private/api:3.1", name="api")
    assert refused.status_code == 422 and "space_not_bound" in refused.get_data(as_text=True)


def test_admin_is_offered_every_namespace(browser: FlaskClient) -> None:
    sign_in(browser, "admin")
    offered = _OPTION.findall(browser.get("/deploy").get_data(as_text=True))
    assert offered == [
        "cluster-1/alpha-jobs",
        "cluster-1/alpha-web",
        "cluster-1/beta-api",
        "cluster-1/sandbox",
    ]


def test_post_without_csrf_token_is_refused(browser: FlaskClient, public: str) -> None:
    sign_in(browser, "eddie")
    data = {"namespace": "cluster-1/sandbox", "name": "web", "image": public}
    assert browser.post("/deploy", data=data).status_code == 400
    assert browser.post("/deploy", data={**data, "csrf_token": "forged"}).status_code == 400
    assert browser.post("/login", data={"username": "admin", "password": "demo"}).status_code == 400


def test_viewer_may_browse_but_not_deploy(browser: FlaskClient, public: str) -> None:
    sign_in(browser, "vera")
    page = browser.get("/deploy").get_data(as_text=True)
    assert "cannot deploy" in page and "<fieldset disabled>" in page
    assert browser.get("/mirror/").status_code == 200
    response = deploy(browser, "cluster-1/alpha-web", public)
    assert response.status_code == 403
    assert "accepted" not in response.get_data(as_text=True)


def test_invalid_app_name_is_rejected(browser: FlaskClient, public: str) -> None:
    sign_in(browser, "eddie")
    assert deploy(browser, "cluster-1/alpha-web", public, name="Bad Name!").status_code == 422


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, Integration, Space, Repository, Binding)
    )


def test_seed_is_idempotent(console_app: Flask) -> None:
    with console_app.app_context():
        before = _counts()
        prepare()
        assert _counts() == before == (5, 1, 5, 8, 4)
        bound = db.session.execute(
            select(Space.name, Binding.workspace_id, Binding.created_by).join(Binding)
        ).all()
        assert sorted(bound) == [
            ("alpha-private", "alpha", "seed"),
            ("beta-private", "beta", "seed"),
            ("shared-tools", "alpha", "seed"),
            ("shared-tools", "beta", "seed"),
        ]


def test_seed_follows_the_sandbox_to_a_new_port(console_app: Flask) -> None:
    moved = start_harbor(0)
    try:
        with console_app.app_context():
            before = _counts()
            prepare(moved.url)
            row = db.session.scalar(select(Integration).where(Integration.name == "harbor-sandbox"))
            assert row is not None and row.url == moved.url
            assert row.registry_host == moved.url.split("://", 1)[1]
            assert row.health == Health.HEALTHY.value
            assert _counts() == before
    finally:
        moved.stop()


def test_seed_removes_the_fake_rows_of_earlier_demos(console_app: Flask) -> None:
    with console_app.app_context():
        db.session.add(
            Integration(
                name="harbor-demo",
                workspace_id="",
                scope="platform",
                kind="harbor",
                url="https://harbor.demo.local",
                registry_host="harbor.demo.local",
            )
        )
        db.session.commit()
        prepare()
        names = db.session.scalars(select(Integration.name)).all()
        assert names == ["harbor-sandbox"]


def test_mirror_cli_is_mounted(console_app: Flask, private: str) -> None:
    runner = console_app.test_cli_runner()
    denied = runner.invoke(args=["mirror", "check", "cluster-1/sandbox", private])
    assert denied.exit_code == 1, denied.output
    assert "namespace_not_in_workspace" in denied.output
    allowed = runner.invoke(args=["mirror", "check", "cluster-1/alpha-jobs", private])
    assert allowed.exit_code == 0, allowed.output


def test_sandbox_takes_a_free_port_when_the_wanted_one_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        harbor = start_harbor(port)
        try:
            assert not harbor.url.endswith(f":{port}")
            projects = requests.get(f"{harbor.url}/api/v2.0/projects", timeout=5).json()
            assert [p["name"] for p in projects] == ["library"]  # anonymous: public only
        finally:
            harbor.stop()


def test_sandbox_runs_without_docker_registry(tmp_path: Path) -> None:
    running = start_sandbox(harbor_port=0, docker_registry=str(tmp_path / "docker-registry"))
    try:
        assert running.registry is None and running.app_config()["DEMO_REGISTRY_URL"] == ""
        assert "not installed" in running.describe()
    finally:
        running.stop()


def test_sandbox_docker_registry_holds_the_sample_image() -> None:
    require_tool(os.access(DOCKER_REGISTRY, os.X_OK), f"docker-registry ({DOCKER_REGISTRY})")
    running = start_sandbox(harbor_port=0, registry_port=0)
    try:
        assert running.registry is not None, running.notes
        url = running.registry.url
        catalog = requests.get(f"{url}/v2/_catalog", timeout=5).json()
        assert catalog == {"repositories": ["demo/hello"]}
        assert running.registry_image == f"{url.split('://', 1)[1]}/demo/hello:1.0"
        proc = running.registry._proc
        workdir = running.registry._workdir
    finally:
        running.stop()
    assert proc is not None and proc.poll() is not None
    assert workdir is not None and not workdir.exists()


@pytest.mark.browser
def test_screenshot_script_captures_every_page(tmp_path: Path) -> None:
    from demo.screenshots import CHROMIUM, SHOTS, serve_demo, take

    require_tool(os.access(CHROMIUM, os.X_OK), f"Chromium ({CHROMIUM})")
    with serve_demo() as (base_url, running):
        saved = take(tmp_path, base_url, running)
        chinese = take(tmp_path / "zh-Hans", base_url, running, "zh-CN")
    assert [path.name for path in saved] == [path.name for path in chinese] == list(SHOTS)
    for path in saved + chinese:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert 10_000 < path.stat().st_size < 300_000, path


def test_credential_changes_need_a_fresh_login(console_app: Flask, sandbox: Sandbox) -> None:
    alice = console_app.test_client()
    sign_in(alice, "alice")
    page = alice.get("/mirror/workspaces/alpha/warehouses/new").get_data(as_text=True)
    csrf = _MIRROR_TOKEN.search(page)
    assert csrf
    with alice.session_transaction() as session:
        session["_fresh"] = False  # e.g. a session restored from the remember-me cookie
    form = {
        "name": "stale",
        "kind": "harbor",
        "url": sandbox.harbor_url,
        "username": ROBOT[0],
        "password": ROBOT[1],
        "action": "save",
        "mirror_csrf_token": csrf.group(1),
    }
    refused = alice.post("/mirror/workspaces/alpha/warehouses/new", data=form)
    assert refused.status_code == 302 and refused.location.startswith("/login")
    api = alice.post(
        "/mirror/api/workspaces/alpha/integrations",
        json=form,
        headers={"X-Mirror-CSRF": csrf.group(1)},
    )
    assert api.status_code == 401 and "Sign in again" in api.get_json()["error"]["message"]
    assert alice.get("/mirror/workspaces/alpha/warehouses/").status_code == 200  # reading is fine
    with console_app.app_context():
        assert db.session.scalar(select(Integration).where(Integration.name == "stale")) is None


def test_plugin_pages_carry_security_headers(browser: FlaskClient) -> None:
    sign_in(browser, "admin")
    for path in ("/mirror/", "/mirror/api/integrations"):
        headers = browser.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


class _Clock:
    """``time.monotonic`` for demo.identity, moved forward by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    """The clock the console's identity memory reads (its one-second expiry)."""
    moved_by_hand = _Clock()
    monkeypatch.setattr("demo.identity.time.monotonic", moved_by_hand)
    return moved_by_hand


def test_a_burst_of_hook_calls_loads_the_user_once(
    console_app: Flask, private: str, clock: _Clock
) -> None:
    """The deploy hook is called far more often than pages are opened: within a second, the
    console does not ask the database who the session's user is again."""
    from sqlalchemy import event

    client = console_app.test_client()
    sign_in(client, "eddie")
    with console_app.app_context():
        engine = db.engine
    user_queries: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if re.search(r"\bFROM console_users\s+WHERE", statement):  # the user, not memberships
            user_queries.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        clock.now += 5  # whatever sign-in remembered has expired
        url = f"/mirror/api/check?namespace=cluster-1/alpha-web&image={private}"
        for _ in range(20):
            assert client.get(url).get_json()["allowed"] is True
        assert len(user_queries) == 1
        clock.now += 2
        assert client.get(url).status_code == 200
        assert len(user_queries) == 2
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_account_changes_take_effect_within_a_second(console_app: Flask, clock: _Clock) -> None:
    admin, eddie = console_app.test_client(), console_app.test_client()
    sign_in(admin, "admin")
    sign_in(eddie, "eddie")
    assert admin.get("/mirror/api/integrations").status_code == 200
    assert eddie.get("/workloads").status_code == 200
    with console_app.app_context():
        db.session.scalar(select(User).where(User.username == "admin")).is_platform_admin = False
        db.session.delete(db.session.scalar(select(User).where(User.username == "eddie")))
        db.session.commit()
    clock.now += 1.01
    refused = admin.get("/mirror/api/integrations")
    assert refused.status_code == 403 and "platform Admin" in refused.get_json()["error"]["message"]
    gone = eddie.get("/workloads")
    assert gone.status_code == 302 and gone.location.startswith("/login")
    assert eddie.get("/mirror/api/check?namespace=cluster-1/alpha-web&image=x").status_code == 401


def test_a_page_opened_just_after_the_account_was_removed_asks_to_sign_in(
    console_app: Flask, clock: _Clock
) -> None:
    """Within the remembered second the identity still stands, but pages read the account's
    own row: a removed one sends the browser to sign in, never to an error page."""
    eddie = console_app.test_client()
    sign_in(eddie, "eddie")
    assert eddie.get("/deploy").status_code == 200
    with console_app.app_context():
        db.session.delete(db.session.scalar(select(User).where(User.username == "eddie")))
        db.session.commit()
    for page in ("/deploy", "/workloads"):
        reply = eddie.get(page)
        assert reply.status_code == 302 and reply.location.startswith("/login"), page


def test_csrf_tokens_from_before_sign_in_stop_working_at_sign_in(
    console_app: Flask, public: str
) -> None:
    """Both the console's and the plugin's token are new after sign-in: one planted in the
    session cookie, or left by the previous user of the browser, no longer authorises a
    request. The console does nothing for the plugin's: the plugin listens to login_user."""
    browser = console_app.test_client()
    console_token = token(browser, "/login")
    with browser.session_transaction() as cookie:
        cookie["_mirror_csrf"] = "planted-before-sign-in"
    assert sign_in(browser, "alice") == 302

    def filter_as(client: FlaskClient, csrf: str, namespace: str) -> int:
        body = {"namespace": namespace, "images": [public]}
        headers = {"X-Mirror-CSRF": csrf}
        return client.post("/mirror/api/filter", json=body, headers=headers).status_code

    assert filter_as(browser, "planted-before-sign-in", "cluster-1/alpha-web") == 403
    data = {"namespace": "cluster-1/alpha-web", "name": "web", "image": public}
    assert browser.post("/deploy", data={**data, "csrf_token": console_token}).status_code == 400
    form = browser.get("/mirror/workspaces/alpha/warehouses/new").get_data(as_text=True)
    match = _MIRROR_TOKEN.search(form)
    assert match and filter_as(browser, match.group(1), "cluster-1/alpha-web") == 200

    browser.post("/logout", data={"csrf_token": token(browser, "/workloads")})
    assert sign_in(browser, "bob") == 302  # the next user of the same browser
    assert filter_as(browser, match.group(1), "cluster-1/beta-api") == 403


def test_the_demo_cluster_and_its_admission_decisions(browser: FlaskClient, host: str) -> None:
    assert sign_in(browser, "eddie") == 302
    assert browser.get("/admission").status_code == 404  # the platform Admin's page
    browser.post("/logout", data={"csrf_token": token(browser, "/workloads")})
    assert sign_in(browser, "admin") == 302
    page = browser.get("/admission").get_data(as_text=True)
    # The cluster's mode in words (the code only in a tooltip, as a refusal's reason).
    assert "<code>cluster-1</code>" in page and "Enforce: refuse the workload" in _shown(page)
    assert "enforce" not in _shown(page).lower().replace("enforce: refuse", "")
    # the seed's sample reviews: Team Beta's namespace refused Team Alpha's private image
    assert "system:serviceaccount:ci:deployer" in page and "<code>bob</code>" in page
    assert f"{host}/alpha-private/web:1.0" in page
    # Refusals are named in words, in the reader's language; the code stays for a tooltip.
    shown = _shown(page)
    assert "Private space not bound to this workspace" in shown and "space_not_bound" not in shown
    assert "Workload refused in a cluster" in shown
    chinese = _shown(
        browser.get("/admission", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    )
    assert "私有镜像空间未绑定到此工作空间" in chinese and "集群拒绝了工作负载" in chinese
    assert "强制：拒绝工作负载" in chinese and "Enforce" not in chinese


def test_console_errors_are_pages_of_the_console_in_the_reader_s_language(
    browser: FlaskClient,
) -> None:
    assert sign_in(browser, "eddie") == 302
    zh = {"Accept-Language": "zh-CN"}
    for path in ("/admission", "/no-such-page"):  # the Admin's page; an address of nothing
        response = browser.get(path, headers=zh)
        html = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert '<html lang="zh-Hans">' in html and "<h1>404 · 页面不存在</h1>" in html, path
        assert "控制台中没有此页面" in html and "返回控制台" in html
        assert "Not Found" not in html and "requested URL" not in html
    english = browser.get("/no-such-page").get_data(as_text=True)
    assert "404 · Page not found" in english and "no such page in the console" in english
    # Under the plugin's prefix the plugin's own error page answers, as before.
    plugin = browser.get("/mirror/no-such-page", headers=zh).get_data(as_text=True)
    assert "镜像仓库中没有此页面；请检查地址。" in plugin


def test_the_audit_log_names_pull_robot_events(browser: FlaskClient) -> None:
    assert sign_in(browser, "admin") == 302
    page = _shown(browser.get("/mirror/audit").get_data(as_text=True))
    # The seed's bindings made Harbor robot accounts for pull access.
    assert "Pull robot account created" in page and "pull.robot_created" not in page
    chinese = _shown(
        browser.get("/mirror/audit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    )
    assert "已创建拉取机器人账号" in chinese and "pull.robot" not in chinese


def _shown(html: str) -> str:
    """The text a person reads: no tags, attributes or scripts."""
    return re.sub(r"<[^>]+>", " ", html)


def test_deploy_results_name_their_reason_in_words(
    browser: FlaskClient, private: str, host: str
) -> None:
    sign_in(browser, "eddie")
    accepted = _shown(deploy(browser, "cluster-1/alpha-web", private).get_data(as_text=True))
    assert "Space bound to this workspace" in accepted and "bound_to_workspace" not in accepted
    refused = deploy(browser, "cluster-1/alpha-web", f"{host}/beta-private/api:3.1")
    text = _shown(refused.get_data(as_text=True))
    assert "Private space not bound to this workspace" in text and "space_not_bound" not in text
    assert 'data-reason="space_not_bound"' in refused.get_data(as_text=True)  # for scripts
    explain = browser.get(
        "/mirror/explain", query_string={"namespace": "cluster-1/alpha-web", "image": private}
    ).get_data(as_text=True)
    assert "Space bound to this workspace" in _shown(explain)
    assert "bound_to_workspace" not in _shown(explain)


def test_language_switch_makes_console_and_plugin_chinese(browser: FlaskClient) -> None:
    assert sign_in(browser, "eddie") == 302
    english = browser.get("/workloads").get_data(as_text=True)
    assert '<html lang="en">' in english and ">中文</button>" in english
    switched = browser.post(
        "/language",
        data={
            "language": "zh_Hans",
            "next": "/workloads",
            "csrf_token": token(browser, "/workloads"),
        },
    )
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/workloads")
    chinese = browser.get("/workloads").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in chinese and "<h1>工作负载</h1>" in chinese
    assert ">镜像仓库<" in chinese and ">English</button>" in chinese  # the plugin's menu entry
    mirror = browser.get("/mirror/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in mirror and ">找不到镜像？<" in mirror
    # The choice wins over the browser's language; an unknown one falls back to it.
    assert "<h1>工作负载</h1>" in browser.get(
        "/workloads", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    browser.post(
        "/language", data={"language": "xx", "csrf_token": token(browser, "/workloads")}
    )
    assert "<h1>工作负载</h1>" in browser.get(
        "/workloads", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    assert "<h1>Workloads</h1>" in browser.get("/workloads").get_data(as_text=True)
