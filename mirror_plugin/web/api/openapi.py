"""The JSON API as an OpenAPI 3.1 document, served at ``{prefix}/api/openapi.json``.

Written by hand from the routes of :mod:`.api`, :mod:`.api_spaces`, :mod:`.api_hook` and
:mod:`.api_picker`: every parameter, body and status code below is one the code checks or
answers. ``tests/test_openapi.py`` fails when a JSON route has no description here (or a
description has no route), and ``tests/test_fuzz.py`` runs schemathesis against the document.

Conventions of the API that the document states once:

- Who the user is comes from the host console's session cookie (the ``session`` scheme).
  Anonymous callers get 401, signed-in users without the right role 403, and an object the
  user may not see is the 404 a missing one gets, so ids and namespaces do not leak.
- Unsafe methods (POST, PUT, PATCH, DELETE) also need the ``X-Mirror-CSRF`` header (the
  ``csrf`` scheme), equal to the session's token; a missing or wrong token is a 403.
- Every error is ``{"error": {"status", "message"}}``, with ``fields`` on a 422 that names
  fields and ``category`` on the 502/504 of a registry that failed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, current_app
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from mirror_plugin.adapter import Role
from mirror_plugin.models import Health, Scope
from mirror_plugin.params import MAX_ID
from mirror_plugin.services import catalogue
from mirror_plugin.services.integrations import KINDS
from mirror_plugin.web.access import require_principal
from mirror_plugin.web.api.declare import DeclaredRoute, declared, declared_operations
from mirror_plugin.web.api.picker import PER_PAGE
from mirror_plugin.web.csrf import HEADER as CSRF_HEADER
from mirror_plugin.web.schemas.openapi import OpenAPI
from mirror_plugin.web.schemas.shared import Error

Schema = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
API_VERSION = "0.1.0"
JSON = "application/json"
UNSAFE_METHODS = ("post", "put", "patch", "delete")
MAX_PAGE = 10**6  # int_arg(..., high=10**6) for every "page" parameter
DESCRIPTION = (
    "Share registry mirror spaces with workspaces and keep deploys to what each workspace "
    "may use. Sign in through the host console; send the X-Mirror-CSRF header (the "
    "session's token) on POST, PUT, PATCH and DELETE. Errors are "
    '{"error": {"status", "message"}}, with "fields" on a 422 that names fields and '
    '"category" on the 502/504 of a registry that failed. An object the caller may not see '
    "answers 404, like one that does not exist."
)

# -- schema helpers -------------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def string(**keywords: Any) -> Schema:
    return {"type": "string", **keywords}


#: Query parameters holding a NUL character are refused with 400 (views._refuse_nul).
NO_NUL = "^[^\\u0000]*$"


def integer(**keywords: Any) -> Schema:
    return {"type": "integer", **keywords}


def boolean(**keywords: Any) -> Schema:
    return {"type": "boolean", **keywords}


def enum(values: Iterable[str], **keywords: Any) -> Schema:
    return {"type": "string", "enum": list(values), **keywords}


def array(items: Schema, **keywords: Any) -> Schema:
    return {"type": "array", "items": items, **keywords}


def nullable(schema: Schema) -> Schema:
    """``schema`` or ``null``."""
    if isinstance(schema.get("type"), str):
        widened = {**schema, "type": [schema["type"], "null"]}
        if "enum" in schema:
            widened["enum"] = [*schema["enum"], None]
        return widened
    return {"anyOf": [schema, {"type": "null"}]}


def record(
    properties: dict[str, Schema], *, optional: Iterable[str] = (), closed: bool = True
) -> Schema:
    """An object with these properties, all required but ``optional``.

    ``closed`` objects have ``additionalProperties: false``: every response body (the code
    builds them field by field) and the request bodies whose unknown fields are refused.
    """
    optional = set(optional)
    schema: Schema = {"type": "object", "properties": properties}
    required = [name for name in properties if name not in optional]
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def timestamp() -> Schema:
    return nullable(string(format="date-time"))


def counts(keys: Iterable[str]) -> Schema:
    return record({key: integer(minimum=0) for key in keys})


# -- parameters -----------------------------------------------------------------------------


def parameter(
    name: str, where: str, schema: Schema, description: str, *, required: bool = False
) -> Schema:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": description,
        "schema": schema,
    }


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    if schema.get("type") == "string":
        if "pattern" in schema:
            schema = {"allOf": [schema, {"pattern": NO_NUL}]}
        else:
            schema = {**schema, "pattern": NO_NUL}
    return parameter(name, "query", schema, description, required=required)


def whole_number(low: int, high: int, default: int) -> Schema:
    """What ``int_arg`` accepts: digits from ``low`` to ``high``, or nothing (the default)."""
    return {
        "anyOf": [integer(minimum=low, maximum=high), string(maxLength=0)],
        "default": default,
    }


def page_parameters(per_page: int, max_per_page: int) -> list[Schema]:
    return [
        query("page", whole_number(1, MAX_PAGE, 1), "Page number (1-based); 400 out of range."),
        query(
            "per_page",
            whole_number(1, max_per_page, per_page),
            f"Items per page, 1 to {max_per_page}; 400 out of range.",
        ),
    ]


SEARCH = query("q", string(), "Case-insensitive text the names must contain (trimmed).")
NOT_BLANK = r"\S"
NAMESPACE = query(
    "namespace",
    string(pattern=NOT_BLANK),
    "Kubernetes namespace id, e.g. cluster-1/team-a (400 when blank; 404 when the caller "
    "may not use it or it does not exist).",
    required=True,
)
INTEGRATION_ID = parameter(
    "integration_id", "path", integer(minimum=0), "Integration (registry) id."
)
REFRESH_GONE = (
    "refresh=1 on this GET is refused with 405 (it used to ask the registry from a GET): "
    "refreshing is the POST to the same URL, with the X-Mirror-CSRF header."
)
PICKER_TAB = query(
    "tab",
    {"anyOf": [enum(catalogue.TABS), string(maxLength=0)]},
    "Only public spaces, private spaces bound to the workspace, or the workspace's own "
    "warehouses (empty: all of them).",
)
SPACE_QUERY_ID = query(
    "space",
    integer(minimum=0),
    "Id of a space the namespace may see (404 otherwise).",
)

# -- request bodies -------------------------------------------------------------------------


def request_body(schema: Schema, description: str) -> Schema:
    return {"required": True, "description": description, "content": {JSON: {"schema": schema}}}


# -- components -----------------------------------------------------------------------------


def _registry_summary() -> Schema:
    return {
        "id": integer(),
        "name": string(),
        "kind": enum(KINDS),
        "host": string(description="host[:port] as image references spell it."),
        "scope": enum(s.value for s in Scope),
        "health": enum(h.value for h in Health),
        "last_error": nullable(string()),
        "age_seconds": nullable(integer(minimum=0, description="Seconds since the last sync.")),
    }


def _schemas() -> dict[str, Schema]:
    workspace_ref = record({"id": string(), "name": string()})
    paging = {
        "total": integer(minimum=0),
        "page": integer(minimum=1),
        "per_page": integer(minimum=1),
        "pages": integer(minimum=1),
    }
    tag = record(
        {
            "tag": nullable(string()),
            "digest": nullable(string()),
            "size": nullable(integer(minimum=0)),
            "push_time": nullable(string()),
            "index": boolean(description="A multi-platform image index."),
            "platforms": array(string()),
            "type": nullable(string()),
            "reference_tag": nullable(string(description="host/repository:tag")),
            "reference_digest": nullable(string(description="host/repository@digest")),
        }
    )
    return {
        "WorkspaceRef": workspace_ref,
        "Faq": record(
            {
                "decision": {"type": "null"},
                "checks": array(ref("Check")),
                "visible": counts(catalogue.TABS),
            }
        ),
        "PickerRegistry": record(_registry_summary()),
        "PickerContext": record(
            {
                "namespace": string(),
                "workspace": nullable(ref("WorkspaceRef")),
                "can_deploy": boolean(
                    description=f"False for a {Role.VIEWER.value}: browse, but not deploy."
                ),
                "notice": nullable(string()),
                "csrf_token": string(
                    description="The session's CSRF token, for the X-Mirror-CSRF header of "
                    "the picker's Refresh (POST)."
                ),
                "registries": array(
                    record({**_registry_summary(), "spaces": counts(catalogue.TABS)})
                ),
            }
        ),
        "PickerSpacePage": record(
            {
                **paging,
                "items": array(
                    record(
                        {
                            "id": integer(),
                            "name": string(),
                            "public": boolean(),
                            "repo_count": integer(minimum=0),
                            "access": enum(["public", "bound", "warehouse"]),
                            "registry": ref("PickerRegistry"),
                        }
                    )
                ),
            }
        ),
        "PickerRepositoryPage": record(
            {
                **paging,
                "error": nullable(
                    string(
                        description="The registry's failure on a refresh (POST); one "
                        "generic sentence for anyone but the platform Admin."
                    )
                ),
                "items": array(
                    record(
                        {
                            "name": string(),
                            "space_id": integer(),
                            "space": string(),
                            "short_name": string(),
                            "artifact_count": nullable(integer(minimum=0)),
                            "registry": ref("PickerRegistry"),
                            "image": string(description="host/repository, ready for a tag."),
                        }
                    )
                ),
            }
        ),
        "PickerTags": record(
            {
                "items": array(tag),
                "stale": boolean(description="Served from the cache after a registry failure."),
                "error": nullable(string()),
                "age_seconds": nullable(integer(minimum=0)),
                "image": string(),
                "registry": ref("PickerRegistry"),
            }
        ),
        "PickerFaq": {"anyOf": [ref("Explanation"), ref("Faq")]},
    }


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


# -- operations -----------------------------------------------------------------------------


def operation(
    operation_id: str,
    summary: str,
    tag: str,
    *,
    ok: tuple[int, str],
    errors: Iterable[int],
    parameters: Iterable[Schema] = (),
    body: Schema | None = None,
    description: str | None = None,
) -> Schema:
    """One operation; 400 (a NUL character in a query parameter), 401 and 503 (the database
    cannot be reached) are always possible, the other ``errors`` are listed per route."""
    status, schema_name = ok
    success_text = {200: "OK", 201: "Created", 202: "Accepted"}[status]
    op: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": {
            str(status): {
                "description": success_text,
                "content": {JSON: {"schema": ref(schema_name)}},
            },
            **{
                str(code): {"$ref": f"#/components/responses/{code}"}
                for code in sorted({400, 401, 503, *errors})
            },
        },
    }
    if description:
        op["description"] = description
    parameters = list(parameters)
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    return op


def _picker_refresh_operation(tag: str) -> Schema:
    """200 with the refreshed page when the refresh job finished within MIRROR_REFRESH_WAIT,
    else 202 with the job to poll."""
    op = operation(
        "pickerRefreshRepositories",
        "Refresh: list a space's repositories from the registry again",
        tag,
        ok=(200, "PickerRepositoryPage"),
        errors=(400, 403, 404, 429, 503),
        description="The parameters are the GET's, in the query string; counts against "
        "the caller's registry limit. A registry failure keeps the stored list and "
        "says so in 'error'. The refresh is a job (one per space): past MIRROR_REFRESH_WAIT "
        "the answer is 202 with the job; poll GET /api/jobs/{job_id}?namespace=..., then "
        "GET the list.",
        parameters=[
            NAMESPACE,
            {**SPACE_QUERY_ID, "required": True},
            SEARCH,
            *page_parameters(PER_PAGE, 100),
        ],
    )
    op["responses"]["202"] = {
        "description": "The registry is slow: the refresh job, still running (Location: its "
        "status URL).",
        "content": {JSON: {"schema": ref("Job")}},
    }
    return op


def _paths(api: str) -> dict[str, dict[str, Schema]]:
    picker = "Select Image"
    tag_parameters = [
        NAMESPACE,
        {**SPACE_QUERY_ID, "required": True},
        query(
            "repository",
            string(),
            "Full repository name in that space (404 when unknown).",
            required=True,
        ),
        query("q", string(), "Text the tag must contain."),
    ]
    return {
        # -- Select Image picker ---------------------------------------------------------------
        f"{api}/picker/context": {
            "get": operation(
                "pickerContext",
                "The namespace's workspace, whether the user may deploy, and its registries",
                picker,
                ok=(200, "PickerContext"),
                errors=(400, 404),
                parameters=[NAMESPACE],
            ),
        },
        f"{api}/picker/spaces": {
            "get": operation(
                "pickerSpaces",
                "The spaces the namespace may see",
                picker,
                ok=(200, "PickerSpacePage"),
                errors=(400, 404),
                parameters=[
                    NAMESPACE,
                    PICKER_TAB,
                    query(
                        "registry",
                        {"anyOf": [integer(minimum=1, maximum=MAX_ID), string(maxLength=0)]},
                        "Only this registry's spaces (400 unless a registry id).",
                    ),
                    SEARCH,
                    *page_parameters(PER_PAGE, 100),
                ],
            ),
        },
        f"{api}/picker/repositories": {
            "get": operation(
                "pickerRepositories",
                "A space's repositories, or a search across every visible space",
                picker,
                ok=(200, "PickerRepositoryPage"),
                errors=(400, 404, 405),
                description=REFRESH_GONE,
                parameters=[
                    NAMESPACE,
                    {**SPACE_QUERY_ID, "description": "Only this space (404 unless visible)."},
                    {**PICKER_TAB, "description": "Without space: " + PICKER_TAB["description"]},
                    SEARCH,
                    *page_parameters(PER_PAGE, 100),
                ],
            ),
            "post": _picker_refresh_operation(picker),
        },
        f"{api}/picker/tags": {
            "get": operation(
                "pickerTags",
                "A repository's tags, from the shared cache or the registry",
                picker,
                ok=(200, "PickerTags"),
                errors=(400, 404, 405, 429, 503),
                description="Asking the registry (the cache is stale) counts against the "
                "caller's registry limit; a cache hit does not. " + REFRESH_GONE,
                parameters=tag_parameters,
            ),
            "post": operation(
                "pickerRefreshTags",
                "Refresh: a repository's tags from the registry now",
                picker,
                ok=(200, "PickerTags"),
                errors=(400, 403, 404, 429, 503),
                description="The parameters are the GET's, in the query string; counts against "
                "the caller's registry limit.",
                parameters=tag_parameters,
            ),
        },
        f"{api}/picker/faq": {
            "get": operation(
                "pickerFaq",
                "Can't find your image? The FAQ checks for the namespace (and an image)",
                picker,
                ok=(200, "PickerFaq"),
                errors=(400, 404),
                parameters=[
                    NAMESPACE,
                    query("image", string(), "An image to explain (trimmed; optional)."),
                ],
            ),
        },
    }


# -- operations declared by their models (web/api/declare.py) ----------------------------------

REF = "#/components/schemas/{model}"
#: A path parameter's schema by the route's converter: ``mirror_id`` takes any ASCII number
#: (an id out of range is the 404 an unknown one gets), the default converter one segment.
CONVERTER_SCHEMAS: dict[str, Schema] = {
    "mirror_id": integer(minimum=0),
    "int": integer(minimum=0),
    "default": string(minLength=1, pattern="^[^/]+$"),
}


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
        parameter(
            name,
            "path",
            found.path_schemas.get(name, CONVERTER_SCHEMAS[converter]),
            found.path.get(name, name),
        )
        for name, converter in route.converters.items()
    ]
    if found.query is not None:
        parameters += _query_parameters(found.query)
    body = None
    if found.body is not None:
        body = request_body(ref(found.body.__name__), found.body_description)
    statuses = list(found.answers.items())
    first_status, first_model = statuses[0]
    op = operation(
        found.operation_id,
        found.summary,
        found.tag,
        ok=(first_status, first_model.__name__),
        errors=found.errors,
        parameters=parameters,
        body=body,
        description=found.description,
    )
    for status, model in statuses:
        answer: Schema = {
            "description": {200: "OK", 201: "Created", 202: "Accepted"}[status],
            "content": {JSON: {"schema": ref(model.__name__)}},
        }
        if found.headers:
            answer["headers"] = {
                name: {"description": text, "schema": string()}
                for name, text in found.headers.items()
            }
        op["responses"][str(status)] = answer
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

    A fresh copy each time: callers may change it without touching the shared parameters.
    """
    prefix = app.config["MIRROR_URL_PREFIX"].rstrip("/")
    paths = _paths(f"{prefix}/api")
    for item in paths.values():
        for method, op in item.items():
            op["security"] = [
                {"session": [], "csrf": []} if method in UNSAFE_METHODS else {"session": []}
            ]
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
            "schemas": {**_schemas(), **_declared_models(routes)},
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
