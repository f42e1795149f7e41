"""The OpenAPI document describes every JSON route, is valid OpenAPI 3.1, and is served to
signed-in users only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.definitions import OPENAPI_31  # the official 3.1 meta-schema

from mirror_plugin.web.api.openapi import build_document

from .conftest import Api, make_app, world

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
CONVERTER_TYPES = {"int": "integer", "mirror_id": "integer", "default": "string"}
FLASK_PARAMETER = re.compile(r"<(?:(?P<converter>[^:<>]+):)?(?P<name>[^<>]+)>")


def bare_app(**config: Any) -> Flask:
    """The plugin mounted on an app whose database is never touched (the document needs none)."""
    return make_app("sqlite://", world(), **config)


@pytest.fixture(scope="module")
def doc_app() -> Flask:
    return bare_app()


@pytest.fixture(scope="module")
def document(doc_app: Flask) -> dict[str, Any]:
    return build_document(doc_app)


def openapi_path(rule: str) -> str:
    return FLASK_PARAMETER.sub(lambda m: "{" + m["name"] + "}", rule)


def json_routes(app: Flask) -> dict[tuple[str, str], str]:
    """(METHOD, OpenAPI path) -> endpoint, for every /api/ route of the plugin's blueprint."""
    return {
        (method, openapi_path(rule.rule)): rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".", 1)[0] == "mirror_plugin" and "/api/" in rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    }


def described(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def drift(app: Flask, document: dict[str, Any]) -> list[str]:
    """Sentences naming each route without a description and each description without a route."""
    routes = json_routes(app)
    ops = described(document)
    return [
        f"{method} {path} ({routes[method, path]}) is not declared: give its view "
        "@declared(...) (mirror_plugin/web/api/declare.py)"
        for method, path in sorted(set(routes) - ops)
    ] + [
        f"{method} {path} is in the document but no route serves it"
        for method, path in sorted(ops - set(routes))
    ]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield method, path, op


# -- (a) every JSON route is described, and nothing else ------------------------------------


def test_every_json_route_is_described_and_nothing_else(
    doc_app: Flask, document: dict[str, Any]
) -> None:
    problems = drift(doc_app, document)
    assert not problems, "\n".join(problems)
    ops = sum(len(item) for item in document["paths"].values())
    print(f"\nOpenAPI document: {len(document['paths'])} paths, {ops} operations")


def test_drift_names_the_route_and_the_description() -> None:
    app = bare_app()
    app.add_url_rule(
        "/mirror/api/widgets/<int:widget_id>",
        endpoint="mirror_plugin.api_widget",
        view_func=lambda widget_id: "",
        methods=["DELETE"],
    )
    document = build_document(app)
    document["paths"]["/mirror/api/gadgets"] = {"get": {"responses": {}}}
    assert drift(app, document) == [
        "DELETE /mirror/api/widgets/{widget_id} (mirror_plugin.api_widget) is not declared: "
        "give its view @declared(...) (mirror_plugin/web/api/declare.py)",
        "GET /mirror/api/gadgets is in the document but no route serves it",
    ]


def test_paths_follow_the_url_prefix() -> None:
    app = bare_app(MIRROR_URL_PREFIX="/registry")
    document = build_document(app)
    assert all(path.startswith("/registry/api/") for path in document["paths"])
    assert not drift(app, document)


def test_path_parameters_match_the_route_converters(
    doc_app: Flask, document: dict[str, Any]
) -> None:
    for rule in doc_app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] != "mirror_plugin" or "/api/" not in rule.rule:
            continue
        item = document["paths"][openapi_path(rule.rule)]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            declared = {
                p["name"]: p["schema"]["type"]
                for p in item[method.lower()].get("parameters", [])
                if p["in"] == "path"
            }
            expected = {
                m["name"]: CONVERTER_TYPES[m["converter"] or "default"]
                for m in FLASK_PARAMETER.finditer(rule.rule)
            }
            assert declared == expected, f"{method} {rule.rule}"


# -- (b) valid OpenAPI 3.1 --------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    errors = sorted(
        Draft202012Validator(OPENAPI_31).iter_errors(document), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def schemas_in(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON Schema in the document, with where it is."""
    for name, schema in document["components"]["schemas"].items():
        yield f"components/schemas/{name}", schema
    for name, response in document["components"]["responses"].items():
        yield f"components/responses/{name}", response["content"]["application/json"]["schema"]
    for method, path, op in operations(document):
        where = f"{method.upper()} {path}"
        for parameter in op.get("parameters", []):
            yield f"{where} parameter {parameter['name']}", parameter["schema"]
        if "requestBody" in op:
            yield f"{where} body", op["requestBody"]["content"]["application/json"]["schema"]
        for status, response in op["responses"].items():
            for media in response.get("content", {}).values():
                yield f"{where} {status}", media["schema"]


def refs_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for item in value.values():
            yield from refs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs_in(item)


def test_every_schema_is_valid_json_schema(document: dict[str, Any]) -> None:
    checked = 0
    for where, schema in schemas_in(document):
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as exc:  # noqa: BLE001 - reported with where it is
            pytest.fail(f"{where}: {exc}")
        checked += 1
    assert checked > 50


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    for ref in set(refs_in(document)):
        assert ref.startswith("#/"), ref
        node: Any = document
        for part in ref[2:].split("/"):
            assert isinstance(node, dict) and part in node, f"unresolved {ref}"
            node = node[part]


def test_operations_state_auth_and_errors(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    schemes = document["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie"}
    assert schemes["csrf"] == {
        **schemes["csrf"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Mirror-CSRF",
    }
    for method, path, op in operations(document):
        where = f"{method.upper()} {path}"
        unsafe = method in {"post", "put", "patch", "delete"}
        expected = {"session": [], "csrf": []} if unsafe else {"session": []}
        if path.endswith("/pull-secrets"):  # a cluster agent's, with its cluster's token
            expected = {"clusterToken": []}
        assert op["security"] == [expected], where
        assert "401" in op["responses"], where
        if unsafe:
            assert "403" in op["responses"], f"{where}: a wrong CSRF token is a 403"
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response == {"$ref": f"#/components/responses/{status}"}, where


def test_error_schema_matches_what_the_handlers_send(
    doc_app: Flask, document: dict[str, Any]
) -> None:
    validator = Draft202012Validator(
        {**document, "$ref": "#/components/schemas/Error"},  # its $refs resolve in the document
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    api = Api(doc_app.test_client(), doc_app.extensions["mirror_plugin"].host)
    answers = [
        api.as_user(None).get("/api/integrations"),  # 401
        api.as_user("eddie").get("/api/integrations"),  # 403
        api.as_user("eddie").get("/api/check?namespace=prod/b-api&image=x"),  # 404
        api.as_user("eddie").get("/api/check"),  # 400
        api.as_user("eddie").post("/api/filter", {"namespace": "prod/a-web", "images": 1}),  # 422
        api.as_user("eddie").post("/api/filter", {"namespace": "x"}, csrf=False),  # 403 CSRF
    ]
    assert [a.status_code for a in answers] == [401, 403, 404, 400, 422, 403]
    for answer in answers:
        assert answer.is_json
        assert not list(validator.iter_errors(answer.get_json())), answer.get_json()


# -- (c) served to signed-in users ------------------------------------------------------------


def test_served_document_equals_the_built_one(doc_app: Flask, document: dict[str, Any]) -> None:
    api = Api(doc_app.test_client(), doc_app.extensions["mirror_plugin"].host)
    for user in ("vera", "bob", "root"):  # any signed-in user, a viewer included
        answer = api.as_user(user).get("/api/openapi.json")
        assert answer.status_code == 200
        assert answer.mimetype == "application/json"
        assert answer.get_json() == document


def test_document_needs_sign_in(doc_app: Flask) -> None:
    api = Api(doc_app.test_client(), doc_app.extensions["mirror_plugin"].host)
    answer = api.as_user(None).get("/api/openapi.json")
    assert answer.status_code == 401
    assert answer.get_json()["error"]["status"] == 401
