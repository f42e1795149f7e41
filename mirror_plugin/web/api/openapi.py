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

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from mirror_plugin.models import Health, Scope
from mirror_plugin.models.jobs import JobStatus
from mirror_plugin.policy.rule import CheckStatus, Reason
from mirror_plugin.registry.errors import Category
from mirror_plugin.services import spaces
from mirror_plugin.services.integrations import KINDS
from mirror_plugin.web.access import require_principal
from mirror_plugin.web.api.declare import DeclaredRoute, declared_operations
from mirror_plugin.web.api.hook import MAX_FILTER_IMAGES
from mirror_plugin.web.csrf import HEADER as CSRF_HEADER
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
JOB_ID = parameter("job_id", "path", integer(minimum=0), "Background job id.")
SPACE_ID = parameter("space_id", "path", integer(minimum=0), "Mirror space id.")
WORKSPACE_ID = parameter(
    "workspace_id",
    "path",
    string(minLength=1, pattern="^[^/]+$"),
    "Host workspace id (404 when the caller has no role in it or it does not exist).",
)
# -- request bodies -------------------------------------------------------------------------

CLUSTER_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"  # admission.clusters.DNS_LABEL
NAME_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{0,99}\s*$"  # integrations.NAME_PATTERN, trimmed
HARBOR_PROJECT = r"^\s*[a-z0-9]+(?:[._-][a-z0-9]+)*\s*$"  # spaces.HARBOR_PROJECT_NAME, trimmed


def integration_input(*, creating: bool) -> Schema:
    """api._body() and input_from(): known fields only, each of its type or null.

    Creating (and testing unsaved values) needs name, kind and url; an update keeps what a
    field left out or null had. The registry is asked before anything is saved, so a URL it
    does not answer at, or credentials it refuses, are a 422 naming ``url`` or ``password``.
    """
    name = string(pattern=NAME_PATTERN, description="1 to 100 letters, digits, '.', '_', '-'.")
    kind = enum(KINDS, description="harbor or docker (a Docker Registry).")
    url = string(
        minLength=1,
        description="https://host[:port], no path (plain http only inside allow-listed "
        "networks); 422 when invalid or the registry does not answer.",
    )
    properties: dict[str, Schema] = {
        "name": name if creating else nullable(name),
        "kind": kind if creating else nullable(kind),
        "url": url if creating else nullable(url),
        "username": nullable(string(maxLength=255)),
        "password": nullable(
            string(description="Write-only. Required with a username (or a changed URL).")
        ),
        "verify_tls": nullable(boolean()),
        "ca_bundle": nullable(string(description="PEM certificates to trust.")),
        "description": nullable(string(maxLength=2000)),
        "share_pull_credentials": nullable(
            boolean(
                description="Platform Docker Registry only: put its credentials into the pull "
                "secrets of bound workspaces' namespaces. They reach the whole registry."
            )
        ),
        "aliases": nullable(
            array(
                string(maxLength=300),
                maxItems=20,
                description="Other host[:port] names images use for this registry; the rule "
                "judges them as this registry. Omitted or null keeps the stored ones.",
            )
        ),
    }
    required = ("name", "kind", "url") if creating else ()
    return record(properties, optional=set(properties) - set(required))


def request_body(schema: Schema, description: str) -> Schema:
    return {"required": True, "description": description, "content": {JSON: {"schema": schema}}}


# -- components -----------------------------------------------------------------------------


def _integration() -> dict[str, Schema]:
    return {
        "id": integer(),
        "name": string(),
        "kind": enum(KINDS),
        "scope": enum(s.value for s in Scope),
        "workspace_id": nullable(string(description="The owning workspace (warehouses).")),
        "url": string(),
        "registry_host": string(),
        "aliases": array(string(), description="Other names, as canonical host[:port] keys."),
        "addresses": array(
            string(), description="Addresses the host resolved to at the last save or sync."
        ),
        "username": string(),
        "has_password": boolean(),
        "verify_tls": boolean(),
        "has_ca_bundle": boolean(),
        "description": string(),
        "share_pull_credentials": boolean(),
        "health": enum(h.value for h in Health),
        "last_error": nullable(string()),
        "last_checked_at": timestamp(),
        "last_synced_at": timestamp(),
        "spaces": integer(minimum=0),
        "repositories": integer(minimum=0),
    }


def _schemas() -> dict[str, Schema]:
    sync_report: dict[str, Schema] = {
        "total": integer(minimum=0),
        "added": array(string()),
        "removed": array(string()),
        "updated": array(string()),
        "unbound_workspaces": array(string()),
        "skipped_spaces": integer(minimum=0),
        "skipped_repositories": integer(minimum=0),
    }
    workspace_ref = record({"id": string(), "name": string()})
    paging = {
        "total": integer(minimum=0),
        "page": integer(minimum=1),
        "per_page": integer(minimum=1),
        "pages": integer(minimum=1),
    }
    decision = record(
        {
            "allowed": boolean(),
            "reason": enum(r.value for r in Reason),
            "message": string(),
            "image": string(),
            "namespace": string(),
            "workspace_id": nullable(string()),
            "registry": nullable(string()),
            "space": nullable(string()),
        }
    )
    check = record(
        {
            "key": string(),
            "question": string(),
            "status": enum(s.value for s in CheckStatus),
            "answer": string(),
        }
    )
    space = record(
        {
            "id": integer(),
            "name": string(),
            "public": boolean(),
            "repo_count": integer(minimum=0),
            "synced_at": timestamp(),
            "workspaces": array(ref("WorkspaceRef")),
        }
    )
    return {
        "WorkspaceRef": workspace_ref,
        "WorkspaceList": record({"items": array(workspace_ref)}),
        "Integration": record(_integration()),
        "IntegrationList": record({"items": array(ref("Integration"))}),
        "IntegrationCreated": record(
            {
                **_integration(),
                "sync": record({"ok": boolean(), "message": string()}),
            }
        ),
        "IntegrationDeleted": record(
            {
                "deleted": integer(),
                "bindings_removed": integer(minimum=0),
                # A platform Harbor's pull robots: deleted, and left to delete by hand.
                "pull_robots": record(
                    {
                        "deleted": array(string()),
                        "left": array(string()),
                        "error": nullable(string()),
                    }
                ),
            },
            optional=["pull_robots"],
        ),
        "IntegrationInput": integration_input(creating=True),
        "IntegrationUpdate": integration_input(creating=False),
        "ConnectionReport": record(
            {
                "ok": boolean(),
                "message": string(),
                "category": nullable(enum(c.value for c in Category)),
                "account": enum(["", "admin", "user", "robot", "anonymous"]),
                "version": string(),
                "catalog": nullable(boolean()),
            }
        ),
        "Job": record(
            {
                "id": integer(minimum=1),
                "kind": enum(["sync"]),
                "integration_id": integer(minimum=0),
                "status": enum(s.value for s in JobStatus),
                "progress": record(
                    {
                        "done": integer(minimum=0),
                        "total": integer(minimum=0),
                        "unit": enum(["spaces", "repositories"]),
                    },
                    optional=("done", "total", "unit"),
                ),
                "result": nullable(record({**sync_report, "summary": string()})),
                "error": nullable(
                    record(
                        {
                            "category": enum(c.value for c in Category),
                            "message": string(),
                        }
                    )
                ),
                "attempts": integer(minimum=0),
                "created_at": timestamp(),
                "started_at": timestamp(),
                "finished_at": timestamp(),
                "status_url": string(),
            }
        ),
        "Space": space,
        "SpacePage": record(
            {
                "items": array(ref("Space")),
                **paging,
                "health": enum(h.value for h in Health),
                "last_error": nullable(string()),
                "last_synced_at": timestamp(),
            }
        ),
        "SpaceDeleted": record({"deleted": integer(), "unbound_workspaces": array(string())}),
        "AuditEvent": record(
            {
                "id": integer(),
                "at": string(format="date-time"),
                "actor": string(),
                "action": string(),
                "integration": string(),
                "space": string(),
                "workspaces": array(string()),
                "detail": {"type": "object"},
            }
        ),
        "AuditPage": record(
            {
                "items": array(ref("AuditEvent")),
                "total": integer(minimum=0),
                "page": integer(minimum=1),
                "pages": integer(minimum=1),
            }
        ),
        "Decision": decision,
        "Check": check,
        "Explanation": record({"decision": ref("Decision"), "checks": array(ref("Check"))}),
        "FilterResult": record({"allowed": array(string()), "denied": array(ref("Decision"))}),
        "ClusterPullSecrets": record(
            {
                "cursor": integer(minimum=0, description="Send it as since= next time."),
                "full": boolean(
                    description="Every namespace of the cluster (no or a future "
                    "cursor): the agent may delete Secrets of namespaces not listed."
                ),
                "secrets": array(
                    {"type": "object", "description": "A kubernetes.io/dockerconfigjson Secret."}
                ),
                "skipped": array(
                    record({"namespace": string(), "error": string()}),
                    description="Namespaces whose Kubernetes name is not a DNS label.",
                ),
            }
        ),
        "OpenAPI": {
            "type": "object",
            "required": ["openapi", "info", "paths"],
            "properties": {"openapi": string(), "info": {"type": "object"}},
        },
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


def _sync_operation(tag: str) -> Schema:
    """202 with the queued (or already active) job; with wait=true, 200 once it succeeded or
    the registry's error once it failed."""
    op = operation(
        "syncIntegration",
        "Sync a registry's spaces and repositories, as a background job",
        tag,
        ok=(202, "Job"),
        errors=(403, 404, 422, 429, 502, 503, 504),
        parameters=[
            INTEGRATION_ID,
            query(
                "wait",
                enum(["true", "false", "1", "0"]),
                "true: run the job (or wait for it) before answering, as before jobs existed.",
            ),
        ],
        description="Answers at once with the job (Location: its status URL). A sync already "
        "queued or running for the registry is returned instead of a second one.",
    )
    op["responses"]["200"] = {
        "description": "OK (wait=true): the job succeeded; 'result' is its report.",
        "content": {JSON: {"schema": ref("Job")}},
    }
    return op


def _image_parameter() -> Schema:
    return query(
        "image",
        string(minLength=1, maxLength=4096),
        "Image reference, e.g. harbor.example.com/team/app:1 (400 when missing or longer "
        "than 4096 characters).",
        required=True,
    )


def _paths(api: str) -> dict[str, dict[str, Schema]]:
    integration_body = request_body(
        ref("IntegrationInput"), "The registry to connect; unknown fields are refused (422)."
    )
    test_body = request_body(
        ref("IntegrationInput"), "Unsaved values to try; nothing is stored (422 when invalid)."
    )
    registries = "Registries"
    spaces_tag = "Warehouse Space"
    hook = "Deploy hook"
    return {
        f"{api}/openapi.json": {
            "get": operation("getOpenApi", "This document", "Meta", ok=(200, "OpenAPI"), errors=()),
        },
        # -- Warehouse Integration (platform Admin) and workspace warehouses ----------------
        f"{api}/integrations": {
            "get": operation(
                "listPlatformIntegrations",
                "The platform's registries (platform Admin)",
                registries,
                ok=(200, "IntegrationList"),
                errors=(403,),
                parameters=[query("q", string(), "Text the name or URL must contain (trimmed).")],
            ),
            "post": operation(
                "createPlatformIntegration",
                "Connect a platform registry, then sync it (platform Admin)",
                registries,
                ok=(201, "IntegrationCreated"),
                errors=(400, 403, 409, 422, 429, 503),
                body=integration_body,
                description="The credentials are checked against the registry first; a "
                "failed first sync keeps the registry and says so in 'sync'.",
            ),
        },
        f"{api}/integrations/test": {
            "post": operation(
                "testPlatformConnection",
                "Test unsaved platform registry settings (platform Admin)",
                registries,
                ok=(200, "ConnectionReport"),
                errors=(400, 403, 422, 429, 503),
                body=test_body,
            ),
        },
        f"{api}/workspaces/{{workspace_id}}/integrations": {
            "get": operation(
                "listWorkspaceIntegrations",
                "A workspace's warehouses (its members)",
                registries,
                ok=(200, "IntegrationList"),
                errors=(404,),
                parameters=[
                    WORKSPACE_ID,
                    query("q", string(), "Text the name or URL must contain (trimmed)."),
                ],
            ),
            "post": operation(
                "createWorkspaceIntegration",
                "Connect a warehouse for a workspace, then sync it (its Workspace Admins)",
                registries,
                ok=(201, "IntegrationCreated"),
                errors=(400, 403, 404, 409, 422, 429, 503),
                parameters=[WORKSPACE_ID],
                body=integration_body,
            ),
        },
        f"{api}/workspaces/{{workspace_id}}/integrations/test": {
            "post": operation(
                "testWorkspaceConnection",
                "Test unsaved warehouse settings (the workspace's Workspace Admins)",
                registries,
                ok=(200, "ConnectionReport"),
                errors=(400, 403, 404, 422, 429, 503),
                parameters=[WORKSPACE_ID],
                body=test_body,
            ),
        },
        f"{api}/integrations/{{integration_id}}": {
            "get": operation(
                "getIntegration",
                "One registry",
                registries,
                ok=(200, "Integration"),
                errors=(404,),
                parameters=[INTEGRATION_ID],
            ),
            "patch": operation(
                "updateIntegration",
                "Change a registry (checked against the registry first)",
                registries,
                ok=(200, "Integration"),
                errors=(400, 403, 404, 409, 422, 429, 503),
                parameters=[INTEGRATION_ID],
                body=request_body(
                    ref("IntegrationUpdate"),
                    "Fields to change; left out or null keeps the stored value.",
                ),
            ),
            "delete": operation(
                "deleteIntegration",
                "Remove a registry with its spaces and bindings",
                registries,
                ok=(200, "IntegrationDeleted"),
                errors=(403, 404),
                parameters=[INTEGRATION_ID],
            ),
        },
        f"{api}/integrations/{{integration_id}}/test": {
            "post": operation(
                "testIntegration",
                "Test a saved registry and record its health",
                registries,
                ok=(200, "ConnectionReport"),
                errors=(403, 404, 429, 503),
                parameters=[INTEGRATION_ID],
            ),
        },
        f"{api}/integrations/{{integration_id}}/sync": {
            "post": _sync_operation(registries),
        },
        f"{api}/jobs/{{job_id}}": {
            "get": operation(
                "getJob",
                "A background job's status, progress and result",
                registries,
                ok=(200, "Job"),
                errors=(404,),
                parameters=[JOB_ID],
                description="Visible to whoever may see the job's registry (others: 404).",
            ),
        },
        # -- Warehouse Space (platform Admin) --------------------------------------------------
        f"{api}/integrations/{{integration_id}}/spaces": {
            "get": operation(
                "listSpaces",
                "A platform registry's spaces with their bindings",
                spaces_tag,
                ok=(200, "SpacePage"),
                errors=(400, 403, 404),
                parameters=[
                    INTEGRATION_ID,
                    query("tab", enum(spaces.TABS, default="all"), "Which spaces to list."),
                    query("sort", enum(spaces.SORTS, default="name"), "Order of the list."),
                    SEARCH,
                    *page_parameters(20, 200),
                ],
            ),
            "post": operation(
                "createSpace",
                "Create a Harbor project and its space",
                spaces_tag,
                ok=(201, "Space"),
                errors=(400, 403, 404, 409, 422, 429, 502, 503, 504),
                parameters=[INTEGRATION_ID],
                body=request_body(
                    record(
                        {
                            "name": string(
                                pattern=HARBOR_PROJECT,
                                maxLength=255,
                                description="Harbor project name: lower-case letters and "
                                "digits separated by single '.', '_' or '-'.",
                            ),
                            "public": boolean(default=False),
                        },
                        optional=("public",),
                        closed=False,
                    ),
                    "The new space (a Docker Registry's spaces cannot be created: 422).",
                ),
            ),
        },
        f"{api}/spaces/{{space_id}}": {
            "get": operation(
                "getSpace",
                "One space of a platform registry",
                spaces_tag,
                ok=(200, "Space"),
                errors=(403, 404),
                parameters=[SPACE_ID],
            ),
            "patch": operation(
                "setSpaceVisibility",
                "Make a space public or private (in Harbor first)",
                spaces_tag,
                ok=(200, "Space"),
                errors=(400, 403, 404, 422, 429, 502, 503, 504),
                parameters=[SPACE_ID],
                body=request_body(
                    record({"public": boolean()}, closed=False), "The space's visibility."
                ),
            ),
            "delete": operation(
                "deleteSpace",
                "Delete a Harbor project and its space, unbinding its workspaces",
                spaces_tag,
                ok=(200, "SpaceDeleted"),
                errors=(403, 404, 409, 429, 502, 503, 504),
                parameters=[SPACE_ID],
            ),
        },
        f"{api}/spaces/{{space_id}}/workspaces": {
            "put": operation(
                "setSpaceWorkspaces",
                "Bind a space to exactly these workspaces",
                spaces_tag,
                ok=(200, "BindingChange"),
                errors=(400, 403, 404, 422),
                parameters=[SPACE_ID],
                body=request_body(
                    record({"workspaces": array(string())}, closed=False),
                    "Workspace ids (the host's; unknown ones are a 422). Empty unbinds all.",
                ),
            ),
        },
        f"{api}/workspaces": {
            "get": operation(
                "listWorkspaces",
                "The host's workspaces (platform Admin)",
                spaces_tag,
                ok=(200, "WorkspaceList"),
                errors=(403,),
            ),
        },
        f"{api}/audit": {
            "get": operation(
                "listAuditEvents",
                "The audit log, newest first (platform Admin)",
                spaces_tag,
                ok=(200, "AuditPage"),
                errors=(400, 403),
                parameters=[
                    query(
                        "action",
                        string(),
                        "An action, e.g. binding.changed (also matching the older binding.set, "
                        "binding.bound and binding.unbound).",
                    ),
                    query("actor", string(), "Exact user id."),
                    query("space", string(), "Exact space name."),
                    query("integration", string(), "Exact registry name."),
                    query("workspace", string(), "A workspace id the event names."),
                    *(
                        query(
                            name,
                            {
                                "anyOf": [
                                    string(format="date"),
                                    string(format="date-time"),
                                    string(pattern=r"^\s*$"),
                                ]
                            },
                            f"{text} (ISO 8601 date or time; UTC unless it has an offset; "
                            "400 otherwise).",
                        )
                        for name, text in (("since", "Not before"), ("until", "Not after"))
                    ),
                    *page_parameters(50, 500),
                ],
            ),
        },
        # -- Deploy hook -------------------------------------------------------------------------
        f"{api}/check": {
            "get": operation(
                "checkImage",
                "May this image be deployed into this namespace?",
                hook,
                ok=(200, "Decision"),
                errors=(400, 404),
                parameters=[NAMESPACE, _image_parameter()],
            ),
        },
        f"{api}/explain": {
            "get": operation(
                "explainImage",
                "The FAQ checks for an image in a namespace, one by one",
                hook,
                ok=(200, "Explanation"),
                errors=(400, 404),
                parameters=[NAMESPACE, _image_parameter()],
            ),
        },
        f"{api}/filter": {
            "post": operation(
                "filterImages",
                "Split images into those the namespace may deploy and the denied decisions",
                hook,
                ok=(200, "FilterResult"),
                errors=(400, 403, 404, 422),
                body=request_body(
                    record(
                        {
                            "namespace": string(pattern=NOT_BLANK),
                            "images": array(string(), maxItems=MAX_FILTER_IMAGES),
                        },
                        closed=False,
                    ),
                    "The namespace (400 when missing or blank) and the image references.",
                ),
            ),
        },
        f"{api}/clusters/{{cluster}}/pull-secrets": {
            "get": operation(
                "clusterPullSecrets",
                "A cluster agent's pull Secrets: those that changed since a cursor",
                "Cluster agent",
                ok=(200, "ClusterPullSecrets"),
                errors=(503,),
                description="Authenticated with the cluster's bearer token (flask mirror "
                "cluster add), never a session: 401 for any other caller. Without since, "
                "every namespace of the cluster.",
                parameters=[
                    parameter(
                        "cluster", "path", string(pattern=CLUSTER_NAME), "Registered cluster."
                    ),
                    query("since", integer(minimum=0), "The cursor of the previous answer."),
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
    paths[f"{prefix}/api/clusters/{{cluster}}/pull-secrets"]["get"]["security"] = [
        {"clusterToken": []}
    ]
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


def api_openapi() -> ResponseReturnValue:
    """This API's OpenAPI document, for any signed-in user."""
    require_principal()
    return jsonify(build_document(current_app))


def register(bp: Blueprint) -> None:
    """The OpenAPI document."""
    bp.add_url_rule("/api/openapi.json", view_func=api_openapi, methods=["GET"])
