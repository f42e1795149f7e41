"""JSON API of the Warehouse Space page: spaces, bindings (single and batch), the audit log.

Platform Admin only. Spaces of workspace warehouses are not bound (their whole registry is the
workspace's already), so these routes answer 404 for them. Creating, deleting and flipping a
Harbor space goes to Harbor, so it counts against the registry limit (429 beyond it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from mirror_plugin.i18n import gettext
from mirror_plugin.models import Integration, Space
from mirror_plugin.params import is_id, iso, parse_int
from mirror_plugin.registry.drivers import driver_for
from mirror_plugin.services import bindings, spaces
from mirror_plugin.services.audit_log import audit_json, query_events
from mirror_plugin.services.tenancy import known_workspaces
from mirror_plugin.state import session
from mirror_plugin.web.access import require_principal
from mirror_plugin.web.api.declare import declared
from mirror_plugin.web.disclosure import shown_last_error
from mirror_plugin.web.ratelimit import limit_registry_call
from mirror_plugin.web.schemas import spaces as schemas
from mirror_plugin.web.scopes import integration_or_404, resolve

#: The document's tag for this area.
TAG = "Warehouse Space"


def platform_integration_or_404(integration_id: int) -> Integration:
    resolve(None)
    row, _ = integration_or_404(integration_id)
    if not row.is_platform:
        abort(404, description=gettext("No such registry here."))
    return row


def space_or_404(space_id: int) -> Space:
    resolve(None)
    space = session().get(Space, space_id) if is_id(space_id) else None
    if space is None or not space.integration.is_platform:
        abort(404, description=gettext("No such space."))
    return space


def limit_harbor_call(integration: Integration) -> None:
    """Space actions reach the registry only where it manages its spaces (Harbor); those
    count as registry calls."""
    if driver_for(integration.kind).manages_spaces:
        limit_registry_call()


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=gettext("Send a JSON object (Content-Type: application/json)."))
    return body


def id_list(body: dict[str, Any], key: str, kind: type) -> list[Any]:
    value = body.get(key)
    valid = is_id if kind is int else (lambda v: isinstance(v, str))
    if not isinstance(value, list) or not all(valid(v) for v in value):
        abort(
            422,
            description=gettext(
                "'%(key)s' must be a list of %(type)s ids.", key=key, type=kind.__name__
            ),
        )
    return value


def int_arg(name: str, default: int, *, low: int = 1, high: int = 1000) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    value = parse_int(raw, low=low, high=high)
    if value is None:
        abort(
            400,
            description=gettext(
                "'%(name)s' must be a whole number from %(low)s to %(high)s.",
                name=name,
                low=low,
                high=high,
            ),
        )
    return value


def api_spaces(integration_id: int) -> ResponseReturnValue:
    integration = platform_integration_or_404(integration_id)
    names = known_workspaces()
    if request.method == "POST":
        body = json_body()
        name, public = body.get("name"), body.get("public", False)
        if not isinstance(name, str) or not isinstance(public, bool):
            abort(422, description=gettext("Send 'name' (a string) and 'public' (true or false)."))
        limit_harbor_call(integration)
        space = spaces.create_space(integration, name, public=public, actor=require_principal().id)
        return jsonify(spaces.space_json(space, [], names)), 201
    tab = request.args.get("tab", "all")
    if tab not in spaces.TABS:
        abort(400, description=gettext("'tab' must be all, public or private."))
    sort = request.args.get("sort", "name")
    if sort not in spaces.SORTS:
        abort(
            400,
            description=gettext("'sort' must be one of %(sorts)s.", sorts=", ".join(spaces.SORTS)),
        )
    page = spaces.list_spaces(
        integration,
        tab=tab,
        search=request.args.get("q", "").strip(),
        sort=sort,
        page=int_arg("page", 1, high=10**6),
        per_page=int_arg("per_page", 20, high=200),
    )
    return jsonify(
        {
            "items": [spaces.space_json(s, page.bindings[s.id], names) for s in page.items],
            **page.counts(),
            "health": integration.health,
            "last_error": shown_last_error(integration.last_error),
            "last_synced_at": iso(integration.last_synced_at),
        }
    )


def api_space(space_id: int) -> ResponseReturnValue:
    space = space_or_404(space_id)
    actor = require_principal().id
    names = known_workspaces()
    if request.method == "DELETE":
        limit_harbor_call(space.integration)
        unbound = spaces.delete_space(space, actor=actor)
        return jsonify({"deleted": space_id, "unbound_workspaces": unbound})
    if request.method == "PATCH":
        public = json_body().get("public")
        if not isinstance(public, bool):
            abort(422, description=gettext("Send 'public': true or false."))
        if public != space.public:
            limit_harbor_call(space.integration)
        spaces.set_public(space, public, actor=actor)
    return jsonify(spaces.space_json(space, spaces.bindings_of([space.id])[space.id], names))


def api_space_workspaces(space_id: int) -> ResponseReturnValue:
    """The Bind Workspace dialog: the space ends bound to exactly the listed workspaces."""
    space_or_404(space_id)
    wanted = id_list(json_body(), "workspaces", str)
    change = bindings.set_workspaces(space_id, wanted, actor=require_principal().id)
    return jsonify(change.to_dict())


@declared(
    "changeBindings",
    summary="Bind or unbind several spaces to several workspaces at once",
    tag=TAG,
    gate=lambda: resolve(None),
    body=schemas.BindingsChange,
    body_description="Space ids of platform registries (404 otherwise) and workspace ids "
    "(unknown ones are a 422 when binding).",
    ok=schemas.BindingChanges,
    errors=(403, 404, 422),
)
def api_batch_bindings(body: schemas.BindingsChange) -> schemas.BindingChanges:
    """Batch: bind (or unbind) several spaces to several workspaces in one transaction."""
    for space_id in set(body.spaces):
        space_or_404(space_id)
    operation = bindings.bind if body.action == "bind" else bindings.unbind
    changes = operation(body.spaces, body.workspaces, actor=require_principal().id)
    return schemas.BindingChanges(
        changes=[schemas.BindingChange.model_validate(change) for change in changes]
    )


def api_workspaces() -> ResponseReturnValue:
    """The host's workspaces, for the dialog's multi-select."""
    resolve(None)
    names = known_workspaces()
    return jsonify({"items": [{"id": k, "name": v} for k, v in names.items()]})


def api_audit() -> ResponseReturnValue:
    resolve(None)
    page = query_events(
        request.args,
        page=int_arg("page", 1, high=10**6),
        per_page=int_arg("per_page", 50, high=500),
    )
    return jsonify(
        {
            "items": [audit_json(e) for e in page.items],
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
        }
    )


def register(bp: Blueprint) -> None:
    """The Warehouse Space JSON API: spaces, bindings, workspaces, the audit log."""
    bp.add_url_rule(
        "/api/integrations/<mirror_id:integration_id>/spaces",
        methods=["GET", "POST"],
        view_func=api_spaces,
    )
    bp.add_url_rule(
        "/api/spaces/<mirror_id:space_id>", methods=["GET", "PATCH", "DELETE"], view_func=api_space
    )
    bp.add_url_rule(
        "/api/spaces/<mirror_id:space_id>/workspaces",
        view_func=api_space_workspaces,
        methods=["PUT"],
    )
    bp.add_url_rule("/api/bindings", view_func=api_batch_bindings, methods=["POST"])
    bp.add_url_rule("/api/workspaces", view_func=api_workspaces, methods=["GET"])
    bp.add_url_rule("/api/audit", view_func=api_audit, methods=["GET"])
