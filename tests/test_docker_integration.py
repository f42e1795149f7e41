"""Connecting the real Docker Registry: test connection, save, sync, delete — through the API."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from mirror_plugin.models import AuditEvent, Binding, Integration, Repository, Space

from .conftest import Api
from .factories import session
from .registries import PASSWORD, USERNAME, RunningRegistry


def body(registry: RunningRegistry, name: str = "dist", **extra: object) -> dict[str, object]:
    data: dict[str, object] = {"name": name, "kind": "docker", "url": registry.url}
    if registry.username:
        data.update(username=registry.username, password=registry.password)
    data.update(extra)
    return data


def test_connect_open_registry_and_sync_spaces(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    registry_open.push("dockerint/app", "1.0")
    registry_open.push("dockerint/tools/deep", "2")
    registry_open.push("dockerint-solo", "latest")
    api.as_user("root")
    created = api.post("/api/integrations", body(registry_open))
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["health"] == "healthy" and data["has_password"] is False
    assert data["registry_host"] == registry_open.host

    synced = api.post(f"/api/integrations/{data['id']}/sync?wait=true")
    assert synced.status_code == 200, synced.get_json()
    spaces = {s.name: s for s in session().query(Space).all()}
    assert spaces["dockerint"].repo_count == 2
    assert spaces["dockerint"].public is True  # Docker Registry spaces start public
    assert "dockerint-solo" in spaces
    names = {r.name for r in session().query(Repository).filter_by(space=spaces["dockerint"])}
    assert names == {"dockerint/app", "dockerint/tools/deep"}

    plugin = app.extensions["mirror_plugin"].plugin
    assert plugin.check_image("prod/b-api", f"{registry_open.host}/dockerint/app:1.0").allowed


def test_visibility_set_by_admin_survives_a_sync(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    registry_open.push("keepprivate/app", "1")
    api.as_user("root")
    integration_id = api.post("/api/integrations", body(registry_open)).get_json()["id"]
    api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    space = session().query(Space).filter_by(name="keepprivate").one()
    space.public = False
    session().commit()
    api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    session().expire_all()
    assert session().query(Space).filter_by(name="keepprivate").one().public is False


def test_basic_auth_registry_checks_credentials_on_save(
    app: Flask, api: Api, registry_basic: RunningRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.as_user("root")
    wrong = api.post("/api/integrations", body(registry_basic, password="wrong-password"))
    assert wrong.status_code == 422
    assert "password" in wrong.get_json()["error"]["fields"]
    assert session().query(Integration).count() == 0

    missing = api.post(
        "/api/integrations", {"name": "x", "kind": "docker", "url": registry_basic.url}
    )
    assert missing.status_code == 422
    assert "requires a user name and password" in missing.get_json()["error"]["fields"]["password"]

    ok = api.post("/api/integrations", body(registry_basic))
    assert ok.status_code == 201, ok.get_json()
    text = ok.get_data(as_text=True)
    assert PASSWORD not in text and "has_password" in text
    row = session().query(Integration).one()
    assert row.password_encrypted and PASSWORD.encode() not in row.password_encrypted
    assert PASSWORD not in caplog.text

    listed = api.get("/api/integrations").get_data(as_text=True)
    assert PASSWORD not in listed and USERNAME in listed


def test_token_registry_connects_through_the_bearer_flow(
    app: Flask, api: Api, registry_token: RunningRegistry
) -> None:
    registry_token.push("tokened/app", "1")
    api.as_user("root")
    created = api.post("/api/integrations", body(registry_token, name="tokened"))
    assert created.status_code == 201, created.get_json()
    synced = api.post(f"/api/integrations/{created.get_json()['id']}/sync?wait=true")
    assert synced.status_code == 200, synced.get_json()
    assert created.get_json()["sync"]["ok"] is True  # the first sync ran on connect
    assert session().query(Space).filter_by(name="tokened").count() == 1
    assert synced.get_json()["result"]["added"] == []


def test_test_connection_reports_without_saving(
    app: Flask, api: Api, registry_basic: RunningRegistry
) -> None:
    api.as_user("root")
    good = api.post("/api/integrations/test", body(registry_basic))
    assert good.status_code == 200 and good.get_json()["ok"] is True
    bad = api.post("/api/integrations/test", body(registry_basic, password="nope"))
    assert bad.get_json()["ok"] is False and bad.get_json()["category"] == "auth_failed"
    assert session().query(Integration).count() == 0


def test_changing_the_url_requires_the_password_again(
    app: Flask, api: Api, registry_basic: RunningRegistry, registry_open: RunningRegistry
) -> None:
    api.as_user("root")
    integration_id = api.post("/api/integrations", body(registry_basic)).get_json()["id"]
    moved = api.patch(f"/api/integrations/{integration_id}", {"url": registry_open.url})
    assert moved.status_code == 422
    assert "Enter the password again" in moved.get_json()["error"]["fields"]["password"]
    session().expire_all()
    assert session().get(Integration, integration_id).url == registry_basic.url
    renamed = api.patch(f"/api/integrations/{integration_id}", {"description": "kept password"})
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["has_password"] is True


def test_delete_removes_spaces_and_bindings_and_audits(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    registry_open.push("gone/app", "1")
    api.as_user("root")
    integration_id = api.post("/api/integrations", body(registry_open)).get_json()["id"]
    api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    space = session().query(Space).filter_by(name="gone").one()
    session().add_all(
        [Binding(space=space, workspace_id="ws-a"), Binding(space=space, workspace_id="ws-b")]
    )
    session().commit()
    deleted = api.delete(f"/api/integrations/{integration_id}")
    assert deleted.get_json() == {"deleted": integration_id, "bindings_removed": 2}
    assert session().query(Space).count() == 0 and session().query(Binding).count() == 0
    event = session().query(AuditEvent).filter_by(action="integration.deleted").one()
    assert event.actor == "root" and event.detail["bindings"] == 2
    assert event.workspace_ids == ["ws-a", "ws-b"]


def test_registry_down_gives_a_clear_error_and_keeps_data(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    registry_open.push("kept/app", "1")
    api.as_user("root")
    integration_id = api.post("/api/integrations", body(registry_open)).get_json()["id"]
    api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    row = session().get(Integration, integration_id)
    row.url = "http://127.0.0.1:9"  # discard port: nothing listens
    session().commit()
    failed = api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    assert failed.status_code == 502
    assert "could not be reached" in failed.get_json()["error"]["message"]
    session().expire_all()
    assert session().query(Space).filter_by(name="kept").count() == 1
    row = session().get(Integration, integration_id)
    assert row.health == "unhealthy" and "could not be reached" in row.last_error


def test_workspace_admin_connects_a_registry_without_password(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    registry_open.push("wsonly/app", "1")
    api.as_user("alice")
    created = api.post("/api/workspaces/ws-a/integrations", body(registry_open, name="mine"))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["workspace_id"] == "ws-a"
    plugin = app.extensions["mirror_plugin"].plugin
    image = f"{registry_open.host}/wsonly/app:1"
    decision = plugin.check_image("prod/a-web", image)
    assert decision.allowed and decision.reason.value == "workspace_warehouse"

    # Other tenants cannot see it, members may look but not touch, only admins manage.
    own = f"/api/integrations/{created.get_json()['id']}"
    assert api.as_user("bob").get("/api/workspaces/ws-a/integrations").status_code == 404
    assert api.as_user("bob").get(own).status_code == 404
    assert api.as_user("eddie").get("/api/workspaces/ws-a/integrations").status_code == 200
    forbidden = api.as_user("eddie").delete(own)
    assert forbidden.status_code == 403
    assert api.as_user("alice").get("/api/integrations").status_code == 403
    assert session().query(Integration).count() == 1


def test_a_user_name_without_password_is_refused_not_anonymous(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    api.as_user("root")
    response = api.post("/api/integrations", body(registry_open, username="someone"))
    assert response.status_code == 422
    assert "Enter the password of someone" in response.get_json()["error"]["fields"]["password"]
    assert session().query(Integration).count() == 0
