"""Pull access: Harbor robots that follow the bindings, proven with skopeo and kubectl.

The platform Harbor is the emulator (its robots and token service follow Harbor's rules); the
credentials are the ``.dockerconfigjson`` the plugin renders, handed to Debian's ``skopeo``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import AuditEvent
from mirror_plugin.models.pull import PullOutbox, PullRobot
from mirror_plugin.signals import pull_credentials_changed
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api, require_tool
from .factories import session

PROJECTS = {"open": True, "team-a": False, "team-b": False, "shared": False}


@pytest.fixture
def harbor() -> Iterator[HarborEmulator]:
    with HarborEmulator() as emulator:
        for name, public in PROJECTS.items():
            emulator.add_project(name, public=public)
            emulator.add_repository(name, "tools/nginx", [{"tags": ["1.25"]}])
        yield emulator


def connect_harbor(api: Api, harbor: HarborEmulator) -> dict[str, int]:
    """The emulator added as the platform Harbor "harbor" (by root): its spaces by name."""
    api.as_user("root")
    created = api.post(
        "/api/integrations",
        {"name": "harbor", "kind": "harbor", "url": harbor.url,
         "username": "admin", "password": "Harbor12345"},
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    listed = api.get(f"/api/integrations/{created.get_json()['id']}/spaces?per_page=100")
    return {s["name"]: s["id"] for s in listed.get_json()["items"]}


@pytest.fixture
def spaces(app: Flask, api: Api, harbor: HarborEmulator) -> dict[str, int]:
    return connect_harbor(api, harbor)


@pytest.fixture
def signals(app: Flask) -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receive(sender: Flask, **kwargs: Any) -> None:
        seen.append(kwargs)

    pull_credentials_changed.connect(receive, sender=app)
    yield seen
    pull_credentials_changed.disconnect(receive, sender=app)


def bind(api: Api, space: int, *workspaces: str, action: str = "bind") -> None:
    answer = api.as_user("root").post(
        "/api/bindings", {"spaces": [space], "workspaces": list(workspaces), "action": action}
    )
    assert answer.status_code == 200, answer.get_json()


def cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["mirror", *args])


def reconcile(app: Flask) -> Any:
    result = cli(app, "pull", "reconcile")
    session().expire_all()
    return result


def robot_projects(harbor: HarborEmulator) -> dict[str, list[str]]:
    return {
        robot["name"]: sorted(p["namespace"] for p in robot["permissions"])
        for robot in harbor.robot_accounts()
    }


def authfile(app: Flask, namespace: str, tmp: Path) -> Path:
    with app.app_context():
        secret = app.extensions["mirror_plugin"].plugin.pull_secret(namespace)
        path = tmp / f"{namespace.replace('/', '_')}.json"
        path.write_text(secret.to_json())
    return path


def skopeo(harbor: HarborEmulator, image: str, auth: Path) -> subprocess.CompletedProcess[str]:
    host = harbor.url.removeprefix("http://")
    return subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", "--authfile", str(auth),
         f"docker://{host}/{image}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_bindings_queue_robot_changes_and_reconcile_applies_exactly_them(
    app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int]
) -> None:
    bind(api, spaces["team-a"], "ws-a")
    bind(api, spaces["open"], "ws-a")  # public: needs no credentials
    assert harbor.robot_accounts() == []  # the bind never called Harbor
    assert session().query(PullOutbox).filter_by(done_at=None).count() == 1

    assert reconcile(app).exit_code == 0
    (name,) = robot_projects(harbor)
    assert name.startswith("robot$mirror-") and robot_projects(harbor)[name] == ["team-a"]
    assert session().query(PullOutbox).filter_by(done_at=None).count() == 0

    bind(api, spaces["shared"], "ws-a")
    reconcile(app)
    assert robot_projects(harbor) == {name: ["shared", "team-a"]}
    bind(api, spaces["team-a"], "ws-a", action="unbind")
    reconcile(app)
    assert robot_projects(harbor) == {name: ["shared"]}
    bind(api, spaces["shared"], "ws-a", action="unbind")
    reconcile(app)
    assert harbor.robot_accounts() == [] and session().query(PullRobot).count() == 0
    actions = [e.action for e in session().query(AuditEvent).order_by(AuditEvent.id)]
    assert actions.count("pull.robot_created") == 1 and "pull.robot_deleted" in actions


def test_skopeo_pulls_bound_private_images_and_nothing_else(
    app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int], tmp_path: Path
) -> None:
    require_tool(shutil.which("skopeo") is not None, "skopeo")
    bind(api, spaces["team-a"], "ws-a")
    bind(api, spaces["shared"], "ws-a")
    bind(api, spaces["team-b"], "ws-b")
    reconcile(app)
    auth = authfile(app, "prod/a-web", tmp_path)
    assert skopeo(harbor, "team-a/tools/nginx:1.25", auth).returncode == 0
    assert skopeo(harbor, "open/tools/nginx:1.25", auth).returncode == 0
    refused = skopeo(harbor, "team-b/tools/nginx:1.25", auth)  # another workspace's space
    assert refused.returncode != 0 and "denied" in refused.stderr
    b_auth = authfile(app, "prod/b-api", tmp_path)
    assert skopeo(harbor, "team-b/tools/nginx:1.25", b_auth).returncode == 0
    assert skopeo(harbor, "shared/tools/nginx:1.25", b_auth).returncode != 0  # not bound to b

    # Harbor goes down; the unbind still succeeds at once, and its robot change waits.
    port = int(harbor.url.rsplit(":", 1)[1])
    harbor.stop()
    bind(api, spaces["team-a"], "ws-a", action="unbind")
    down = reconcile(app)
    assert down.exit_code == 1 and "failed" in down.output
    pending = session().query(PullOutbox).filter_by(done_at=None).one()
    assert pending.attempts == 1 and pending.last_error
    harbor.port = port
    harbor.start()
    assert reconcile(app).exit_code == 0
    assert skopeo(harbor, "team-a/tools/nginx:1.25", auth).returncode != 0  # same file
    assert skopeo(harbor, "shared/tools/nginx:1.25", auth).returncode == 0


def test_kubectl_builds_the_same_secret(
    app: Flask, api: Api, spaces: dict[str, int], harbor: HarborEmulator
) -> None:
    require_tool(shutil.which("kubectl") is not None, "kubectl")
    bind(api, spaces["team-a"], "ws-a")
    reconcile(app)
    printed = cli(app, "pull-secret", "prod/a-web", "-o", "json", "--k8s-namespace", "a-web")
    assert printed.exit_code == 0, printed.output
    ours = json.loads(printed.output)
    config = json.loads(base64.b64decode(ours["data"][".dockerconfigjson"]))
    ((server, entry),) = config["auths"].items()
    assert server == harbor.url.removeprefix("http://")
    kubectl = subprocess.run(
        ["kubectl", "create", "secret", "docker-registry", "mirror-pull", "--namespace", "a-web",
         f"--docker-server={server}", f"--docker-username={entry['username']}",
         f"--docker-password={entry['password']}", "--dry-run=client", "-o", "json"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    theirs = json.loads(kubectl)
    assert json.loads(base64.b64decode(theirs["data"][".dockerconfigjson"])) == config
    assert (ours["type"], ours["metadata"]["name"], ours["metadata"]["namespace"]) == (
        theirs["type"], theirs["metadata"]["name"], theirs["metadata"]["namespace"],
    )  # fmt: skip
    as_yaml = cli(app, "pull-secret", "prod/a-web", "--k8s-namespace", "a-web").output
    assert '"type": "kubernetes.io/dockerconfigjson"' in as_yaml


def test_drift_is_repaired_and_audited(
    app: Flask,
    api: Api,
    harbor: HarborEmulator,
    spaces: dict[str, int],
    signals: list[dict[str, Any]],
) -> None:
    bind(api, spaces["team-a"], "ws-a")
    reconcile(app)
    assert [(s["workspace"], s["namespaces"], s["reason"]) for s in signals] == [
        ("ws-a", ["prod/a-jobs", "prod/a-web"], "robot_created")
    ]
    (robot,) = harbor.robot_accounts()
    harbor.edit_robot(robot["id"], permissions=robot["permissions"] + [
        {"kind": "project", "namespace": "team-b",
         "access": [{"resource": "repository", "action": "pull"}]},
    ])  # fmt: skip
    status = cli(app, "pull", "status").output
    assert "Harbor agrees: no" in status
    reconcile(app)
    assert robot_projects(harbor) == {robot["name"]: ["team-a"]}
    assert "Harbor agrees: yes" in cli(app, "pull", "status").output
    harbor.delete_robot(robot["id"])
    reconcile(app)
    assert robot_projects(harbor) == {robot["name"]: ["team-a"]}
    assert signals[-1]["reason"] == "robot_restored"
    actions = {e.action for e in session().query(AuditEvent)}
    assert {"pull.robot_repaired", "pull.robot_restored"} <= actions


def test_rotation_replaces_the_secret(
    app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int], tmp_path: Path
) -> None:
    bind(api, spaces["team-a"], "ws-a")
    reconcile(app)
    before = json.loads(authfile(app, "prod/a-web", tmp_path).read_text())
    rotated = cli(app, "pull", "rotate", "ws-a")
    assert rotated.exit_code == 0 and "rotated" in rotated.output
    after = json.loads(authfile(app, "prod/a-web", tmp_path).read_text())
    assert before != after
    ((entry_before,), (entry_after,)) = before["auths"].values(), after["auths"].values()
    assert harbor._api_robot(entry_before["username"], entry_before["password"]) is None
    assert harbor._api_robot(entry_after["username"], entry_after["password"]) is not None


def test_forget_workspace_and_visibility_flip_remove_access(
    app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int]
) -> None:
    bind(api, spaces["team-a"], "ws-a")
    bind(api, spaces["shared"], "ws-a", "ws-b")
    reconcile(app)
    assert len(harbor.robot_accounts()) == 2
    made_public = api.as_user("root").patch(f"/api/spaces/{spaces['shared']}", {"public": True})
    assert made_public.status_code == 200
    reconcile(app)
    assert sorted(robot_projects(harbor).values()) == [["team-a"]]  # ws-b's robot is gone
    with app.test_request_context():
        app.extensions["mirror_plugin"].plugin.forget_workspace("ws-a", actor="root")
    reconcile(app)
    assert harbor.robot_accounts() == []


def test_pull_secret_merges_the_workspace_warehouse_for_its_own_namespaces(
    app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int], tmp_path: Path
) -> None:
    with HarborEmulator() as warehouse:
        warehouse.add_user("alice", "alice-pass")
        created = api.as_user("alice").post(
            "/api/workspaces/ws-a/integrations",
            {"name": "own", "kind": "harbor", "url": warehouse.url,
             "username": "alice", "password": "alice-pass"},
        )  # fmt: skip
        assert created.status_code == 201, created.get_json()
        bind(api, spaces["team-a"], "ws-a")
        reconcile(app)
        a_hosts = json.loads(authfile(app, "prod/a-web", tmp_path).read_text())["auths"]
        assert set(a_hosts) == {
            harbor.url.removeprefix("http://"),
            warehouse.url.removeprefix("http://"),
        }
        assert a_hosts[warehouse.url.removeprefix("http://")]["username"] == "alice"
        assert json.loads(authfile(app, "prod/b-api", tmp_path).read_text()) == {"auths": {}}
        assert json.loads(authfile(app, "dev/sandbox", tmp_path).read_text()) == {"auths": {}}


def test_cli_refuses_bad_input_and_status_shows_no_secret(
    app: Flask, api: Api, spaces: dict[str, int], harbor: HarborEmulator, tmp_path: Path
) -> None:
    assert cli(app, "pull-secret", "nope/nope").exit_code == 2
    bad = cli(app, "pull-secret", "prod/a-web")  # "prod/a-web" is no Kubernetes name
    assert bad.exit_code == 2 and "--k8s-namespace" in bad.output
    bind(api, spaces["team-a"], "ws-a")
    assert "pending" in cli(app, "pull", "status").output
    reconcile(app)
    secret = json.loads(authfile(app, "prod/a-web", tmp_path).read_text())
    (entry,) = secret["auths"].values()
    status = cli(app, "pull", "status").output
    assert "team-a" in status and entry["password"] not in status
    with app.app_context():
        shown = repr(app.extensions["mirror_plugin"].plugin.pull_secret("prod/a-web"))
    assert entry["password"] not in shown and "registries" in shown


def test_space_page_says_pull_access_is_pending_until_it_lands(
    app: Flask, api: Api, client: Any, spaces: dict[str, int], harbor: HarborEmulator
) -> None:
    bind(api, spaces["team-a"], "ws-a")
    integration_id = session().query(PullOutbox).one().integration_id
    page = client.get(f"/mirror/integrations/{integration_id}/spaces").get_data(as_text=True)
    assert "Team A: pull access pending since" in page
    reconcile(app)
    page = client.get(f"/mirror/integrations/{integration_id}/spaces").get_data(as_text=True)
    assert "pull access pending" not in page


def test_background_worker_applies_changes_within_seconds(
    database_url: str, harbor: HarborEmulator, tmp_path: Path
) -> None:
    """Outside tests the worker thread applies binds and unbinds by itself: the unbound
    project stops being pullable within 5 seconds, with nobody running reconcile."""
    from cryptography.fernet import Fernet

    from .conftest import make_app, migrated, world

    adapter = world()
    host = make_app(
        database_url,
        adapter,
        TESTING=False,
        MIRROR_SECRET_KEYS=[Fernet.generate_key().decode()],
        MIRROR_PULL_RECONCILE_INTERVAL=0.2,
        MIRROR_HEALTH_INTERVAL=0,
    )
    with migrated(host) as app:
        api = Api(app.test_client(), adapter)
        ids = connect_harbor(api, harbor)
        try:
            bind(api, ids["team-a"], "ws-a")
            assert _within(5, lambda: robot_projects(harbor) != {})
            (robot,) = harbor.robot_accounts()
            bind(api, ids["shared"], "ws-a")
            assert _within(
                5, lambda: robot_projects(harbor) == {robot["name"]: ["shared", "team-a"]}
            )
            # Harbor is down at unbind time and stays down past several retries.
            port = int(harbor.url.rsplit(":", 1)[1])
            harbor.stop()
            bind(api, ids["team-a"], "ws-a", action="unbind")
            time.sleep(10)  # three failed attempts: the next would be 8 s away
            harbor.port = port
            harbor.start()
            assert _within(5, lambda: robot_projects(harbor) == {robot["name"]: ["shared"]})
            assert harbor.may_pull(_robot_caller(robot["name"]), "team-a") is False
            bind(api, ids["shared"], "ws-a", action="unbind")
            assert _within(5, lambda: harbor.robot_accounts() == [])
        finally:
            app.extensions["mirror_plugin"].pull_worker.stop()


def _within(seconds: float, check: Any) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def _robot_caller(name: str) -> Any:
    from mirror_plugin.testing.harbor.auth import _Caller

    return _Caller("robot", name=name, projects=frozenset())


def test_secrets_rotate_on_schedule_and_robots_are_renewed_before_expiry(
    app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int], tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    bind(api, spaces["team-a"], "ws-a")
    reconcile(app)
    row = session().query(PullRobot).one()
    first_id, first_secret = row.robot_id, row.secret_encrypted
    assert (harbor.robot_accounts()[0]["duration"], row.expires_at is not None) == (90, True)
    row.secret_rotated_at = datetime.now(UTC) - timedelta(days=31)  # MIRROR_PULL_ROTATE_DAYS
    session().commit()
    assert "rotated" in reconcile(app).output
    row = session().query(PullRobot).one()
    assert row.robot_id == first_id and row.secret_encrypted != first_secret
    row.expires_at = datetime.now(UTC) + timedelta(days=2)
    session().commit()
    reconcile(app)
    row = session().query(PullRobot).one()
    (robot,) = harbor.robot_accounts()
    assert row.robot_id == robot["id"] != first_id  # a fresh robot, with a fresh expiry
    assert row.expires_at is not None and row.expires_at.replace(tzinfo=UTC) > datetime.now(
        UTC
    ) + timedelta(days=80)


def test_platform_docker_registry_credentials_are_handed_out_only_on_opt_in(
    app: Flask,
    api: Api,
    client: Any,
    registry_basic: Any,
    harbor: HarborEmulator,
    signals: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    registry_basic.push("optin/app", "1")
    api.as_user("root")
    user, password = registry_basic.auth
    created = api.post(
        "/api/integrations",
        {"name": "dr", "kind": "docker", "url": registry_basic.url,
         "username": user, "password": password},
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    registry = created.get_json()
    assert registry["share_pull_credentials"] is False
    listed = api.get(f"/api/integrations/{registry['id']}/spaces").get_json()["items"]
    (space_id,) = [s["id"] for s in listed if s["name"] == "optin"]
    assert api.patch(f"/api/spaces/{space_id}", {"public": False}).status_code == 200
    bind(api, space_id, "ws-a")
    assert json.loads(authfile(app, "prod/a-web", tmp_path).read_text()) == {"auths": {}}

    opted = api.patch(f"/api/integrations/{registry['id']}", {"share_pull_credentials": True})
    assert opted.status_code == 200 and opted.get_json()["share_pull_credentials"] is True
    assert ("ws-a", "registry_updated") in [(s["workspace"], s["reason"]) for s in signals]
    auth = authfile(app, "prod/a-web", tmp_path)
    assert list(json.loads(auth.read_text())["auths"]) == [registry_basic.host]
    assert json.loads(authfile(app, "prod/b-api", tmp_path).read_text()) == {"auths": {}}
    if shutil.which("skopeo"):
        inspected = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", "--authfile", str(auth),
             f"docker://{registry_basic.host}/optin/app:1"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert inspected.returncode == 0, inspected.stderr
    page = client.get(f"/mirror/integrations/{registry['id']}").get_data(as_text=True)
    assert "reaches the whole registry" in page

    refused = api.post(
        "/api/integrations",
        {"name": "h", "kind": "harbor", "url": harbor.url, "username": "admin",
         "password": "Harbor12345", "share_pull_credentials": True},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "scoped robot" in json.dumps(refused.get_json())


def test_removing_the_harbor_integration_deletes_its_robots_and_drops_them_from_secrets(
    app: Flask,
    api: Api,
    harbor: HarborEmulator,
    spaces: dict[str, int],
    signals: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    bind(api, spaces["team-a"], "ws-a")
    bind(api, spaces["shared"], "ws-b")
    reconcile(app)
    assert json.loads(authfile(app, "prod/a-web", tmp_path).read_text())["auths"]
    names = sorted(robot_projects(harbor))
    integration_id = session().query(PullRobot).first().integration_id
    removed = api.as_user("root").delete(f"/api/integrations/{integration_id}")
    assert removed.status_code == 200
    assert removed.get_json()["pull_robots"] == {"deleted": names, "left": [], "error": None}
    assert harbor.robot_accounts() == []  # gone from Harbor, not only from the secrets
    assert ("ws-a", "integration_deleted") in [(s["workspace"], s["reason"]) for s in signals]
    assert json.loads(authfile(app, "prod/a-web", tmp_path).read_text()) == {"auths": {}}
    event = session().query(AuditEvent).filter_by(action="integration.deleted").one()
    assert event.detail["pull_robots"]["deleted"] == names
    assert reconcile(app).exit_code == 0
    assert session().query(PullRobot).count() == 0


def test_removing_the_integration_while_harbor_is_down_names_the_robots_left(
    app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int]
) -> None:
    bind(api, spaces["team-a"], "ws-a", "ws-b")
    reconcile(app)
    names = sorted(robot_projects(harbor))
    assert len(names) == 2
    integration_id = session().query(PullRobot).first().integration_id
    harbor.stop()
    page = api.as_user("root").client.post(
        f"/mirror/integrations/{integration_id}/delete",
        data={"mirror_csrf_token": Api.TOKEN},
        follow_redirects=True,
    )
    assert page.status_code == 200  # the removal itself succeeded
    text = page.get_data(as_text=True)
    assert "Deleted harbor" in text and "delete them by hand in Harbor" in text
    assert all(name in text for name in names)
    assert api.get(f"/api/integrations/{integration_id}").status_code == 404
    event = session().query(AuditEvent).filter_by(action="integration.deleted").one()
    assert event.detail["pull_robots"]["left"] == names
    assert event.detail["pull_robots"]["deleted"] == [] and event.detail["pull_robots"]["error"]
