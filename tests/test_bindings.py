"""Binding spaces to workspaces: semantics, permissions, bad input, audit, signals, CLI."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import AuditEvent, Binding, Space
from mirror_plugin.signals import bindings_changed

from .conftest import Api
from .factories import integration, session, space


@pytest.fixture
def spaces(app: Flask) -> dict[str, int]:
    """Spaces of a registry that is down (nothing listens): binding must not need it."""
    harbor = integration("harbor", "http://127.0.0.1:9")
    made = {
        name: space(harbor, name, public=name == "library").id
        for name in ("library", "secret", "tools", "extra")
    }
    session().commit()
    return made


def bound(space_id: int) -> list[str]:
    session().expire_all()
    return sorted(b.workspace_id for b in session().query(Binding).filter_by(space_id=space_id))


def test_dialog_sets_additions_and_removals_together(api: Api, spaces: dict[str, int]) -> None:
    api.as_user("root")
    first = api.call(
        "PUT", f"/api/spaces/{spaces['secret']}/workspaces", {"workspaces": ["ws-a", "ws-b"]}
    )
    assert first.status_code == 200, first.get_json()
    assert first.get_json() | {} == {
        "space_id": spaces["secret"],
        "space": "secret",
        "bound": ["ws-a", "ws-b"],
        "unbound": [],
        "workspaces": ["ws-a", "ws-b"],
    }
    second = api.call(
        "PUT", f"/api/spaces/{spaces['secret']}/workspaces", {"workspaces": ["ws-b", "ws-c"]}
    ).get_json()
    assert (second["bound"], second["unbound"]) == (["ws-c"], ["ws-a"])
    assert bound(spaces["secret"]) == ["ws-b", "ws-c"]
    again = api.call(
        "PUT",
        f"/api/spaces/{spaces['secret']}/workspaces",
        {"workspaces": ["ws-c", "ws-b", "ws-b"]},
    ).get_json()
    assert (again["bound"], again["unbound"]) == ([], [])


def test_binding_twice_is_a_no_op(api: Api, spaces: dict[str, int]) -> None:
    api.as_user("root")
    body = {"spaces": [spaces["secret"]], "workspaces": ["ws-a"]}
    assert api.post("/api/bindings", body).get_json()["changes"][0]["bound"] == ["ws-a"]
    assert api.post("/api/bindings", body).get_json()["changes"][0]["bound"] == []
    assert bound(spaces["secret"]) == ["ws-a"]
    assert session().query(AuditEvent).filter_by(action="binding.changed").count() == 1


def test_batch_binds_and_unbinds_many_spaces(api: Api, spaces: dict[str, int]) -> None:
    api.as_user("root")
    ids = [spaces["secret"], spaces["tools"], spaces["extra"]]
    done = api.post("/api/bindings", {"spaces": ids, "workspaces": ["ws-a", "ws-b"]})
    assert done.status_code == 200
    assert all(bound(i) == ["ws-a", "ws-b"] for i in ids)
    api.post("/api/bindings", {"spaces": ids[:2], "workspaces": ["ws-a"], "action": "unbind"})
    assert [bound(i) for i in ids] == [["ws-b"], ["ws-b"], ["ws-a", "ws-b"]]


def test_public_space_binding_is_kept_when_it_turns_private(
    app: Flask, api: Api, spaces: dict[str, int]
) -> None:
    api.as_user("root")
    api.post("/api/bindings", {"spaces": [spaces["library"]], "workspaces": ["ws-b"]})
    library = session().get(Space, spaces["library"])
    library.public = False
    session().commit()
    plugin = app.extensions["mirror_plugin"].plugin
    assert plugin.check_image("prod/b-api", "127.0.0.1:9/library/app:1").allowed
    assert not plugin.check_image("prod/a-web", "127.0.0.1:9/library/app:1").allowed


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "text"),
    [
        ("PUT", "/api/spaces/999999/workspaces", {"workspaces": ["ws-a"]}, 404, "No such space"),
        (
            "PUT",
            "/api/spaces/{secret}/workspaces",
            {"workspaces": ["ws-a", "nope", "gone"]},
            422,
            "Unknown workspaces: gone, nope",
        ),
        ("PUT", "/api/spaces/{secret}/workspaces", {"workspaces": "ws-a"}, 422, "list of str"),
        ("PUT", "/api/spaces/{secret}/workspaces", [1, 2], 400, "JSON object"),
        (
            "POST",
            "/api/bindings",
            {"spaces": [], "workspaces": ["ws-a"]},
            422,
            "at least one space",
        ),
        (
            "POST",
            "/api/bindings",
            {"spaces": ["{secret}"], "workspaces": []},
            422,
            "at least one workspace",
        ),
        (
            "POST",
            "/api/bindings",
            {"spaces": [999999], "workspaces": ["ws-a"]},
            404,
            "No such space",
        ),
        ("POST", "/api/bindings", {"spaces": [True], "workspaces": ["ws-a"]}, 422, "int ids"),
        (
            "POST",
            "/api/bindings",
            {"spaces": ["{secret}"], "workspaces": ["ws-a"], "action": "maybe"},
            422,
            "bind or unbind",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    api: Api, spaces: dict[str, int], method: str, path: str, body: Any, status: int, text: str
) -> None:
    def fill(value: Any) -> Any:
        if isinstance(value, str) and value == "{secret}":
            return spaces["secret"]
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    api.as_user("root")
    response = api.call(method, path.replace("{secret}", str(spaces["secret"])), fill(body))
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert text in (error["message"] + str(error.get("fields", "")))
    assert session().query(Binding).count() == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/spaces/999999", {"public": "yes"}),
        ("PUT", "/api/spaces/999999/workspaces", {"workspaces": "ws-a"}),
        ("POST", "/api/integrations/999999/spaces", {"name": 1}),
    ],
)
def test_a_missing_space_or_registry_is_a_404_whatever_the_body(
    api: Api, spaces: dict[str, int], method: str, path: str, body: Any
) -> None:
    """What the path names is looked up before the body is read, as for every object."""
    api.as_user("root")
    assert api.call(method, path, body).status_code == 404


def test_audit_bounds_are_dates_or_times(api: Api, spaces: dict[str, int]) -> None:
    api.as_user("root")
    refused = api.get("/api/audit?until=yesterday")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["message"] == (
        "'until' must be a date or time like 2026-11-27 or 2026-11-27T10:00:00."
    )
    assert api.get("/api/audit?since=%20&until=2999-01-01T10:00:00%2B02:00").status_code == 200


def test_oversized_batch_is_refused_with_the_limit(
    app: Flask, api: Api, spaces: dict[str, int]
) -> None:
    app.config["MIRROR_MAX_BINDING_PAIRS"] = 5
    api.as_user("root")
    response = api.post(
        "/api/bindings", {"spaces": list(spaces.values()), "workspaces": ["ws-a", "ws-b"]}
    )
    assert response.status_code == 422
    assert (
        "more than the 5 space-workspace pairs"
        in response.get_json()["error"]["fields"]["workspaces"]
    )
    assert session().query(Binding).count() == 0


@pytest.mark.parametrize("user", ["alice", "eddie", "vera", "bob", None])
def test_only_the_platform_admin_binds(api: Api, spaces: dict[str, int], user: str | None) -> None:
    api.as_user(user)
    expected = 401 if user is None else 403
    assert (
        api.call(
            "PUT", f"/api/spaces/{spaces['secret']}/workspaces", {"workspaces": ["ws-a"]}
        ).status_code
        == expected
    )
    assert (
        api.post(
            "/api/bindings", {"spaces": [spaces["secret"]], "workspaces": ["ws-a"]}
        ).status_code
        == expected
    )
    assert api.get("/api/integrations/1/spaces").status_code in (expected, 404)
    assert api.get("/api/audit").status_code == expected
    assert session().query(Binding).count() == 0


def test_csrf_is_required(api: Api, spaces: dict[str, int]) -> None:
    api.as_user("root")
    refused = api.call(
        "PUT", f"/api/spaces/{spaces['secret']}/workspaces", {"workspaces": ["ws-a"]}, csrf=False
    )
    assert refused.status_code == 403 and "CSRF" in refused.get_json()["error"]["message"]
    assert session().query(Binding).count() == 0


def test_changes_are_audited_and_signalled(app: Flask, api: Api, spaces: dict[str, int]) -> None:
    received: list[dict[str, Any]] = []

    def listener(sender: Flask, **kwargs: Any) -> None:
        received.append(kwargs)

    api.as_user("root")
    with bindings_changed.connected_to(listener, app):
        api.call(
            "PUT", f"/api/spaces/{spaces['secret']}/workspaces", {"workspaces": ["ws-a", "ws-b"]}
        )
        api.call("PUT", f"/api/spaces/{spaces['secret']}/workspaces", {"workspaces": ["ws-b"]})
    assert [(r["space"], r["bound"], r["unbound"]) for r in received] == [
        ("secret", ["ws-a", "ws-b"], []),
        ("secret", [], ["ws-a"]),
    ]
    events = api.get("/api/audit?space=secret").get_json()["items"]
    assert [e["detail"]["unbound"] for e in events] == [["ws-a"], []]
    assert events[0]["actor"] == "root" and events[0]["workspaces"] == ["ws-a"]
    by_workspace = api.get("/api/audit?workspace=ws-a").get_json()
    assert by_workspace["total"] == 2
    assert api.get("/api/audit?since=not-a-date").status_code == 400
    assert api.get("/api/audit?since=2999-01-01").get_json()["total"] == 0


def test_space_list_tabs_search_sort_pages(api: Api, spaces: dict[str, int]) -> None:
    api.as_user("root")
    api.post("/api/bindings", {"spaces": [spaces["secret"]], "workspaces": ["ws-a"]})
    integration_id = session().get(Space, spaces["secret"]).integration_id
    base = f"/api/integrations/{integration_id}/spaces"
    private = api.get(base + "?tab=private").get_json()
    assert [s["name"] for s in private["items"]] == ["extra", "secret", "tools"]
    assert private["items"][1]["workspaces"] == [{"id": "ws-a", "name": "Team A"}]
    assert [s["name"] for s in api.get(base + "?tab=public").get_json()["items"]] == ["library"]
    assert [s["name"] for s in api.get(base + "?q=ECR").get_json()["items"]] == ["secret"]
    paged = api.get(base + "?per_page=2&page=2&sort=-name").get_json()
    assert paged["total"] == 4 and paged["pages"] == 2
    assert [s["name"] for s in paged["items"]] == ["library", "extra"]
    assert api.get(base + "?tab=hidden").status_code == 400
    assert api.get(base + "?per_page=0").status_code == 400


def test_workspace_lifecycle(app: Flask, api: Api, spaces: dict[str, int]) -> None:
    plugin = app.extensions["mirror_plugin"].plugin
    api.as_user("root")
    api.post(
        "/api/bindings",
        {"spaces": [spaces["secret"], spaces["tools"]], "workspaces": ["ws-a", "ws-b"]},
    )
    integration("a-own", "https://a.example.com", workspace_id="ws-a")
    session().commit()
    refs = plugin.workspace_references("ws-a")
    assert refs.bindings == [("harbor", "secret"), ("harbor", "tools")]
    assert refs.warehouses == ["a-own"] and "2 spaces" in refs.summary
    assert not plugin.workspace_references("ws-c")

    plugin.forget_workspace("ws-a", actor="host")
    assert not plugin.workspace_references("ws-a")
    assert bound(spaces["secret"]) == ["ws-b"]
    event = session().query(AuditEvent).filter_by(action="workspace.forgotten").one()
    assert event.detail == {"bindings": 2, "warehouses": ["a-own"]}


def test_cli_spaces_bind_unbind(app: Flask, spaces: dict[str, int]) -> None:
    runner = app.test_cli_runner()
    bound_out = runner.invoke(args=["mirror", "bind", "harbor", "secret", "ws-a", "ws-b"])
    assert bound_out.exit_code == 0 and "Bound secret to ws-a, ws-b" in bound_out.output
    listed = runner.invoke(args=["mirror", "spaces", "harbor", "--private"]).output
    assert "secret\tprivate\t0 repositories\tws-a, ws-b" in listed
    assert "library" not in listed and "tools\tprivate\t0 repositories\tNo binding" in listed
    unbound = runner.invoke(args=["mirror", "unbind", "harbor", "secret", "ws-a"])
    assert unbound.exit_code == 0 and "now bound to ws-b" in unbound.output
    bad = runner.invoke(args=["mirror", "bind", "harbor", "secret", "nope"])
    assert bad.exit_code == 1 and "Unknown workspaces: nope" in bad.output
    missing = runner.invoke(args=["mirror", "bind", "harbor", "ghost", "ws-a"])
    assert missing.exit_code == 1 and "no space 'ghost'" in missing.output
