"""Image List (the original console's 镜像列表): the images a workspace's namespaces may use,
for its members to browse and copy a pull reference from, outside any deploy form.

It answers exactly what Select Image answers for a namespace of the workspace: the listing is
:mod:`mirror_plugin.services.catalogue`'s (the same visibility condition, the same shared
tag
cache), so
there is no second copy of the rule to drift. Who may open it is :func:`scopes.resolve`'s
answer for the workspace's warehouses: its members and the platform Admin; anyone else gets
the 404 a workspace that does not exist gets.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from mirror_plugin.i18n import N_, _
from mirror_plugin.params import parse_int
from mirror_plugin.services import catalogue, searchindex
from mirror_plugin.services.paging import Page, page_of_counted
from mirror_plugin.web import scopes
from mirror_plugin.web.access import login_required
from mirror_plugin.web.disclosure import shown_message
from mirror_plugin.web.ratelimit import limit_registry_call

PER_PAGE = 25
UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
#: The tabs' titles, translated when a page shows them.
TAB_TITLES = {
    "": N_("All"),
    "public": N_("Public"),
    "private": N_("Private"),
    "workspace": N_("Workspace warehouses"),
}


def _tab() -> str:
    tab = request.args.get("tab", "")
    if tab and tab not in catalogue.TABS:
        abort(400, description=_("'tab' must be public, private or workspace."))
    return tab


def _page_of(workspace_id: str, search: str, tab: str | None) -> Page[Any]:
    """One page of the picker's search (its in-memory index, so both list the same
    repositories in the same order), each row (repository, space, registry); a page past the
    end shows the last one."""
    index = searchindex.index()

    def fetch(offset: int, limit: int) -> tuple[int, list[searchindex.IndexedRepository]]:
        return index.search(workspace_id, search, tab=tab, offset=offset, limit=limit)

    number = parse_int(request.args.get("page", "1"), high=10**6) or 1
    found = page_of_counted(fetch, number, PER_PAGE)
    rows = [(repo, repo.space, repo.space.registry) for repo in found.items]
    return Page(rows, found.page, found.per_page, found.total)


def human_size(size: object) -> str:
    """Bytes as people read them, in the picker's binary units (its ``humanSize``)."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "–"
    value, unit = float(size), 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value, unit = value / 1024, unit + 1
    shown = f"{value:.0f}" if unit == 0 or value >= 10 else f"{value:.1f}"
    return f"{shown} {UNITS[unit]}"


@login_required
def images_page(workspace_id: str) -> ResponseReturnValue:
    """The workspace's images, searched by repository name and filtered by the picker's tabs."""
    scope = scopes.resolve(workspace_id)
    tab, search = _tab(), request.args.get("q", "").strip()
    return render_template(
        "mirror_plugin/images.html",
        scope=scope,
        tab=tab,
        tabs={key: _(title) for key, title in TAB_TITLES.items()},
        search=search,
        access=catalogue.access,
        page=_page_of(workspace_id, search, tab or None),
    )


@login_required
def image_tags_page(workspace_id: str, space_id: int) -> ResponseReturnValue:
    """One repository's tags, each with its pull references by tag and by digest.

    The space is looked up through the workspace's visibility, so a space the workspace may
    not use is the same 404 as one that does not exist. Tags come from the cache the picker
    shares; a stale cache asks the registry, which counts against the user's registry limit.
    """
    scope = scopes.resolve(workspace_id)
    found = catalogue.visible_space(workspace_id, space_id)
    repository = request.args.get("repository", "")
    if found is None or not catalogue.known_repository(found[0], repository):
        abort(404, description=_("No such image in this workspace's Image List."))
    space, integration = found
    result = catalogue.tags(space, integration, repository, before_fetch=limit_registry_call)
    image = f"{integration.registry_host}/{repository}"
    return render_template(
        "mirror_plugin/image_tags.html",
        scope=scope,
        space=space,
        integration=integration,
        repository=repository,
        image=image,
        access=catalogue.access(space, integration),
        error=shown_message(None, result["error"]) if result.get("error") else None,
        stale=result["stale"],
        artifacts=[{**a, **catalogue.pull_references(image, a)} for a in result["items"]],
    )


def register(bp: Blueprint) -> None:
    """The Image List pages."""
    bp.add_app_template_filter(human_size, "mirror_size")
    bp.add_url_rule("/workspaces/<workspace_id>/images", view_func=images_page, methods=["GET"])
    bp.add_url_rule(
        "/workspaces/<workspace_id>/images/<mirror_id:space_id>/tags",
        view_func=image_tags_page,
        methods=["GET"],
    )
