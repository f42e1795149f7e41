"""Connecting Harbor (the emulator, checked against the swagger spec): the truth table of
test connection, saving, syncing projects into spaces, and Harbor's traps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from mirror_plugin.models import AuditEvent, Binding, Integration, Repository, Space
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api
from .factories import session


@pytest.fixture
def harbor() -> Iterator[HarborEmulator]:
    with HarborEmulator() as emulator:
        emulator.add_user("alice", "alice-pass")
        emulator.add_robot("robot$ci", "robot-secret")
        yield emulator


def body(
    harbor: HarborEmulator, user: str = "admin", password: str = "Harbor12345", **extra: object
) -> dict[str, object]:
    return {
        "name": "harbor",
        "kind": "harbor",
        "url": harbor.url,
        "username": user,
        "password": password,
        **extra,
    }


@pytest.mark.parametrize(
    ("user", "password", "platform_ok", "workspace_ok", "text"),
    [
        ("admin", "Harbor12345", True, True, "Harbor administrator admin"),
        ("admin", "wrong", False, False, "rejected the user name or password"),
        ("alice", "alice-pass", False, True, "not a Harbor administrator"),
        ("robot$ci", "robot-secret", False, True, "robot account"),
        ("robot$ci", "wrong", False, False, "rejected the user name or password"),
        ("", "", False, True, "administrator account"),
    ],
)
def test_test_connection_tells_the_truth(
    app: Flask,
    api: Api,
    harbor: HarborEmulator,
    user: str,
    password: str,
    platform_ok: bool,
    workspace_ok: bool,
    text: str,
) -> None:
    platform = api.as_user("root").post("/api/integrations/test", body(harbor, user, password))
    assert platform.get_json()["ok"] is platform_ok, platform.get_json()
    workspace = api.as_user("alice").post(
        "/api/workspaces/ws-a/integrations/test", body(harbor, user, password)
    )
    assert workspace.get_json()["ok"] is workspace_ok, workspace.get_json()
    messages = platform.get_json()["message"] + " " + workspace.get_json()["message"]
    assert text in messages


def test_not_a_harbor_and_unreachable(
    app: Flask, api: Api, harbor: HarborEmulator, registry_open: object
) -> None:
    api.as_user("root")
    other = api.post(
        "/api/integrations/test", {"name": "x", "kind": "harbor", "url": registry_open.url}
    )  # type: ignore[attr-defined]
    assert other.get_json()["category"] == "not_a_registry"
    down = api.post(
        "/api/integrations/test", {"name": "x", "kind": "harbor", "url": "http://127.0.0.1:9"}
    )
    assert down.get_json()["category"] == "unreachable"
    tls = api.post(
        "/api/integrations/test", body(harbor, url=harbor.url.replace("http:", "https:"))
    )
    assert tls.get_json()["category"] == "tls_error"


def test_sync_brings_projects_with_visibility_and_counts(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    for number in range(130):  # more than one page of 100
        harbor.add_project(f"proj-{number:03d}", public=number % 3 == 0)
    harbor.add_repository("proj-001", "team/nested/app", [{"tags": ["1.0"]}, {"tags": None}])
    harbor.add_repository("proj-001", "other", [{"tags": ["x"]}])
    api.as_user("root")
    created = api.post("/api/integrations", body(harbor))
    assert created.status_code == 201, created.get_json()
    synced = api.post(f"/api/integrations/{created.get_json()['id']}/sync?wait=true")
    synced = synced.get_json()["result"]
    assert (
        created.get_json()["spaces"] == 130
        and "130 spaces" in created.get_json()["sync"]["message"]
    )
    assert synced["total"] == 130 and synced["added"] == [] and synced["removed"] == []
    spaces = {s.name: s for s in session().query(Space)}
    assert spaces["proj-000"].public is True and spaces["proj-001"].public is False
    assert spaces["proj-001"].repo_count == 2
    assert spaces["proj-001"].upstream_id is not None
    repositories = {r.name: r for r in session().query(Repository)}
    assert set(repositories) == {"proj-001/team/nested/app", "proj-001/other"}
    assert repositories["proj-001/team/nested/app"].artifact_count == 2
    listing = [path for method, path in harbor.requests if path.endswith("/projects")]
    assert len(listing) >= 2  # paged at 100

    plugin = app.extensions["mirror_plugin"].plugin
    host = created.get_json()["registry_host"]
    assert plugin.check_image("dev/sandbox", f"{host}/proj-000/app:1").allowed
    denied = plugin.check_image("prod/a-web", f"{host}/proj-001/team/nested/app:1.0")
    assert denied.reason.value == "space_not_bound"


def test_vanished_projects_go_with_their_bindings_audited(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    harbor.add_project("stays")
    harbor.add_project("goes")
    api.as_user("root")
    integration_id = api.post("/api/integrations", body(harbor)).get_json()["id"]
    api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    goes = session().query(Space).filter_by(name="goes").one()
    session().add(Binding(space=goes, workspace_id="ws-a"))
    session().commit()
    import requests

    # Someone deletes the project in Harbor itself.
    deleted = requests.delete(
        f"{harbor.url}/api/v2.0/projects/goes",
        auth=("admin", "Harbor12345"),
        headers={"X-Is-Resource-Name": "true"},
        timeout=5,
    )
    assert deleted.status_code == 200
    report = api.post(f"/api/integrations/{integration_id}/sync?wait=true").get_json()["result"]
    assert report["removed"] == ["goes"] and report["unbound_workspaces"] == ["ws-a"]
    assert session().query(Binding).count() == 0
    event = session().query(AuditEvent).filter_by(action="space.removed_upstream").one()
    assert event.space_name == "goes" and event.workspace_ids == ["ws-a"]


def test_harbor_failing_mid_sync_leaves_spaces_untouched(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    for number in range(150):
        harbor.add_project(f"p{number}")
    api.as_user("root")
    integration_id = api.post("/api/integrations", body(harbor)).get_json()["id"]
    api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    before = session().query(Space).count()
    harbor.fail_next(500, 5)
    failed = api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    assert failed.status_code == 502
    assert "Harbor failed" in failed.get_json()["error"]["message"]
    session().expire_all()
    assert session().query(Space).count() == before == 150
    assert session().get(Integration, integration_id).health == "unhealthy"


def test_writes_survive_harbors_sid_cookie(app: Flask, harbor: HarborEmulator) -> None:
    """Harbor sets sid on every answer; sending it back would make the POST a CSRF 403."""
    from mirror_plugin.registry.endpoint import Endpoint
    from mirror_plugin.registry.harbor import HarborClient
    from mirror_plugin.registry.http import RegistryHTTP

    http = RegistryHTTP(
        Endpoint(harbor.url, "admin", "Harbor12345"),
        policy=app.extensions["mirror_plugin"].network_policy,
    )
    client = HarborClient(http)
    client.ping()
    client.projects()
    project_id = client.create_project("made-here", public=False)
    assert project_id is not None
    client.set_public("made-here", True)
    assert {p.name: p.public for p in client.projects()}["made-here"] is True
    client.delete_project("made-here")
    assert "made-here" not in harbor.project_names()


def test_nested_repositories_and_null_tags(app: Flask, harbor: HarborEmulator) -> None:
    from mirror_plugin.registry.endpoint import Endpoint
    from mirror_plugin.registry.harbor import HarborClient
    from mirror_plugin.registry.http import RegistryHTTP

    harbor.add_project("lib", public=True)
    harbor.add_repository("lib", "a/b/c", [{"tags": ["1", "latest"]}, {"tags": None}])
    http = RegistryHTTP(
        Endpoint(harbor.url, "admin", "Harbor12345"),
        policy=app.extensions["mirror_plugin"].network_policy,
    )
    client = HarborClient(http)
    assert [r["name"] for r in client.repositories("lib")] == ["lib/a/b/c"]
    artifacts = client.artifacts("lib", "lib/a/b/c")
    assert sorted(len(a["tags"]) for a in artifacts) == [0, 2]
    assert any("a%252Fb%252Fc" in path for _, path in harbor.requests)
