"""check, filter and explain over HTTP: answers, scope and bad input."""

from __future__ import annotations

import pytest
from flask import Flask

from .conftest import Api
from .factories import integration, session, space


@pytest.fixture
def platform(app: Flask) -> None:
    harbor = integration("harbor", "https://harbor.example.com")
    space(harbor, "library", public=True)
    space(harbor, "secret", bound=("ws-a",))
    session().commit()


def test_check_and_explain(api: Api, platform: None) -> None:
    api.as_user("eddie")
    allowed = api.get("/api/check?namespace=prod/a-web&image=harbor.example.com/secret/app:1")
    assert allowed.status_code == 200
    assert allowed.get_json()["allowed"] is True
    assert allowed.get_json()["reason"] == "bound_to_workspace"
    sandbox = api.get("/api/explain?namespace=dev/sandbox&image=harbor.example.com/secret/app:1")
    body = sandbox.get_json()
    assert body["decision"]["reason"] == "namespace_not_in_workspace"
    assert body["checks"][1]["question"] == "Is the Kubernetes namespace bound to a workspace?"
    invalid = api.get("/api/check?namespace=prod/a-web&image=harbor.example.com/UPPER/app")
    assert invalid.status_code == 200 and invalid.get_json()["reason"] == "invalid_reference"


def test_filter(api: Api, platform: None) -> None:
    api.as_user("bob")
    result = api.post(
        "/api/filter",
        {
            "namespace": "prod/b-api",
            "images": ["harbor.example.com/library/nginx:1", "harbor.example.com/secret/app:1"],
        },
    ).get_json()
    assert result["allowed"] == ["harbor.example.com/library/nginx:1"]
    assert result["denied"][0]["reason"] == "space_not_bound"


def test_scope_cannot_be_widened(api: Api, platform: None) -> None:
    api.as_user("bob")
    other = api.get("/api/check?namespace=prod/a-web&image=harbor.example.com/secret/app:1")
    unknown = api.get("/api/check?namespace=no/such&image=harbor.example.com/secret/app:1")
    assert other.status_code == unknown.status_code == 404
    assert other.get_json()["error"]["message"].startswith("You have no namespace")
    assert api.post("/api/filter", {"namespace": "prod/a-web", "images": []}).status_code == 404
    assert api.as_user(None).get("/api/check?namespace=dev/sandbox&image=x").status_code == 401


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/check?image=nginx", 400),
        ("/api/check?namespace=prod/a-web", 400),
        ("/api/check?namespace=&image=nginx", 400),
        ("/api/check?namespace=prod/a-web&image=" + "a" * 5000, 400),
        ("/api/explain?namespace=prod/a-web", 400),
    ],
)
def test_bad_queries(api: Api, platform: None, path: str, status: int) -> None:
    response = api.as_user("eddie").get(path)
    assert response.status_code == status and response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ([], 400),
        ({"namespace": "prod/a-web"}, 422),
        ({"namespace": "prod/a-web", "images": "nginx"}, 422),
        ({"namespace": "prod/a-web", "images": [1, 2]}, 422),
        ({"namespace": "prod/a-web", "images": ["nginx"] * 1001}, 422),
        ({"namespace": 7, "images": []}, 400),
    ],
)
def test_bad_filter_bodies(api: Api, platform: None, body: object, status: int) -> None:
    response = api.as_user("eddie").post("/api/filter", body)
    assert response.status_code == status, response.get_json()


def test_filter_caps_images_per_call_by_config(app: Flask, api: Api, platform: None) -> None:
    """Each image is a decision: MIRROR_FILTER_MAX_IMAGES bounds one call, with a 422 that
    says the limit and how many were sent."""
    app.config["MIRROR_FILTER_MAX_IMAGES"] = 3
    api.as_user("eddie")
    images = ["harbor.example.com/library/nginx:1"] * 3
    assert api.post("/api/filter", {"namespace": "prod/a-web", "images": images}).status_code == 200
    over = api.post("/api/filter", {"namespace": "prod/a-web", "images": [*images, "busybox"]})
    assert over.status_code == 422
    message = over.get_json()["error"]["message"]
    assert message.startswith("Send at most 3 images per request (4 sent)")
