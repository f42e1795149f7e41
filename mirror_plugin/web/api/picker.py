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

from typing import cast

from flask import Blueprint, abort, request
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed

from mirror_plugin.adapter import UnknownNamespace
from mirror_plugin.i18n import gettext
from mirror_plugin.models import Health, Integration, RegistryKind, Scope, Space
from mirror_plugin.params import parse_int
from mirror_plugin.services import catalogue, searchindex
from mirror_plugin.services.paging import page_of_counted, paginate
from mirror_plugin.services.tenancy import known_workspaces, namespace_workspace
from mirror_plugin.state import mirror_state, session
from mirror_plugin.web.access import may_use_namespace, require_principal, workspace_roles
from mirror_plugin.web.api.declare import declared
from mirror_plugin.web.api.jobs import accepted, shown_job_error
from mirror_plugin.web.api.picker_faq import namespace_faq
from mirror_plugin.web.csrf import csrf_token
from mirror_plugin.web.disclosure import shown_last_error, shown_message
from mirror_plugin.web.ratelimit import limit_registry_call
from mirror_plugin.web.schemas import picker as schemas
from mirror_plugin.web.schemas.shared import Explanation, Job, WorkspaceRef

#: The document's tag for this area.
TAG = "Select Image"
REFRESH_GONE = (
    "refresh=1 on this GET is refused with 405 (it used to ask the registry from a GET): "
    "refreshing is the POST to the same URL, with the X-Mirror-CSRF header."
)
REFRESH_QUERY = (
    "The parameters are the GET's, in the query string; counts against the caller's registry limit."
)


def _scope(namespace: str) -> str | None:
    """The namespace's workspace id, after checking the caller may use the namespace."""
    if not may_use_namespace(require_principal(), namespace):
        abort(404, description=gettext("You have no namespace %(namespace)r.", namespace=namespace))
    try:
        return namespace_workspace(namespace)
    except UnknownNamespace:
        abort(404, description=gettext("You have no namespace %(namespace)r.", namespace=namespace))


def _registry(integration: Integration | searchindex.IndexedRegistry) -> schemas.PickerRegistry:
    return schemas.PickerRegistry(
        id=integration.id,
        name=integration.name,
        kind=RegistryKind(integration.kind),
        host=integration.registry_host,
        scope=Scope(integration.scope),
        health=Health(integration.health),
        last_error=shown_last_error(integration.last_error),
        age_seconds=catalogue.age_seconds(integration.last_synced_at),
    )


class _Registries(dict[int, schemas.PickerRegistry]):
    """Each registry's summary made once per page: a page lists many spaces or repositories
    of a few registries, and the lists are the picker's hot path."""

    def of(self, integration: Integration | searchindex.IndexedRegistry) -> schemas.PickerRegistry:
        found = self.get(integration.id)
        if found is None:
            found = self[integration.id] = _registry(integration)
        return found


def _no_refresh_on_get() -> None:
    """Before anything else: ``refresh=1`` on a GET used to call the registry; a GET no
    longer may (405). Then only signed-in users go on."""
    if request.args.get("refresh"):
        raise MethodNotAllowed(
            valid_methods=["POST"],
            description=gettext(
                "Refreshing asks the registry: send POST to this URL, with the same query "
                "parameters and the X-Mirror-CSRF header (refresh=1 on GET is not supported)."
            ),
        )
    require_principal()


@declared(
    "pickerContext",
    summary="The namespace's workspace, whether the user may deploy, and its registries",
    tag=TAG,
    gate=require_principal,
    query=schemas.PickerScope,
    ok=schemas.PickerContext,
    errors=(400, 404),
)
def picker_context(query: schemas.PickerScope) -> schemas.PickerContext:
    """Who the picker serves: the namespace, its workspace, whether the user may deploy,
    and the registries with something visible, per tab."""
    namespace = query.namespace
    workspace_id = _scope(namespace)
    principal = require_principal()
    roles = workspace_roles(principal)
    if workspace_id is not None:
        can_deploy = principal.is_platform_admin or (
            workspace_id in roles and roles[workspace_id].can_deploy
        )
    else:
        can_deploy = principal.is_platform_admin or any(r.can_deploy for r in roles.values())
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
    names = known_workspaces()
    return schemas.PickerContext(
        namespace=namespace,
        workspace=WorkspaceRef(id=workspace_id, name=names.get(workspace_id, workspace_id))
        if workspace_id
        else None,
        can_deploy=can_deploy,
        notice=notice,
        # For the picker's Refresh (a POST): same-origin reads only, like the pages' meta tag.
        csrf_token=csrf_token(),
        registries=[
            schemas.PickerContextRegistry(
                **_registry(r).model_dump(), spaces=schemas.TabCounts(**counts[r.id])
            )
            for r in sorted(registries.values(), key=lambda r: r.name)
        ],
    )


@declared(
    "pickerSpaces",
    summary="The spaces the namespace may see",
    tag=TAG,
    gate=require_principal,
    query=schemas.PickerSpacesQuery,
    ok=schemas.PickerSpacePage,
    errors=(400, 404),
)
def picker_spaces(query: schemas.PickerSpacesQuery) -> schemas.PickerSpacePage:
    workspace_id = _scope(query.namespace)
    listing = catalogue.visible_spaces(workspace_id, query.tab).order_by(
        Space.name, Integration.name
    )
    if query.registry is not None:
        listing = listing.where(Integration.id == query.registry)
    if query.q:
        listing = listing.where(Space.name.contains(query.q.lower(), autoescape=True))
    # The picker answers the page asked for, empty past the end (its script stops at "pages").
    found = paginate(listing, query.page, query.per_page, scalars=False, past_end_shows_last=False)
    registries = _Registries()
    return schemas.PickerSpacePage(
        **found.counts(),
        items=[
            schemas.PickerSpace(
                id=space.id,
                name=space.name,
                public=space.public,
                repo_count=space.repo_count,
                access=cast(schemas.Access, catalogue.access(space, integration)),
                registry=registries.of(integration),
            )
            for space, integration in found.items
        ],
    )


def _space_or_404(workspace_id: str | None, raw: str) -> tuple[Space, Integration]:
    space_id = parse_int(raw)
    found = catalogue.visible_space(workspace_id, space_id) if space_id else None
    if found is None:
        abort(404, description=gettext(schemas.SPACE_NOT_FOUND))
    return found


def _repository(
    repo: searchindex.IndexedRepository, registries: _Registries
) -> schemas.PickerRepository:
    """One search result."""
    space, integration = repo.space, repo.space.registry
    return schemas.PickerRepository(
        name=repo.name,
        space_id=space.id,
        space=space.name,
        short_name=repo.name[len(space.name) + 1 :] if "/" in repo.name else repo.name,
        artifact_count=repo.artifact_count,
        registry=registries.of(integration),
        image=f"{integration.registry_host}/{repo.name}",
    )


def _repositories(
    query: schemas.PickerRepositoriesQuery, workspace_id: str | None, error: str | None = None
) -> schemas.PickerRepositoryPage:
    """Answered from this worker's search index (:mod:`mirror_plugin.services.searchindex`), which
    applies the same visibility rule as the SQL the other picker lists use. ``error`` is a
    refresh's registry failure, already as the caller may see it."""
    tab = query.tab
    index = searchindex.index()
    space_id = None
    if query.space:
        found = index.space(workspace_id, parse_int(query.space))
        if found is None:
            abort(404, description=gettext(schemas.SPACE_NOT_FOUND))
        space_id, tab = found.id, None

    def search(offset: int, limit: int) -> tuple[int, list[searchindex.IndexedRepository]]:
        return index.search(
            workspace_id, query.q, tab=tab, space_id=space_id, offset=offset, limit=limit
        )

    listed = page_of_counted(search, query.page, query.per_page, past_end_shows_last=False)
    registries = _Registries()
    return schemas.PickerRepositoryPage(
        **listed.counts(),
        error=error,
        items=[_repository(row, registries) for row in listed.items],
    )


@declared(
    "pickerRepositories",
    summary="A space's repositories, or a search across every visible space",
    tag=TAG,
    gate=_no_refresh_on_get,
    query=schemas.PickerRepositoriesQuery,
    ok=schemas.PickerRepositoryPage,
    errors=(400, 404, 405),
    description=REFRESH_GONE,
)
def picker_repositories(query: schemas.PickerRepositoriesQuery) -> schemas.PickerRepositoryPage:
    """A space's repositories (``space=ID``), or a search across every visible space."""
    return _repositories(query, _scope(query.namespace))


@declared(
    "pickerRefreshRepositories",
    summary="Refresh: list a space's repositories from the registry again",
    tag=TAG,
    gate=require_principal,
    query=schemas.PickerRepositoriesQuery,
    ok={200: schemas.PickerRepositoryPage, 202: Job},
    errors=(400, 403, 404, 429, 503),
    headers={"Location": "202: the refresh job's status URL."},
    description=REFRESH_QUERY + " It needs space (404 without a space the namespace may see). "
    "A registry failure keeps the stored list and says so in 'error'. The refresh is a job "
    "(one per space): past MIRROR_REFRESH_WAIT the answer is 202 with the job; poll "
    "GET /api/jobs/{job_id}?namespace=..., then GET the list.",
)
def picker_refresh_repositories(
    query: schemas.PickerRepositoriesQuery,
) -> schemas.PickerRepositoryPage | tuple[Job, int, dict[str, str]]:
    """Re-list one space's repositories from the registry (a "refresh" job), then answer as the
    GET does; a registry slower than ``MIRROR_REFRESH_WAIT`` gets a 202 with the job instead."""
    workspace_id = _scope(query.namespace)
    space, integration = _space_or_404(workspace_id, query.space)
    limit_registry_call()
    job = catalogue.start_refresh(space, integration, actor=require_principal().id)
    if not job.finished:  # a slow registry: the picker polls the job
        return accepted(job)
    shown = shown_job_error(job)
    return _repositories(query, workspace_id, shown.message if shown else None)


def _tags(query: schemas.PickerTagsQuery, *, refresh: bool) -> schemas.PickerTags:
    workspace_id = _scope(query.namespace)
    space, integration = _space_or_404(workspace_id, query.space)
    if not catalogue.known_repository(space, query.repository):
        abort(404, description=gettext("No such repository in this space."))
    result = catalogue.tags(
        space, integration, query.repository, refresh=refresh, before_fetch=limit_registry_call
    )
    text = query.q.lower()
    image = f"{integration.registry_host}/{query.repository}"
    return schemas.PickerTags(
        # Field by field: a tag list cached by an older release may lack a key or have another.
        items=[
            schemas.PickerTag(
                tag=item.get("tag"),
                digest=item.get("digest"),
                size=item.get("size"),
                push_time=item.get("push_time"),
                index=bool(item.get("index")),
                platforms=item.get("platforms") or [],
                type=item.get("type"),
                **catalogue.pull_references(image, item),
            )
            for item in result["items"]
            if not text or text in (item.get("tag") or "").lower()
        ],
        stale=result["stale"],
        error=shown_message(None, result["error"]) if result.get("error") else result["error"],
        age_seconds=result["age_seconds"],
        image=image,
        registry=_registry(integration),
    )


@declared(
    "pickerTags",
    summary="A repository's tags, from the shared cache or the registry",
    tag=TAG,
    gate=_no_refresh_on_get,
    query=schemas.PickerTagsQuery,
    ok=schemas.PickerTags,
    errors=(400, 404, 405, 429, 503),
    description="Asking the registry (the cache is stale) counts against the caller's registry "
    "limit; a cache hit does not. " + REFRESH_GONE,
)
def picker_tags(query: schemas.PickerTagsQuery) -> schemas.PickerTags:
    """A repository's tags from the shared cache (the registry only when the cache is stale)."""
    return _tags(query, refresh=False)


@declared(
    "pickerRefreshTags",
    summary="Refresh: a repository's tags from the registry now",
    tag=TAG,
    gate=require_principal,
    query=schemas.PickerTagsQuery,
    ok=schemas.PickerTags,
    errors=(400, 403, 404, 429, 503),
    description=REFRESH_QUERY,
)
def picker_refresh_tags(query: schemas.PickerTagsQuery) -> schemas.PickerTags:
    """A repository's tags fetched from the registry now (the picker's Refresh)."""
    return _tags(query, refresh=True)


@declared(
    "pickerFaq",
    summary="Can't find your image? The FAQ checks for the namespace (and an image)",
    tag=TAG,
    gate=require_principal,
    query=schemas.PickerFaqQuery,
    ok=schemas.PickerFaq,
    errors=(400, 404),
)
def picker_faq(query: schemas.PickerFaqQuery) -> schemas.PickerFaq:
    """ "Can't find your image?": the FAQ checks for the namespace (and an image, if given)."""
    namespace = query.namespace
    workspace_id = _scope(namespace)
    if query.image:
        explained = mirror_state().plugin.explain(namespace, query.image)
        return schemas.PickerFaq(Explanation.model_validate(explained))
    return schemas.PickerFaq(namespace_faq(namespace, workspace_id))


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
