"""The pages every signed-in user has: the Mirror Warehouse overview and "Can't find your
image?". Both show a member only what the rule lets their workspaces use."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import and_, func, or_, select

from mirror_plugin.i18n import _
from mirror_plugin.models import Binding, Integration, Space
from mirror_plugin.services.tenancy import known_workspaces
from mirror_plugin.state import mirror_state
from mirror_plugin.web.access import (
    current_principal,
    login_required,
    may_use_namespace,
    workspace_roles,
)


def _session() -> Any:
    return mirror_state().db.session


@login_required
def index() -> str:
    """Mirror Warehouse overview: the registries this user may see and their spaces.

    The platform Admin sees every space; anyone else counts only the spaces their workspaces
    may use (public ones, private ones bound to them, their own warehouses'), never another
    team's private spaces.
    """
    principal = current_principal()
    assert principal is not None
    roles = workspace_roles(principal)
    counted = Space.integration_id == Integration.id
    if not principal.is_platform_admin:
        bound = select(Binding.space_id).where(Binding.workspace_id.in_(list(roles)))
        counted = and_(
            counted,
            or_(Space.public.is_(True), Integration.workspace_id != "", Space.id.in_(bound)),
        )
    query = (
        select(
            Integration,
            func.count(Space.id.distinct()).label("spaces"),
            func.coalesce(func.sum(Space.repo_count), 0).label("repositories"),
        )
        .outerjoin(Space, counted)
        .group_by(Integration.id)
        .order_by(Integration.scope, Integration.name)
    )
    if not principal.is_platform_admin:
        # Platform registries serve every workspace (public spaces at least); a workspace's
        # own warehouses are for its members only.
        query = query.where(Integration.workspace_id.in_([*roles, ""]))
    session = _session()
    return render_template(
        "mirror_plugin/index.html",
        integrations=session.execute(query).all(),
        binding_count=session.scalar(select(func.count(Binding.id))) or 0,
        roles=roles,
        workspace_names=known_workspaces(),
    )


def my_namespaces() -> dict[str, list[str]]:
    """Workspace name -> the namespaces of it the current user may check (all workspaces for
    the platform Admin), for the explain page's choice."""
    principal = current_principal()
    if principal is None:
        return {}
    host = mirror_state().host
    roles = workspace_roles(principal)
    chosen: dict[str, list[str]] = {}
    for workspace in host.list_workspaces():
        if principal.is_platform_admin or workspace.id in roles:
            namespaces = sorted(host.namespaces_of_workspace(workspace.id))
            if namespaces:
                chosen[workspace.name] = namespaces
    return chosen


@login_required
def explain_page() -> str:
    """ "Can't find your image?": the FAQ checks for one namespace and image, as a page."""
    namespace = request.args.get("namespace", "").strip()
    image = request.args.get("image", "").strip()
    explanation = None
    if namespace and image:
        principal = current_principal()
        assert principal is not None
        if not may_use_namespace(principal, namespace):
            abort(404, description=_("You have no namespace %(namespace)r.", namespace=namespace))
        explanation = mirror_state().plugin.explain(namespace, image)
    return render_template(
        "mirror_plugin/explain.html",
        namespace=namespace,
        image=image,
        explanation=explanation,
        namespaces=my_namespaces(),
    )


def register(bp: Blueprint) -> None:
    """The overview and the "Can't find your image?" page."""
    bp.add_url_rule("/", view_func=index)
    bp.add_url_rule("/explain", view_func=explain_page)
