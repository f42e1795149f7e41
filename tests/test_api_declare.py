"""The JSON API declared by its models (web/api/declare.py, web/schemas/): a refused request
keeps the API's error shape, in the reader's language; query numbers follow the plugin's own
rule; every field a caller can get wrong has a sentence of ours."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from pydantic import BaseModel

from mirror_plugin.web.api.declare import declared_operations
from mirror_plugin.web.schemas.base import (
    PageNumber,
    RequestRefused,
    parse_query,
    refusal_of,
)

from .conftest import Api
from .factories import integration, session, space

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def space_id(app: Flask) -> int:
    made = space(integration("harbor", "http://127.0.0.1:9"), "secret").id
    session().commit()
    return made


def post_bindings(api: Api, body: Any, **headers: str) -> Any:
    return api.client.post(
        "/mirror/api/bindings",
        json=body,
        headers={"X-Mirror-CSRF": api.TOKEN, **headers},
    )


def test_a_refused_body_names_every_wrong_field(api: Api, space_id: int) -> None:
    api.as_user("root")
    answer = post_bindings(api, {"spaces": [space_id], "workspaces": "ws-a", "action": "maybe"})
    assert answer.status_code == 422
    assert answer.get_json() == {
        "error": {
            "status": 422,
            "message": "'action' must be bind or unbind.",
            "fields": {
                "action": "'action' must be bind or unbind.",
                "workspaces": "'workspaces' must be a list of str ids.",
            },
        }
    }


def test_a_refused_body_is_said_in_the_readers_language(api: Api, space_id: int) -> None:
    api.as_user("root")
    answer = post_bindings(api, {"spaces": ["1"], "workspaces": ["ws-a"]}, **ZH)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["message"] == error["fields"]["spaces"]
    assert "spaces" in error["message"]
    assert error["message"] != "'spaces' must be a list of int ids."  # translated


@pytest.mark.parametrize("body", [[1, 2], None, "spaces", 5])
def test_a_body_that_is_not_an_object_is_a_400(api: Api, space_id: int, body: Any) -> None:
    api.as_user("root")
    answer = post_bindings(api, body)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == {
        "status": 400,
        "message": "Send a JSON object (Content-Type: application/json).",
    }


def test_strict_bodies_take_no_strings_or_booleans_for_ids(api: Api, space_id: int) -> None:
    api.as_user("root")
    for spaces in (["1"], [True], [1.0], [0]):
        answer = post_bindings(api, {"spaces": spaces, "workspaces": ["ws-a"]})
        assert answer.status_code == 422, spaces
        assert list(answer.get_json()["error"]["fields"]) == ["spaces"]


def test_who_may_call_is_answered_before_what_was_sent(api: Api, space_id: int) -> None:
    """The gate runs first: a signed-out or unprivileged caller learns nothing of the body."""
    assert post_bindings(api.as_user(None), {"spaces": "x"}).status_code == 401
    assert post_bindings(api.as_user("eddie"), {"spaces": "x"}).status_code == 403


class Paged(BaseModel):
    page: PageNumber = 1


@pytest.mark.parametrize("raw", [" 5", "+5", "5_000", "5.0", "²", "-1", "0", "1000001", "x"])
def test_query_numbers_are_ascii_digits_in_range(app: Flask, raw: str) -> None:
    with app.test_request_context():
        with pytest.raises(RequestRefused) as refused:
            parse_query(Paged, {"page": raw})
    assert refused.value.code == 400
    assert refused.value.description == "'page' must be a whole number from 1 to 1000000."
    assert refused.value.fields is None


def test_an_empty_query_number_is_the_default(app: Flask) -> None:
    assert parse_query(Paged, {"page": ""}).page == 1
    assert parse_query(Paged, {"page": "7", "other": "ignored"}).page == 7


def test_every_request_field_has_a_sentence_of_ours(app: Flask) -> None:
    """pydantic's own messages are English only: a field a caller can get wrong must carry a
    Refusal (a msgid of our catalogue)."""
    missing = []
    for route in declared_operations(app):
        for model in (route.declaration.query, route.declaration.body):
            if model is None:
                continue
            missing += [
                f"{route.declaration.operation_id}: {model.__name__}.{name}"
                for name in model.model_fields
                if refusal_of(model, name) is None
            ]
    assert not missing, "fields without a Refusal:\n" + "\n".join(missing)
