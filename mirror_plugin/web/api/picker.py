"""The Select Image picker's JSON endpoints, all scoped by the namespace the form chose.

A user may open the picker for a namespace of a workspace they have a role in (viewers browse
but cannot deploy), for a namespace in no workspace (public spaces only), or as the platform
Admin. Spaces are looked up through the namespace's visibility, so a space the namespace may
not see is the same 404 as one that does not exist: a request cannot widen its own scope.

Asking the registry again ("Refresh") is a POST to the same URL as the listing: it makes the
server call the registry with the platform's credentials, so it needs the CSRF header and
counts against the per-user registry limit (:mod:`mirror_plugin.web.ratelimit`), as does a tag
listing the shared cache cannot answer. ``GET ...&refresh=1`` answers 405 and names the POST.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed

from mirror_plugin.adapter import UnknownNamespace
from mirror_plugin.i18n import N_, gettext, ngettext
from mirror_plugin.models import Integration, Space
from mirror_plugin.params import parse_int
from mirror_plugin.services import catalogue, searchindex
from mirror_plugin.services.paging import page_of_counted, paginate
from mirror_plugin.services.tenancy import known_workspaces, namespace_workspace
from mirror_plugin.state import mirror_state, session
from mirror_plugin.web.access import may_use_namespace, require_principal, workspace_roles
from mirror_plugin.web.api.declare import serialised
from mirror_plugin.web.api.jobs import accepted, shown_job_error
from mirror_plugin.web.api.spaces import int_arg
from mirror_plugin.web.csrf import csrf_token
from mirror_plugin.web.disclosure import shown_last_error, shown_message
from mirror_plugin.web.ratelimit import limit_registry_call

PER_PAGE = 20
SPACE_NOT_FOUND = N_("No such space for this namespace.")


def _scope() -> tuple[str, str | None]:
    """(namespace, its workspace id) after checking the caller may use the namespace."""
    namespace = request.args.get("namespace", "").strip()
    if not namespace:
        abort(400, description=gettext("Choose a namespace first (namespace=cluster/name)."))
    if not may_use_namespace(require_principal(), namespace):
        abort(404, description=gettext("You have no namespace %(namespace)r.", namespace=namespace))
    try:
        return namespace, namespace_workspace(namespace)
    except UnknownNamespace:
        abort(404, description=gettext("You have no namespace %(namespace)r.", namespace=namespace))


def _paging_args() -> tuple[int, int]:
    """(page, per_page) from the query string, or a 400."""
    return int_arg("page", 1, high=10**6), int_arg("per_page", PER_PAGE, high=100)


def _registry_json(integration: Integration | searchindex.IndexedRegistry) -> dict[str, Any]:
    host = integration.registry_host
    return {
        "id": integration.id,
        "name": integration.name,
        "kind": integration.kind,
        "host": host,
        "scope": integration.scope,
        "health": integration.health,
        "last_error": shown_last_error(integration.last_error),
        "age_seconds": catalogue.age_seconds(integration.last_synced_at),
    }


def _tab_arg() -> str | None:
    tab = request.args.get("tab") or None
    if tab is not None and tab not in catalogue.TABS:
        abort(400, description=gettext("'tab' must be public, private or workspace."))
    return tab


def picker_context() -> ResponseReturnValue:
    """Who the picker serves: the namespace, its workspace, whether the user may deploy,
    and the registries with something visible, per tab."""
    namespace, workspace_id = _scope()
    principal = require_principal()
    roles = workspace_roles(principal)
    if workspace_id is not None:
        can_deploy = principal.is_platform_admin or (
            workspace_id in roles and roles[workspace_id].can_deploy
        )
    else:
        can_deploy = principal.is_platform_admin or any(r.can_deploy for r in roles.values())
    names = known_workspaces()
    counts: dict[int, dict[str, int]] = {}
    registries: dict[int, Integration] = {}
    for tab in catalogue.TABS:
        rows = (
            session()
            .execute(
                select(Integration, func.count(Space.id))
                .join(Space, Space.integration_id == Integration.id)
                .where(catalogue.visibility(workspace_id, tab))
                .group_by(Integration.id)
            )
            .all()
        )
        for integration, count in rows:
            registries[integration.id] = integration
            counts.setdefault(integration.id, dict.fromkeys(catalogue.TABS, 0))[tab] = count
    notice = None
    if workspace_id is None:
        notice = gettext(
            "Namespace %(namespace)s is not bound to any workspace, so only public mirror "
            "spaces are available to it.",
            namespace=namespace,
        )
    elif not can_deploy:
        notice = gettext(
            "You can browse these images, but your role in this workspace cannot deploy."
        )
    return jsonify(
        {
            "namespace": namespace,
            "workspace": {"id": workspace_id, "name": names.get(workspace_id, workspace_id)}
            if workspace_id
            else None,
            "can_deploy": can_deploy,
            "notice": notice,
            # For the picker's Refresh (a POST): same-origin reads only, like the pages' meta tag.
            "csrf_token": csrf_token(),
            "registries": [
                {**_registry_json(r), "spaces": counts[r.id]}
                for r in sorted(registries.values(), key=lambda r: r.name)
            ],
        }
    )


def picker_spaces() -> ResponseReturnValue:
    _, workspace_id = _scope()
    query = catalogue.visible_spaces(workspace_id, _tab_arg()).order_by(
        Space.name, Integration.name
    )
    registry = request.args.get("registry", "")
    if registry:
        registry_id = parse_int(registry)
        if registry_id is None:
            abort(400, description=gettext("'registry' must be a registry id."))
        query = query.where(Integration.id == registry_id)
    text = request.args.get("q", "").strip().lower()
    if text:
        query = query.where(Space.name.contains(text, autoescape=True))
    page, per_page = _paging_args()
    # The picker answers the page asked for, empty past the end (its script stops at "pages").
    found = paginate(query, page, per_page, scalars=False, past_end_shows_last=False)
    return jsonify(
        {
            **found.counts(),
            "items": [
                {
                    "id": space.id,
                    "name": space.name,
                    "public": space.public,
                    "repo_count": space.repo_count,
                    "access": catalogue.access(space, integration),
                    "registry": _registry_json(integration),
                }
                for space, integration in found.items
            ],
        }
    )


def _space_or_404(workspace_id: str | None) -> tuple[Space, Integration]:
    raw = request.args.get("space", "")
    space_id = parse_int(raw)
    found = catalogue.visible_space(workspace_id, space_id) if space_id else None
    if found is None:
        abort(404, description=gettext(SPACE_NOT_FOUND))
    return found


def _repository_json(
    repo: searchindex.IndexedRepository, registries: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """One search result; ``registries`` keeps each registry's JSON made once per response."""
    space, integration = repo.space, repo.space.registry
    registry = registries.get(integration.id)
    if registry is None:
        registry = registries[integration.id] = _registry_json(integration)
    return {
        "name": repo.name,
        "space_id": space.id,
        "space": space.name,
        "short_name": repo.name[len(space.name) + 1 :] if "/" in repo.name else repo.name,
        "artifact_count": repo.artifact_count,
        "registry": registry,
        "image": f"{integration.registry_host}/{repo.name}",
    }


def _no_refresh_on_get() -> None:
    """``refresh=1`` on a GET used to call the registry; a GET no longer may (405)."""
    if request.args.get("refresh"):
        raise MethodNotAllowed(
            valid_methods=["POST"],
            description=gettext(
                "Refreshing asks the registry: send POST to this URL, with the same query "
                "parameters and the X-Mirror-CSRF header (refresh=1 on GET is not supported)."
            ),
        )


def _repositories(*, refresh: bool) -> ResponseReturnValue:
    """Answered from this worker's search index (:mod:`mirror_plugin.services.searchindex`), which
    applies the same visibility rule as the SQL the other picker lists use."""
    _, workspace_id = _scope()
    tab = _tab_arg()
    error = None
    index = searchindex.index()
    space_id = None
    if request.args.get("space") or refresh:
        if refresh:
            space, integration = _space_or_404(workspace_id)
            limit_registry_call()
            job = catalogue.start_refresh(space, integration, actor=require_principal().id)
            if not job.finished:  # a slow registry: the picker polls the job
                return serialised(accepted(job), 202)
            shown = shown_job_error(job)
            error = shown.message if shown else None
        found = index.space(workspace_id, parse_int(request.args.get("space", "")))
        if found is None:
            abort(404, description=gettext(SPACE_NOT_FOUND))
        space_id, tab = found.id, None
    page, per_page = _paging_args()
    text = request.args.get("q", "").strip()

    def search(offset: int, limit: int) -> tuple[int, list[searchindex.IndexedRepository]]:
        return index.search(
            workspace_id, text, tab=tab, space_id=space_id, offset=offset, limit=limit
        )

    listed = page_of_counted(search, page, per_page, past_end_shows_last=False)
    registries: dict[int, dict[str, Any]] = {}
    return jsonify(
        {
            **listed.counts(),
            "error": error,
            "items": [_repository_json(row, registries) for row in listed.items],
        }
    )


def picker_repositories() -> ResponseReturnValue:
    """A space's repositories (``space=ID``), or a search across every visible space."""
    _no_refresh_on_get()
    return _repositories(refresh=False)


def picker_refresh_repositories() -> ResponseReturnValue:
    """Re-list one space's repositories from the registry (a "refresh" job), then answer as the
    GET does; a registry slower than ``MIRROR_REFRESH_WAIT`` gets a 202 with the job instead."""
    return _repositories(refresh=True)


def _tags(*, refresh: bool) -> ResponseReturnValue:
    _, workspace_id = _scope()
    space, integration = _space_or_404(workspace_id)
    repository = request.args.get("repository", "")
    if not catalogue.known_repository(space, repository):
        abort(404, description=gettext("No such repository in this space."))
    result = catalogue.tags(
        space, integration, repository, refresh=refresh, before_fetch=limit_registry_call
    )
    if result.get("error"):
        result["error"] = shown_message(None, result["error"])
    text = request.args.get("q", "").strip()
    items = [i for i in result["items"] if not text or text.lower() in (i.get("tag") or "").lower()]
    image = f"{integration.registry_host}/{repository}"
    for item in items:
        item.update(catalogue.pull_references(image, item))
    return jsonify(
        {**result, "items": items, "image": image, "registry": _registry_json(integration)}
    )


def picker_tags() -> ResponseReturnValue:
    """A repository's tags from the shared cache (the registry only when the cache is stale)."""
    _no_refresh_on_get()
    return _tags(refresh=False)


def picker_refresh_tags() -> ResponseReturnValue:
    """A repository's tags fetched from the registry now (the picker's Refresh)."""
    return _tags(refresh=True)


def picker_faq() -> ResponseReturnValue:
    """ "Can't find your image?": the FAQ checks for the namespace (and an image, if given)."""
    namespace, workspace_id = _scope()
    image = request.args.get("image", "").strip()
    plugin = mirror_state().plugin
    if image:
        return jsonify(plugin.explain(namespace, image).to_dict())
    visible = {
        tab: int(
            session().scalar(
                select(func.count()).select_from(
                    catalogue.visible_spaces(workspace_id, tab).subquery()
                )
            )
            or 0
        )
        for tab in catalogue.TABS
    }
    name = known_workspaces().get(workspace_id or "", workspace_id)
    checks = [
        {
            "key": "namespace",
            "question": gettext("Is the Kubernetes namespace bound to a workspace?"),
            "status": "pass" if workspace_id else "fail",
            "answer": (
                gettext(
                    "Namespace %(namespace)s belongs to workspace %(workspace)s.",
                    namespace=namespace,
                    workspace=name,
                )
                if workspace_id
                else gettext(
                    "Namespace %(namespace)s is not bound to any workspace, so only public "
                    "mirror spaces are available to it.",
                    namespace=namespace,
                )
            ),
        },
        {
            "key": "bound",
            "question": gettext("Are mirror spaces bound to the namespace's workspace?"),
            "status": "pass" if visible["private"] else ("skip" if not workspace_id else "fail"),
            "answer": (
                ngettext(
                    "%(num)s private space is bound to workspace %(workspace)s. If the space "
                    "you need is not among them, ask the platform Admin to bind it.",
                    "%(num)s private spaces are bound to workspace %(workspace)s. If the space "
                    "you need is not among them, ask the platform Admin to bind it.",
                    visible["private"],
                    workspace=name,
                )
                if visible["private"]
                else gettext(
                    "No private space is bound to workspace %(workspace)s; ask the platform "
                    "Admin to bind the one you need.",
                    workspace=name,
                )
            )
            if workspace_id
            else gettext("Private spaces are bound to workspaces; this namespace has none."),
        },
        {
            "key": "visibility",
            "question": gettext("Is the mirror space public or private?"),
            "status": "pass",
            "answer": ngettext(
                "%(num)s public space is visible to every namespace; private spaces appear "
                "only once bound. Select Image lists them on its Public and Private tabs.",
                "%(num)s public spaces are visible to every namespace; private spaces appear "
                "only once bound. Select Image lists them on its Public and Private tabs.",
                visible["public"],
            ),
        },
    ]
    return jsonify({"decision": None, "checks": checks, "visible": visible})


def register(bp: Blueprint) -> None:
    """The Select Image picker's endpoints."""
    bp.add_url_rule("/api/picker/context", view_func=picker_context, methods=["GET"])
    bp.add_url_rule("/api/picker/spaces", view_func=picker_spaces, methods=["GET"])
    bp.add_url_rule("/api/picker/repositories", view_func=picker_repositories, methods=["GET"])
    bp.add_url_rule(
        "/api/picker/repositories", view_func=picker_refresh_repositories, methods=["POST"]
    )
    bp.add_url_rule("/api/picker/tags", view_func=picker_tags, methods=["GET"])
    bp.add_url_rule("/api/picker/tags", view_func=picker_refresh_tags, methods=["POST"])
    bp.add_url_rule("/api/picker/faq", view_func=picker_faq, methods=["GET"])
