"""JSON API of the Warehouse Space page: spaces, bindings (single and batch), the audit log.

Platform Admin only. Spaces of workspace warehouses are not bound (their whole registry is the
workspace's already), so these routes answer 404 for them. Creating, deleting and flipping a
Harbor space goes to Harbor, so it counts against the registry limit (429 beyond it).
"""

from __future__ import annotations

from flask import Blueprint, abort

from mirror_plugin.i18n import gettext
from mirror_plugin.models import Health, Integration, Space
from mirror_plugin.params import is_id, iso
from mirror_plugin.registry.drivers import driver_for
from mirror_plugin.services import bindings, spaces
from mirror_plugin.services.audit_log import query_events
from mirror_plugin.services.tenancy import known_workspaces
from mirror_plugin.state import session
from mirror_plugin.web.access import require_principal
from mirror_plugin.web.api.declare import declared, path_argument
from mirror_plugin.web.disclosure import shown_last_error
from mirror_plugin.web.ratelimit import limit_registry_call
from mirror_plugin.web.schemas import spaces as schemas
from mirror_plugin.web.schemas.shared import WorkspaceRef
from mirror_plugin.web.scopes import integration_or_404, resolve

#: The document's tag for this area.
TAG = "Warehouse Space"
INTEGRATION = "Integration (registry) id."
SPACE = "Mirror space id."


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


def _integration_gate() -> None:
    """Who may call, then whether the registry is there: both answer before the body."""
    platform_integration_or_404(path_argument("integration_id"))


def _space_gate() -> None:
    """Who may call, then whether the space is there: both answer before the body."""
    space_or_404(path_argument("space_id"))


def limit_harbor_call(integration: Integration) -> None:
    """Space actions reach the registry only where it manages its spaces (Harbor); those
    count as registry calls."""
    if driver_for(integration.kind).manages_spaces:
        limit_registry_call()


@declared(
    "listSpaces",
    summary="A platform registry's spaces with their bindings",
    tag=TAG,
    gate=_integration_gate,
    query=schemas.SpacesQuery,
    ok=schemas.SpacePage,
    errors=(400, 403, 404),
    path={"integration_id": INTEGRATION},
)
def api_spaces(integration_id: int, query: schemas.SpacesQuery) -> schemas.SpacePage:
    integration = platform_integration_or_404(integration_id)
    names = known_workspaces()
    page = spaces.list_spaces(
        integration,
        tab=query.tab,
        search=query.q,
        sort=query.sort,
        page=query.page,
        per_page=query.per_page,
    )
    return schemas.SpacePage(
        items=[schemas.Space.of(s, page.bindings[s.id], names) for s in page.items],
        **page.counts(),
        health=Health(integration.health),
        last_error=shown_last_error(integration.last_error),
        last_synced_at=iso(integration.last_synced_at),
    )


@declared(
    "createSpace",
    summary="Create a Harbor project and its space",
    tag=TAG,
    gate=_integration_gate,
    body=schemas.SpaceInput,
    body_description="The new space (a Docker Registry's spaces cannot be created: 422).",
    ok={201: schemas.Space},
    errors=(400, 403, 404, 409, 422, 429, 502, 503, 504),
    path={"integration_id": INTEGRATION},
)
def api_create_space(integration_id: int, body: schemas.SpaceInput) -> schemas.Space:
    integration = platform_integration_or_404(integration_id)
    limit_harbor_call(integration)
    space = spaces.create_space(
        integration, body.name, public=body.public, actor=require_principal().id
    )
    return schemas.Space.of(space, [], known_workspaces())


def _space_answer(space: Space) -> schemas.Space:
    """The space as the API shows it, with its bindings now."""
    return schemas.Space.of(space, spaces.bindings_of([space.id])[space.id], known_workspaces())


@declared(
    "getSpace",
    summary="One space of a platform registry",
    tag=TAG,
    gate=_space_gate,
    ok=schemas.Space,
    errors=(403, 404),
    path={"space_id": SPACE},
)
def api_space(space_id: int) -> schemas.Space:
    return _space_answer(space_or_404(space_id))


@declared(
    "setSpaceVisibility",
    summary="Make a space public or private (in Harbor first)",
    tag=TAG,
    gate=_space_gate,
    body=schemas.SpaceVisibility,
    body_description="The space's visibility.",
    ok=schemas.Space,
    errors=(400, 403, 404, 422, 429, 502, 503, 504),
    path={"space_id": SPACE},
)
def api_set_space_visibility(space_id: int, body: schemas.SpaceVisibility) -> schemas.Space:
    space = space_or_404(space_id)
    if body.public != space.public:
        limit_harbor_call(space.integration)
    spaces.set_public(space, body.public, actor=require_principal().id)
    return _space_answer(space)


@declared(
    "deleteSpace",
    summary="Delete a Harbor project and its space, unbinding its workspaces",
    tag=TAG,
    gate=_space_gate,
    ok=schemas.SpaceDeleted,
    errors=(403, 404, 409, 429, 502, 503, 504),
    path={"space_id": SPACE},
)
def api_delete_space(space_id: int) -> schemas.SpaceDeleted:
    space = space_or_404(space_id)
    limit_harbor_call(space.integration)
    unbound = spaces.delete_space(space, actor=require_principal().id)
    return schemas.SpaceDeleted(deleted=space_id, unbound_workspaces=unbound)


@declared(
    "setSpaceWorkspaces",
    summary="Bind a space to exactly these workspaces",
    tag=TAG,
    gate=_space_gate,
    body=schemas.SpaceWorkspaces,
    body_description="Workspace ids (the host's; unknown ones are a 422). Empty unbinds all.",
    ok=schemas.BindingChange,
    errors=(400, 403, 404, 422),
    path={"space_id": SPACE},
)
def api_space_workspaces(space_id: int, body: schemas.SpaceWorkspaces) -> schemas.BindingChange:
    """The Bind Workspace dialog: the space ends bound to exactly the listed workspaces."""
    space_or_404(space_id)
    change = bindings.set_workspaces(space_id, body.workspaces, actor=require_principal().id)
    return schemas.BindingChange.model_validate(change)


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


@declared(
    "listWorkspaces",
    summary="The host's workspaces (platform Admin)",
    tag=TAG,
    gate=lambda: resolve(None),
    ok=schemas.WorkspaceList,
    errors=(403,),
)
def api_workspaces() -> schemas.WorkspaceList:
    """The host's workspaces, for the dialog's multi-select."""
    return schemas.WorkspaceList(
        items=[WorkspaceRef(id=k, name=v) for k, v in known_workspaces().items()]
    )


@declared(
    "listAuditEvents",
    summary="The audit log, newest first (platform Admin)",
    tag=TAG,
    gate=lambda: resolve(None),
    query=schemas.AuditQuery,
    ok=schemas.AuditPage,
    errors=(400, 403),
)
def api_audit(query: schemas.AuditQuery) -> schemas.AuditPage:
    page = query_events(query.filters(), page=query.page, per_page=query.per_page)
    return schemas.AuditPage(
        items=[schemas.AuditEvent.of(e) for e in page.items],
        total=page.total,
        page=page.page,
        pages=page.pages,
    )


def register(bp: Blueprint) -> None:
    """The Warehouse Space JSON API: spaces, bindings, workspaces, the audit log."""
    spaces_url = "/api/integrations/<mirror_id:integration_id>/spaces"
    bp.add_url_rule(spaces_url, view_func=api_spaces, methods=["GET"])
    bp.add_url_rule(spaces_url, view_func=api_create_space, methods=["POST"])
    space_url = "/api/spaces/<mirror_id:space_id>"
    bp.add_url_rule(space_url, view_func=api_space, methods=["GET"])
    bp.add_url_rule(space_url, view_func=api_set_space_visibility, methods=["PATCH"])
    bp.add_url_rule(space_url, view_func=api_delete_space, methods=["DELETE"])
    bp.add_url_rule(
        "/api/spaces/<mirror_id:space_id>/workspaces",
        view_func=api_space_workspaces,
        methods=["PUT"],
    )
    bp.add_url_rule("/api/bindings", view_func=api_batch_bindings, methods=["POST"])
    bp.add_url_rule("/api/workspaces", view_func=api_workspaces, methods=["GET"])
    bp.add_url_rule("/api/audit", view_func=api_audit, methods=["GET"])
