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


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/check?image=nginx", "Give the namespace, e.g. namespace=cluster-1/team-a."),
        (
            "/api/check?namespace=%20%20&image=nginx",
            "Give the namespace, e.g. namespace=cluster-1/team-a.",
        ),
        (
            "/api/explain?namespace=prod/a-web&image=",
            "Give the image reference, e.g. image=harbor.example.com/app:1.",
        ),
        (
            "/api/check?namespace=prod/a-web&image=" + "a" * 4097,
            "The image reference is longer than 4096 characters.",
        ),
    ],
)
def test_bad_queries_say_what_to_send(api: Api, platform: None, path: str, message: str) -> None:
    response = api.as_user("eddie").get(path)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"status": 400, "message": message}}


def test_a_long_image_is_refused_in_the_readers_language(api: Api, platform: None) -> None:
    api.as_user("eddie")
    response = api.client.get(
        "/mirror/api/check?namespace=prod/a-web&image=" + "a" * 4097,
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "4096" in message and message != "The image reference is longer than 4096 characters."


@pytest.mark.parametrize(
    ("body", "status", "message", "fields"),
    [
        ([], 400, "Send a JSON object with 'namespace' and 'images'.", None),
        # The namespace is a 400 even inside the body, and is said before the images.
        (
            {"namespace": 7, "images": "x"},
            400,
            "Give the namespace, e.g. namespace=cluster-1/team-a.",
            None,
        ),
        (
            {"namespace": " ", "images": []},
            400,
            "Give the namespace, e.g. namespace=cluster-1/team-a.",
            None,
        ),
        (
            {"namespace": "prod/a-web", "images": ["nginx", 1]},
            422,
            "'images' must be a list of image references (strings).",
            {"images": "'images' must be a list of image references (strings)."},
        ),
    ],
)
def test_bad_filter_bodies_say_what_to_send(
    api: Api, platform: None, body: object, status: int, message: str, fields: object
) -> None:
    error = api.as_user("eddie").post("/api/filter", body).get_json()["error"]
    assert error == {"status": status, "message": message, **({"fields": fields} if fields else {})}


def test_who_may_call_comes_before_what_was_asked(api: Api, platform: None) -> None:
    """Signed out, a malformed call is the 401 a well-formed one gets."""
    api.as_user(None)
    assert api.get("/api/check?image=nginx").status_code == 401
    assert api.post("/api/filter", {"namespace": 7}).status_code == 401
