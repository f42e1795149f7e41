"""The JSON API for registries: the same actions as the pages, for scripts and the widget.

Errors are ``{"error": {"status": 422, "message": "...", "fields": {...}}}``. Passwords are
write-only: requests may carry one, responses only say ``has_password``.

Every route that contacts the registry (test, create, edit, sync) first counts against the
caller's registry limit (429 beyond it), and shows registry failures through
:mod:`mirror_plugin.web.disclosure`: in full to the platform Admin, as a category to tenants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from sqlalchemy import func, or_, select

from mirror_plugin.i18n import gettext
from mirror_plugin.models import Health, Integration, RegistryKind, Scope, Space
from mirror_plugin.params import iso
from mirror_plugin.services import integrations as service
from mirror_plugin.services.errors import InvalidInput, ProbeFailed
from mirror_plugin.services.jobs import enqueue
from mirror_plugin.state import session
from mirror_plugin.web.access import require_fresh_login, require_principal
from mirror_plugin.web.api.declare import declared, path_argument
from mirror_plugin.web.api.jobs import job_response
from mirror_plugin.web.disclosure import first_sync_shown, shown_last_error, shown_report
from mirror_plugin.web.ratelimit import limit_registry_call
from mirror_plugin.web.schemas import integrations as schemas
from mirror_plugin.web.schemas.shared import Job, WaitQuery
from mirror_plugin.web.scopes import RegistryScope, integration_or_404, resolve

#: The document's tag for this area.
TAG = "Registries"
WORKSPACE = {
    "workspace_id": "Host workspace id (404 when the caller has no role in it or it does "
    "not exist)."
}
INTEGRATION = {"integration_id": "Integration (registry) id."}


def shown(row: Integration, counts: tuple[int, int] | None = None) -> schemas.Integration:
    """``row`` as the API answers it: what the caller may see of its last error, its spaces
    and repositories (``counts``, looked up when not given), and never its password."""
    spaces, repositories = counts or integration_counts([row.id]).get(row.id, (0, 0))
    return schemas.Integration(
        id=row.id,
        name=row.name,
        kind=RegistryKind(row.kind),
        scope=Scope(row.scope),
        workspace_id=row.workspace_id or None,
        url=row.url,
        registry_host=row.registry_host,
        aliases=row.aliases,
        addresses=row.addresses,
        username=row.username,
        has_password=row.password_encrypted is not None,
        verify_tls=row.verify_tls,
        has_ca_bundle=bool(row.ca_bundle),
        description=row.description,
        share_pull_credentials=row.share_pull_credentials,
        health=Health(row.health),
        last_error=shown_last_error(row.last_error),
        last_checked_at=iso(row.last_checked_at),
        last_synced_at=iso(row.last_synced_at),
        spaces=spaces,
        repositories=repositories,
    )


def input_from(
    body: schemas.IntegrationUpdate, existing: Integration | None = None
) -> service.IntegrationInput:
    """The service's input from a request body: on an update, a field left out or null keeps
    the stored value; a new registry needs its name, kind and URL."""

    def pick(key: str, default: Any) -> Any:
        value = getattr(body, key)
        if value is not None:
            return value
        return getattr(existing, key) if existing is not None else default

    if existing is None:
        missing = [k for k in ("name", "kind", "url") if not getattr(body, k)]
        if missing:
            raise InvalidInput({k: gettext(schemas.REQUIRED) for k in missing})
    return service.IntegrationInput(
        name=pick("name", ""),
        kind=str(pick("kind", "")),
        url=pick("url", ""),
        username=pick("username", ""),
        password=body.password or None,
        verify_tls=pick("verify_tls", True),
        ca_bundle=pick("ca_bundle", "") or "",
        description=pick("description", ""),
        aliases=body.aliases,
        share_pull_credentials=body.share_pull_credentials,
    )


def integration_counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        session()
        .execute(
            select(
                Space.integration_id,
                func.count(Space.id),
                func.coalesce(func.sum(Space.repo_count), 0),
            )
            .where(Space.integration_id.in_(ids))
            .group_by(Space.integration_id)
        )
        .all()
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def list_in(scope: RegistryScope, search: str = "") -> list[Integration]:
    query = select(Integration).where(Integration.workspace_id == scope.workspace_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(Integration.name).like(pattern),
                func.lower(Integration.url).like(pattern),
            )
        )
    return list(session().scalars(query.order_by(Integration.name)))


def _listed(scope: RegistryScope, search: str) -> schemas.IntegrationList:
    rows = list_in(scope, search)
    counts = integration_counts([r.id for r in rows])
    return schemas.IntegrationList(items=[shown(r, counts.get(r.id, (0, 0))) for r in rows])


def _created(
    scope: RegistryScope, body: schemas.IntegrationInput
) -> tuple[schemas.IntegrationCreated, int]:
    principal = require_principal()
    data = input_from(body)
    limit_registry_call()
    row = _saved(data, actor=principal.id, workspace_id=scope.workspace_id)
    ok, sentence = first_sync_shown(row, actor=principal.id)
    created = schemas.IntegrationCreated(
        **dict(shown(row)), sync=schemas.FirstSync(ok=ok, message=sentence)
    )
    return created, 201


def _saved(data: service.IntegrationInput, **keywords: Any) -> Integration:
    """``service.save``, with a refused connection check shown as the caller may see it."""
    try:
        return service.save(data, **keywords)
    except ProbeFailed as exc:
        raise InvalidInput({exc.field: shown_report(exc.report).message}) from None


def _tested(scope: RegistryScope, body: schemas.IntegrationInput) -> schemas.ConnectionReport:
    data = input_from(body)
    limit_registry_call(test_connection=True)
    report = service.test_connection(data, platform=scope.is_platform)
    return schemas.ConnectionReport.model_validate(shown_report(report))


def _fresh(check: Callable[[], object]) -> Callable[[], None]:
    """A gate for changing a registry: who may manage it, then a recent sign-in."""

    def gate() -> None:
        check()
        require_fresh_login()

    return gate


@declared(
    "listPlatformIntegrations",
    summary="The platform's registries (platform Admin)",
    tag=TAG,
    gate=lambda: resolve(None),
    query=schemas.IntegrationSearch,
    ok=schemas.IntegrationList,
    errors=(403,),
)
def api_platform_integrations(query: schemas.IntegrationSearch) -> schemas.IntegrationList:
    return _listed(resolve(None), query.q)


@declared(
    "createPlatformIntegration",
    summary="Connect a platform registry, then sync it (platform Admin)",
    tag=TAG,
    gate=_fresh(lambda: resolve(None)),
    body=schemas.IntegrationInput,
    body_description="The registry to connect; unknown fields are refused (422).",
    ok={201: schemas.IntegrationCreated},
    errors=(400, 403, 409, 422, 429, 503),
    description="The credentials are checked against the registry first; a failed first "
    "sync keeps the registry and says so in 'sync'.",
)
def api_create_platform_integration(
    body: schemas.IntegrationInput,
) -> tuple[schemas.IntegrationCreated, int]:
    return _created(resolve(None), body)


@declared(
    "listWorkspaceIntegrations",
    summary="A workspace's warehouses (its members)",
    tag=TAG,
    gate=lambda: resolve(path_argument("workspace_id")),
    query=schemas.IntegrationSearch,
    ok=schemas.IntegrationList,
    errors=(404,),
    path=WORKSPACE,
)
def api_workspace_integrations(
    workspace_id: str, query: schemas.IntegrationSearch
) -> schemas.IntegrationList:
    return _listed(resolve(workspace_id), query.q)


@declared(
    "createWorkspaceIntegration",
    summary="Connect a warehouse for a workspace, then sync it (its Workspace Admins)",
    tag=TAG,
    gate=_fresh(lambda: resolve(path_argument("workspace_id"), manage=True)),
    body=schemas.IntegrationInput,
    body_description="The registry to connect; unknown fields are refused (422).",
    ok={201: schemas.IntegrationCreated},
    errors=(400, 403, 404, 409, 422, 429, 503),
    path=WORKSPACE,
)
def api_create_workspace_integration(
    workspace_id: str, body: schemas.IntegrationInput
) -> tuple[schemas.IntegrationCreated, int]:
    return _created(resolve(workspace_id, manage=True), body)


UNSAVED = "Unsaved values to try; nothing is stored (422 when invalid)."


@declared(
    "testPlatformConnection",
    summary="Test unsaved platform registry settings (platform Admin)",
    tag=TAG,
    gate=lambda: resolve(None),
    body=schemas.IntegrationInput,
    body_description=UNSAVED,
    ok=schemas.ConnectionReport,
    errors=(400, 403, 422, 429, 503),
)
def api_platform_test(body: schemas.IntegrationInput) -> schemas.ConnectionReport:
    return _tested(resolve(None), body)


@declared(
    "testWorkspaceConnection",
    summary="Test unsaved warehouse settings (the workspace's Workspace Admins)",
    tag=TAG,
    gate=lambda: resolve(path_argument("workspace_id"), manage=True),
    body=schemas.IntegrationInput,
    body_description=UNSAVED,
    ok=schemas.ConnectionReport,
    errors=(400, 403, 404, 422, 429, 503),
    path=WORKSPACE,
)
def api_workspace_test(
    workspace_id: str, body: schemas.IntegrationInput
) -> schemas.ConnectionReport:
    return _tested(resolve(workspace_id, manage=True), body)


@declared(
    "getIntegration",
    summary="One registry",
    tag=TAG,
    ok=schemas.Integration,
    errors=(404,),
    path=INTEGRATION,
)
def api_integration(integration_id: int) -> schemas.Integration:
    row, _ = integration_or_404(integration_id)
    return shown(row)


@declared(
    "updateIntegration",
    summary="Change a registry (checked against the registry first)",
    tag=TAG,
    gate=_fresh(lambda: integration_or_404(path_argument("integration_id"), manage=True)),
    body=schemas.IntegrationUpdate,
    body_description="Fields to change; left out or null keeps the stored value.",
    ok=schemas.Integration,
    errors=(400, 403, 404, 409, 422, 429, 503),
    path=INTEGRATION,
)
def api_update_integration(
    integration_id: int, body: schemas.IntegrationUpdate
) -> schemas.Integration:
    principal = require_principal()
    row, _ = integration_or_404(integration_id, manage=True)
    data = input_from(body, row)
    limit_registry_call()
    return shown(_saved(data, actor=principal.id, existing=row))


@declared(
    "deleteIntegration",
    summary="Remove a registry with its spaces and bindings",
    tag=TAG,
    ok=schemas.IntegrationDeleted,
    errors=(403, 404),
    path=INTEGRATION,
)
def api_delete_integration(integration_id: int) -> schemas.IntegrationDeleted:
    principal = require_principal()
    row, _ = integration_or_404(integration_id, manage=True)
    require_fresh_login()
    removed = service.delete(row, actor=principal.id)
    return schemas.IntegrationDeleted(
        deleted=integration_id,
        bindings_removed=removed.bindings,
        pull_robots=schemas.PullRobots.model_validate(removed.robots) if removed.robots else None,
    )


@declared(
    "testIntegration",
    summary="Test a saved registry and record its health",
    tag=TAG,
    ok=schemas.ConnectionReport,
    errors=(403, 404, 429, 503),
    path=INTEGRATION,
)
def api_integration_test(integration_id: int) -> schemas.ConnectionReport:
    row, _ = integration_or_404(integration_id, manage=True)
    limit_registry_call(test_connection=True)
    report = service.test_saved(row)
    session().commit()
    return schemas.ConnectionReport.model_validate(shown_report(report))


@declared(
    "syncIntegration",
    summary="Sync a registry's spaces and repositories, as a background job",
    tag=TAG,
    query=WaitQuery,
    ok={202: Job, 200: Job},
    errors=(403, 404, 422, 429, 502, 503, 504),
    path=INTEGRATION,
    headers={"Location": "The job's status URL."},
    description="Answers at once with the job (202, Location: its status URL). A sync "
    "already queued or running for the registry is returned instead of a second one. With "
    "wait=true: 200 once the job succeeded ('result' is its report), or the registry's error "
    "once it failed.",
)
def api_integration_sync(integration_id: int, query: WaitQuery) -> tuple[Job, int, dict[str, str]]:
    """Queue a sync (or return the one queued or running): 202 with the job at once, or
    (``?wait=true``) once it finished."""
    principal = require_principal()
    row, _ = integration_or_404(integration_id, manage=True)
    limit_registry_call()
    job, _ = enqueue("sync", row, actor=principal.id)
    return job_response(job, wait=query.wait)


__all__ = ["integration_counts", "list_in"]  # the pages list registries the same way


def register(bp: Blueprint) -> None:
    """The registries' JSON API: platform integrations and workspace warehouses. One view per
    method: the same URL lists (GET) and connects (POST), and so on."""
    platform, workspace = "/api/integrations", "/api/workspaces/<workspace_id>/integrations"
    one = "/api/integrations/<mirror_id:integration_id>"
    for url, method, view in (
        (platform, "GET", api_platform_integrations),
        (platform, "POST", api_create_platform_integration),
        (workspace, "GET", api_workspace_integrations),
        (workspace, "POST", api_create_workspace_integration),
        (f"{platform}/test", "POST", api_platform_test),
        (f"{workspace}/test", "POST", api_workspace_test),
        (one, "GET", api_integration),
        (one, "PATCH", api_update_integration),
        (one, "DELETE", api_delete_integration),
        (f"{one}/test", "POST", api_integration_test),
        (f"{one}/sync", "POST", api_integration_sync),
    ):
        bp.add_url_rule(url, view_func=view, methods=[method])
