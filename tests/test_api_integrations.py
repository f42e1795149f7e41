"""The registries' JSON API refuses what it cannot use in its own words, field by field, and
says who may call before it looks at what was sent. (Connecting, testing and syncing real
registries is in test_docker_integration.py and test_harbor_integration.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import Integration

from .conftest import Api
from .factories import integration, session

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def refused_fields(answer: Any) -> dict[str, str]:
    assert answer.status_code == 422, answer.get_json()
    fields: dict[str, str] = answer.get_json()["error"]["fields"]
    return fields


@pytest.mark.parametrize(
    "path", ["/api/integrations", "/api/integrations/test", "/api/workspaces/ws-a/integrations"]
)
def test_a_new_registry_needs_a_name_a_kind_and_a_url(app: Flask, api: Api, path: str) -> None:
    api.as_user("root" if "workspaces" not in path else "alice")
    fields = refused_fields(api.post(path, {"name": "", "kind": None, "username": "u"}))
    assert fields == {key: "This field is required." for key in ("name", "kind", "url")}
    assert session().query(Integration).count() == 0


def test_the_missing_fields_are_said_in_the_readers_language(app: Flask, api: Api) -> None:
    api.as_user("root")
    answer = api.client.post(
        "/mirror/api/integrations", json={}, headers={"X-Mirror-CSRF": api.TOKEN, **ZH}
    )
    assert refused_fields(answer) == {key: "此字段为必填项。" for key in ("name", "kind", "url")}


def test_unknown_and_mistyped_fields_are_each_named(app: Flask, api: Api) -> None:
    api.as_user("root")
    sent = {
        "name": "dist",
        "kind": "quay",
        "url": 5,
        "verify_tls": "yes",
        "aliases": "harbor.corp",
        "colour": "red",
        "size": 1,
    }
    assert refused_fields(api.post("/api/integrations", sent)) == {
        "colour": "Unknown fields: colour, size.",
        "size": "Unknown fields: colour, size.",
        "kind": "Choose Harbor or Docker Registry.",
        "url": "url must be a str.",
        "verify_tls": "verify_tls must be a bool.",
        "aliases": "aliases must be a list of strings (host[:port]).",
    }
    assert session().query(Integration).count() == 0


def test_a_change_is_checked_like_a_new_registry_but_needs_nothing(app: Flask, api: Api) -> None:
    row_id = integration("dist", "http://127.0.0.1:9", kind="docker").id
    session().commit()
    api.as_user("root")
    fields = refused_fields(api.patch(f"/api/integrations/{row_id}", {"password": 1, "id": 2}))
    assert fields == {"id": "Unknown fields: id.", "password": "password must be a str."}
    assert api.patch(f"/api/integrations/{row_id}", [1]).status_code == 400
    session().expire_all()
    assert session().get(Integration, row_id).name == "dist"


def test_who_may_change_a_registry_is_answered_before_what_was_sent(app: Flask, api: Api) -> None:
    platform = integration("dist", "http://127.0.0.1:9", kind="docker").id
    session().commit()
    bad = {"name": 1, "colour": "red"}
    assert api.as_user(None).post("/api/integrations", bad).status_code == 401
    assert api.as_user("alice").post("/api/integrations", bad).status_code == 403
    assert api.as_user("alice").post("/api/integrations/test", bad).status_code == 403
    assert api.as_user("bob").post("/api/workspaces/ws-a/integrations", bad).status_code == 404
    assert api.as_user("eddie").post("/api/workspaces/ws-a/integrations", bad).status_code == 403
    assert api.as_user("bob").post("/api/workspaces/ws-a/integrations/test", bad).status_code == 404
    assert api.as_user("alice").patch(f"/api/integrations/{platform}", bad).status_code == 404
