"""The Warehouse Integration pages as a person uses them: plain forms, no JavaScript."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from mirror_plugin.models import Integration

from .conftest import Api
from .factories import session
from .registries import PASSWORD, USERNAME, RunningRegistry


def form(registry: RunningRegistry, **extra: str) -> dict[str, str]:
    data = {
        "name": "web-reg",
        "kind": "docker",
        "url": registry.url,
        "verify_tls": "y",
        "mirror_csrf_token": Api.TOKEN,
        "action": "save",
    }
    if registry.username:
        data.update(username=registry.username, password=registry.password or "")
    data.update(extra)
    return data


def post(api: Api, path: str, data: dict[str, str]) -> Any:
    return api.client.post("/mirror" + path, data=data)


def test_admin_adds_a_registry_through_the_form(
    app: Flask, api: Api, registry_basic: RunningRegistry
) -> None:
    registry_basic.push("pagespace/app", "1")
    api.as_user("root")
    page = api.get("/integrations/new").get_data(as_text=True)
    assert 'name="mirror_csrf_token"' in page and "administrator account" in page

    saved = post(api, "/integrations/new", form(registry_basic))
    assert saved.status_code == 302
    detail = api.client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved web-reg" in detail and "Synced web-reg" in detail and "Healthy" in detail
    listing = api.get("/integrations/?q=web").get_data(as_text=True)
    assert "web-reg" in listing and PASSWORD not in listing

    row = session().query(Integration).one()
    edit = api.get(f"/integrations/{row.id}/edit").get_data(as_text=True)
    assert PASSWORD not in edit and USERNAME in edit and "A password is stored" in edit


def test_form_errors_are_shown_next_to_fields(
    app: Flask, api: Api, registry_basic: RunningRegistry
) -> None:
    api.as_user("root")
    wrong = post(api, "/integrations/new", form(registry_basic, password="nope"))
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "rejected the user name or password" in text and 'aria-invalid="true"' in text
    bad_url = post(api, "/integrations/new", form(registry_basic, url="ftp://x"))
    assert bad_url.status_code == 422 and "https://host[:port]" in bad_url.get_data(as_text=True)
    metadata = post(api, "/integrations/new", form(registry_basic, url="http://169.254.169.254"))
    assert metadata.status_code == 422 and "not allow" in metadata.get_data(as_text=True)
    assert session().query(Integration).count() == 0


def test_test_connection_button_does_not_save(
    app: Flask, api: Api, registry_basic: RunningRegistry
) -> None:
    api.as_user("root")
    tested = post(api, "/integrations/new", form(registry_basic, action="test"))
    assert tested.status_code == 200 and "Connection works" in tested.get_data(as_text=True)
    assert session().query(Integration).count() == 0


def test_missing_or_wrong_csrf_token_changes_nothing(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    api.as_user("root")
    for token in ("", "forged"):
        refused = post(api, "/integrations/new", form(registry_open, mirror_csrf_token=token))
        assert refused.status_code == 403
    assert (
        api.post(
            "/api/integrations",
            {"name": "x", "kind": "docker", "url": registry_open.url},
            csrf=False,
        ).status_code
        == 403
    )
    assert session().query(Integration).count() == 0


def test_delete_confirmation_says_how_many_bindings_go(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    from mirror_plugin.models import Binding, Space

    registry_open.push("delpage/app", "1")
    api.as_user("root")
    post(api, "/integrations/new", form(registry_open))
    row = session().query(Integration).one()
    space = session().query(Space).filter_by(name="delpage").one()
    session().add_all([Binding(space=space, workspace_id=w) for w in ("ws-a", "ws-b", "ws-c")])
    session().commit()
    confirm = api.get(f"/integrations/{row.id}/delete").get_data(as_text=True)
    assert "3 bindings" in confirm
    done = post(api, f"/integrations/{row.id}/delete", {"mirror_csrf_token": Api.TOKEN})
    assert done.status_code == 302 and session().query(Integration).count() == 0


def test_workspace_pages_follow_roles(app: Flask, api: Api, registry_open: RunningRegistry) -> None:
    api.as_user("alice")
    page = api.get("/workspaces/ws-a/warehouses/").get_data(as_text=True)
    assert "Add registry" in page and "Team A" in page
    created = post(api, "/workspaces/ws-a/warehouses/new", form(registry_open, name="alpha-own"))
    assert created.status_code == 302
    row = session().query(Integration).one()
    assert row.workspace_id == "ws-a" and row.scope == "workspace"

    member = api.as_user("vera").get("/workspaces/ws-a/warehouses/").get_data(as_text=True)
    assert "alpha-own" in member and "Add registry" not in member
    assert api.as_user("vera").get(f"/workspaces/ws-a/warehouses/{row.id}/edit").status_code == 403
    assert api.as_user("bob").get("/workspaces/ws-a/warehouses/").status_code == 404
    assert api.as_user("bob").get(f"/workspaces/ws-b/warehouses/{row.id}").status_code == 404
    assert api.as_user("alice").get("/integrations/").status_code == 403
    assert api.as_user(None).get("/workspaces/ws-a/warehouses/").status_code == 401


def test_test_connection_is_rate_limited_per_user(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    app.config["MIRROR_TEST_CONNECTION_PER_MINUTE"] = 2
    api.as_user("root")
    body = {"name": "r", "kind": "docker", "url": registry_open.url}
    codes = [api.post("/api/integrations/test", body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "try again in" in api.post("/api/integrations/test", body).get_json()["error"]["message"]
    assert (
        api.as_user("alice").post("/api/workspaces/ws-a/integrations/test", body).status_code == 200
    )


def test_nul_characters_are_refused_before_reaching_the_database(app: Flask, api: Api) -> None:
    api.as_user("root")
    body = {"name": "n", "kind": "docker", "url": "http://127.0.0.1:9", "description": "a\x00b"}
    answer = api.post("/api/integrations", body)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"] == {"description": "Remove the NUL character."}
    assert api.get("/api/integrations?q=a%00b").status_code == 400
    assert session().query(Integration).count() == 0


def test_a_workspace_warehouse_is_described_as_the_workspace_s(
    app: Flask, api: Api, registry_open: RunningRegistry
) -> None:
    """Deleting a warehouse is about the workspace, not the platform, and it has no bindings
    to count (its spaces serve its own workspace)."""
    registry_open.push("wsdel/app", "1")
    api.as_user("alice")
    post(api, "/workspaces/ws-a/warehouses/new", form(registry_open, name="alpha-own"))
    row = session().query(Integration).one()
    detail = api.get(f"/workspaces/ws-a/warehouses/{row.id}").get_data(as_text=True)
    assert "<dt>Spaces</dt>" in detail and "<dt>Bindings</dt>" not in detail
    confirm = api.get(f"/workspaces/ws-a/warehouses/{row.id}/delete").get_data(as_text=True)
    assert re.search(r"from Team A's warehouses with its (1 space|\d+ spaces):", confirm)
    assert "platform" not in confirm.split("<h1>", 1)[1] and "binding" not in confirm
    done = post(
        api, f"/workspaces/ws-a/warehouses/{row.id}/delete", {"mirror_csrf_token": Api.TOKEN}
    )
    assert done.status_code == 302
    listing = api.get("/workspaces/ws-a/warehouses/").get_data(as_text=True)
    assert "Deleted alpha-own." in listing  # the bundled layout shows flashes; no "0 bindings"


def test_sync_summary_counts_in_words(app: Flask, api: Api, registry_open: RunningRegistry) -> None:
    registry_open.push("onlyone/app", "1")
    api.as_user("root")
    post(api, "/integrations/new", form(registry_open))
    row = session().query(Integration).one()
    page = api.get(f"/integrations/{row.id}").get_data(as_text=True)
    summary = re.search(r"Synced web-reg: (\d+) (spaces?): ", page)
    assert summary is not None
    assert summary.group(2) == ("space" if summary.group(1) == "1" else "spaces")


def test_a_registry_is_connected_once_per_owner(app: Flask, api: Api) -> None:
    """However the second one spells the host (or lists it as another name), the platform
    gets one integration per registry; a workspace may still connect it as its own."""
    from mirror_plugin.testing.harbor import HarborEmulator

    with HarborEmulator() as harbor:
        port = harbor.url.rsplit(":", 1)[1]
        body = {"kind": "harbor", "username": "admin", "password": "Harbor12345"}
        api.as_user("root")
        first = api.post("/api/integrations", {**body, "name": "harbor", "url": harbor.url})
        assert first.status_code == 201, first.get_json()
        for twin in (
            {"name": "harbor-2", "url": f"http://127.1:{port}"},
            {
                "name": "harbor-3",
                "url": f"http://localhost:{port}",
                "aliases": [f"127.0.0.1:{port}"],
            },
        ):
            refused = api.post("/api/integrations", {**body, **twin})
            assert refused.status_code == 409
            message = refused.get_json()["error"]["message"]
            assert f"127.0.0.1:{port} is already connected here as 'harbor'" in message
        page = post(
            api,
            "/integrations/new",
            {
                **body,
                "name": "harbor-2",
                "url": f"http://127.1:{port}",
                "mirror_csrf_token": Api.TOKEN,
                "action": "save",
            },
        )
        assert page.status_code == 409
        assert 'id="url-error"' in page.get_data(as_text=True)
        assert "already connected here as" in page.get_data(as_text=True)
        assert session().query(Integration).count() == 1

        api.as_user("alice")
        own = api.post(
            "/api/workspaces/ws-a/integrations", {**body, "name": "alpha", "url": harbor.url}
        )
        assert own.status_code == 201, own.get_json()
