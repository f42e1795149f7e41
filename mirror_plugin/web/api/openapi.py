"""The JSON API as an OpenAPI 3.1 document, served at ``{prefix}/api/openapi.json``.

Nothing here describes a route: every operation, parameter, body and answer comes from the
routes' declarations (``@declared`` in :mod:`.declare`, models in ``web/schemas/``), read back
from the app's URL map as mounted. This module only frames them in the API's conventions,
which the document states once:

- Who the user is comes from the host console's session cookie (the ``session`` scheme).
  Anonymous callers get 401, signed-in users without the right role 403, and an object the
  user may not see is the 404 a missing one gets, so ids and namespaces do not leak. A
  cluster agent's route names its own scheme (``clusterToken``).
- Unsafe methods (POST, PUT, PATCH, DELETE) also need the ``X-Mirror-CSRF`` header (the
  ``csrf`` scheme), equal to the session's token; a missing or wrong token is a 403.
- Every error is ``{"error": {"status", "message"}}``, with ``fields`` on a 422 that names
  fields and ``category`` on the 502/504 of a registry that failed: one ``Error`` model, and
  one shared response per status (``components/responses``).

``tests/test_openapi.py`` checks the document (3.1 meta-schema, every route described, refs
resolve, conventions) and ``tests/test_fuzz.py`` runs schemathesis against it.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Flask, current_app
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from mirror_plugin.web.access import require_principal
from mirror_plugin.web.api.declare import DeclaredRoute, declared, declared_operations
from mirror_plugin.web.csrf import HEADER as CSRF_HEADER
from mirror_plugin.web.schemas.openapi import OpenAPI
from mirror_plugin.web.schemas.shared import Error

Schema = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
API_VERSION = "0.1.0"
JSON = "application/json"
UNSAFE_METHODS = ("post", "put", "patch", "delete")
REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "Share registry mirror spaces with workspaces and keep deploys to what each workspace "
    "may use. Sign in through the host console; send the X-Mirror-CSRF header (the "
    "session's token) on POST, PUT, PATCH and DELETE. Errors are "
    '{"error": {"status", "message"}}, with "fields" on a 422 that names fields and '
    '"category" on the 502/504 of a registry that failed. An object the caller may not see '
    "answers 404, like one that does not exist."
)
#: A path parameter's schema by the route's converter: ``mirror_id`` takes any ASCII number
#: (an id out of range is the 404 an unknown one gets), the default converter one segment.
CONVERTER_SCHEMAS: dict[str, Schema] = {
    "mirror_id": {"type": "integer", "minimum": 0},
    "int": {"type": "integer", "minimum": 0},
    "default": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
}
SUCCESS = {200: "OK", 201: "Created", 202: "Accepted"}


def ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


ERRORS: dict[int, str] = {
    400: "Malformed request: not a JSON object, a query parameter out of range, or a NUL "
    "character in a query or form parameter.",
    401: "Not signed in.",
    403: "Signed in without the role this needs, or (unsafe methods) the CSRF token is "
    "missing or wrong.",
    404: "No such object, or one the caller may not see (the same answer).",
    409: "Conflicts with existing data.",
    422: "Invalid input; 'fields' names the fields to fix when the message does not.",
    405: "refresh=1 on a GET: send POST to refresh from the registry.",
    429: "Too many calls that reach a registry (MIRROR_REGISTRY_CALLS_PER_MINUTE) or "
    "connection tests (MIRROR_TEST_CONNECTION_PER_MINUTE) for this user in the last minute.",
    503: "The console's database cannot be reached (a failover or restart: try again in a "
    "moment), or the rate-limit storage cannot be reached, so no registry is contacted.",
    502: "The registry failed or refused; 'category' says how (for anyone but the platform "
    "Admin: 'unreachable', or the credentials' category).",
    504: "The registry did not answer in time (platform Admin; others get 502).",
}


def _responses() -> dict[str, Schema]:
    return {
        str(status): {"description": text, "content": {JSON: {"schema": ref("Error")}}}
        for status, text in ERRORS.items()
    }


# -- operations declared by their models (web/api/declare.py) ----------------------------------


def _untitled(schema: Any) -> Any:
    """pydantic's JSON Schema without the "title" it gives every model and field."""
    if isinstance(schema, dict):
        return {
            k: _untitled(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_untitled(v) for v in schema]
    return schema


def _query_parameters(model: type[BaseModel]) -> list[Schema]:
    schema = _untitled(model.model_json_schema(ref_template=REF))
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": prop.get("description", ""),
            "schema": {k: v for k, v in prop.items() if k != "description"},
        }
        for name, prop in schema["properties"].items()
    ]


def _declared_operation(route: DeclaredRoute) -> Schema:
    """A route declared by its models, in this document's conventions."""
    found = route.declaration
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": found.path.get(name, name),
            "schema": found.path_schemas.get(name, CONVERTER_SCHEMAS[converter]),
        }
        for name, converter in route.converters.items()
    ]
    if found.query is not None:
        parameters += _query_parameters(found.query)
    body = None
    if found.body is not None:
        body = {
            "required": True,
            "description": found.body_description,
            "content": {JSON: {"schema": ref(found.body.__name__)}},
        }
    headers = {
        name: {"description": text, "schema": {"type": "string"}}
        for name, text in found.headers.items()
    }
    responses: Schema = {
        str(status): {
            "description": SUCCESS[status],
            "content": {JSON: {"schema": ref(model.__name__)}},
            **({"headers": headers} if headers else {}),
        }
        for status, model in found.answers.items()
    }
    # 400 (a NUL character in a query parameter), 401 and 503 (the database cannot be
    # reached) are always possible; the route lists its other errors.
    for code in sorted({400, 401, 503, *found.errors}):
        responses[str(code)] = {"$ref": f"#/components/responses/{code}"}
    op: Schema = {
        "operationId": found.operation_id,
        "summary": found.summary,
        "tags": [found.tag],
        "responses": responses,
    }
    if found.description:
        op["description"] = found.description
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    if found.security:
        op["security"] = [{found.security: []}]
    return op


def _declared_models(routes: list[DeclaredRoute]) -> dict[str, Schema]:
    """The component schemas of every model the declared routes answer or read."""
    models: set[tuple[type[BaseModel], JsonSchemaMode]] = {(Error, "serialization")}
    for route in routes:
        models.update((model, "serialization") for model in route.declaration.answers.values())
        if route.declaration.body is not None:
            models.add((route.declaration.body, "validation"))
    _, schema = models_json_schema(
        sorted(models, key=lambda m: (m[0].__name__, m[1])), ref_template=REF
    )
    defs: dict[str, Schema] = _untitled(schema.get("$defs", {}))
    return defs


def build_document(app: Flask) -> Schema:
    """The OpenAPI 3.1 document of the plugin's JSON API as mounted on ``app``.

    A fresh copy each time: callers may change it without touching another's.
    """
    prefix = app.config["MIRROR_URL_PREFIX"].rstrip("/")
    paths: dict[str, dict[str, Schema]] = {}
    routes = [
        route for route in declared_operations(app) if route.path.startswith(f"{prefix}/api/")
    ]
    for route in routes:
        op = _declared_operation(route)
        op.setdefault(
            "security",
            [{"session": [], "csrf": []} if route.method in UNSAFE_METHODS else {"session": []}],
        )
        paths.setdefault(route.path, {})[route.method] = op
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Mirror Warehouse API",
            "version": API_VERSION,
            "description": DESCRIPTION,
        },
        "paths": paths,
        "components": {
            "schemas": _declared_models(routes),
            "responses": _responses(),
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": app.config.get("SESSION_COOKIE_NAME") or "session",
                    "description": "The host console's session: the host says who the user is.",
                },
                "clusterToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A registered cluster's token (flask mirror cluster add).",
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": CSRF_HEADER,
                    "description": "The session's CSRF token, required on POST, PUT, PATCH "
                    "and DELETE (403 when missing or wrong).",
                },
            },
        },
    }
    return copy.deepcopy(document)


@declared("getOpenApi", summary="This document", tag="Meta", gate=require_principal, ok=OpenAPI)
def api_openapi() -> OpenAPI:
    """This API's OpenAPI document, for any signed-in user."""
    return OpenAPI.model_validate(build_document(current_app))


def register(bp: Blueprint) -> None:
    """The OpenAPI document."""
    bp.add_url_rule("/api/openapi.json", view_func=api_openapi, methods=["GET"])
