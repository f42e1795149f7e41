"""Mirror spaces of one integration: listing for the Warehouse Space page, create, delete, flip.

Harbor is the source of truth for its projects: create, delete and public/private go to Harbor
first and are mirrored in our table only once Harbor accepted them. A Docker Registry has no
projects, so its spaces cannot be created or deleted here, and their visibility is ours alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, get_args

from sqlalchemy import ColumnElement, or_, select

from mirror_plugin.i18n import _
from mirror_plugin.models import (
    Binding,
    Integration,
    RegistryHost,
    Space,
    SpaceSort,
    SpaceTab,
    utcnow,
)
from mirror_plugin.registry.drivers import driver_for
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.services import audit
from mirror_plugin.services.errors import Conflict, InvalidInput
from mirror_plugin.services.integrations import purge_spaces
from mirror_plugin.services.paging import Page, paginate
from mirror_plugin.services.registry_client import http_for_row
from mirror_plugin.signals import bindings_changed
from mirror_plugin.state import session

HARBOR_PROJECT_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
#: The list's orders and tabs are named once, in models (SpaceSort, SpaceTab): the API's query
#: model reads the same names. "-" first sorts descending.
_SORTED_BY = {"name": Space.name, "repos": Space.repo_count}
SORTS: dict[str, ColumnElement[Any]] = {
    sort: _SORTED_BY[sort.lstrip("-")].desc() if sort[0] == "-" else _SORTED_BY[sort].asc()
    for sort in get_args(SpaceSort)
}
TABS: tuple[str, ...] = get_args(SpaceTab)


@dataclass
class SpacePage(Page[Space]):
    """A page of spaces with the workspaces each is bound to."""

    bindings: dict[int, list[str]] = field(default_factory=dict)


def list_spaces(
    integration: Integration,
    *,
    tab: str = "all",
    search: str = "",
    sort: str = "name",
    page: int = 1,
    per_page: int = 20,
) -> SpacePage:
    query = select(Space).where(Space.integration_id == integration.id)
    if tab == "public":
        query = query.where(Space.public.is_(True))
    elif tab == "private":
        query = query.where(Space.public.is_(False))
    if search:
        query = query.where(Space.name.contains(search.lower(), autoescape=True))
    found = paginate(query.order_by(SORTS.get(sort, SORTS["name"]), Space.name), page, per_page)
    items = found.items
    return SpacePage(items, found.page, per_page, found.total, bindings_of([s.id for s in items]))


def reached_through_warehouses(integration: Integration, names: list[str]) -> dict[str, list[str]]:
    """Space name -> workspaces whose own warehouse on this same registry found that space.

    A Workspace Admin may connect the platform's Harbor as their workspace's warehouse; its
    sync brings in what that account can read, and the rule opens those spaces to the
    workspace, bound or not. The platform Admin sees it on the space's row. "The same
    registry" is any shared host key: URL, other names or recorded addresses.
    """
    keys = {integration.registry_host, *integration.aliases, *integration.addresses}
    if not names or not keys:
        return {}
    by_name = select(RegistryHost.integration_id).where(RegistryHost.host_key.in_(keys))
    rows = session().execute(
        select(Space.name, Integration.workspace_id)
        .join(Integration, Space.integration_id == Integration.id)
        .where(
            Integration.workspace_id != "",
            or_(Integration.registry_host.in_(keys), Integration.id.in_(by_name)),
            Space.name.in_(names),
        )
        .order_by(Integration.workspace_id)
    )
    found: dict[str, list[str]] = {}
    for name, workspace_id in rows:
        if workspace_id not in found.setdefault(name, []):
            found[name].append(workspace_id)
    return found


def bindings_of(space_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {space_id: [] for space_id in space_ids}
    rows = session().execute(
        select(Binding.space_id, Binding.workspace_id)
        .where(Binding.space_id.in_(space_ids))
        .order_by(Binding.workspace_id)
    )
    for space_id, workspace_id in rows:
        found[space_id].append(workspace_id)
    return found


def _manages_spaces(integration: Integration) -> bool:
    """Are this registry's spaces created, deleted and flipped upstream (Harbor projects)?"""
    return driver_for(integration.kind).manages_spaces


def create_space(integration: Integration, name: str, *, public: bool, actor: str) -> Space:
    name = name.strip()
    if not _manages_spaces(integration):
        raise InvalidInput(
            {
                "name": _(
                    "A Docker Registry has no projects: a space appears when an "
                    "image is pushed under that name."
                )
            }
        )
    if not HARBOR_PROJECT_NAME.fullmatch(name) or len(name) > 255:
        raise InvalidInput(
            {
                "name": _(
                    "Use lower-case letters and digits, separated by single "
                    "'.', '_' or '-' (up to 255 characters), e.g. team-a."
                )
            }
        )
    exists = session().scalar(
        select(Space.id).where(Space.integration_id == integration.id, Space.name == name)
    )
    if exists is not None:
        raise Conflict(
            _(
                "Space %(name)r already exists in %(registry)s.",
                name=name,
                registry=integration.name,
            )
        )
    try:
        upstream_id = driver_for(integration.kind).create_space(
            http_for_row(integration), name, public=public
        )
    except RegistryError as exc:
        if exc.category is Category.CONFLICT:
            raise Conflict(
                _(
                    "Harbor already has a project named %(name)r; refresh the spaces to see it.",
                    name=name,
                )
            ) from None
        raise
    space = Space(
        integration_id=integration.id,
        name=name,
        public=public,
        upstream_id=str(upstream_id) if upstream_id else None,
        repo_count=0,
        synced_at=utcnow(),
    )
    session().add(space)
    audit.commit_change(
        audit.event(
            actor=actor,
            action="space.created",
            integration=integration.name,
            space=name,
            public=public,
        )
    )
    return space


def set_public(space: Space, public: bool, *, actor: str) -> None:
    if space.public == public:
        return
    if _manages_spaces(space.integration):
        driver_for(space.integration.kind).set_public(
            http_for_row(space.integration), space.name, public
        )
    space.public = public
    from mirror_plugin.services.pull import enqueue, needs_robot

    if needs_robot(space.integration):
        workspaces = bindings_of([space.id])[space.id]
        enqueue(
            space.integration_id,
            workspaces,
            "space.made_public" if public else "space.made_private",
        )
    audit.commit_change(
        audit.event(
            actor=actor,
            action="space.made_public" if public else "space.made_private",
            integration=space.integration.name,
            space=space.name,
        )
    )


def delete_space(space: Space, *, actor: str) -> list[str]:
    """Delete in Harbor, then here with the space's bindings; returns the unbound workspaces."""
    integration = space.integration
    if not _manages_spaces(integration):
        raise Conflict(
            "Spaces of a Docker Registry come from its repositories: delete them in "
            "the registry and the space goes at the next refresh."
        )
    try:
        driver_for(integration.kind).delete_space(http_for_row(integration), space.name)
    except RegistryError as exc:
        if exc.category is Category.PRECONDITION:
            raise Conflict(
                f"Harbor refuses to delete {space.name} while it still has "
                "repositories; delete them in Harbor first."
            ) from None
        if exc.category is not Category.NOT_FOUND:  # already gone upstream: finish here
            raise
    name = space.name
    workspaces = purge_spaces([space.id])[space.id]
    session().expire_all()
    unbound = audit.notice(
        bindings_changed,
        integration=integration.name,
        space=name,
        bound=[],
        unbound=workspaces,
        actor=actor,
    )
    audit.commit_change(
        audit.event(
            actor=actor,
            action="space.deleted",
            integration=integration.name,
            space=name,
            workspaces=workspaces,
        ),
        notify=[unbound] if workspaces else [],
    )
    return workspaces
