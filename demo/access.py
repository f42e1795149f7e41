"""Who may see and deploy into which namespace, and what the chrome shows for a user.

Kept apart from the views so the deploy form, its POST handler and the Workloads page apply one
rule: platform Admins may use every namespace; members use their workspaces' namespaces (viewers
read-only) and the namespaces in no workspace (the sandbox), unless they only ever view.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from mirror_plugin import MenuItem, Role

from .models import Namespace, User, db

_ROLE_RANK = {Role.ADMIN: 0, Role.EDITOR: 1, Role.VIEWER: 2}
_ROLE_LABEL = {
    Role.ADMIN: _l("Workspace Admin"),
    Role.EDITOR: _l("Editor"),
    Role.VIEWER: _l("Viewer"),
}


@dataclass(frozen=True, slots=True)
class NamespaceAccess:
    """One namespace as the current user sees it."""

    id: str
    workspace_id: str | None
    workspace_name: str | None
    role: Role | None
    can_deploy: bool


def roles_of(user: User) -> dict[str, Role]:
    return {m.workspace_id: Role(m.role) for m in user.memberships}


def is_view_only(user: User) -> bool:
    """A member whose every role is viewer: may browse, never deploy."""
    roles = roles_of(user)
    if user.is_platform_admin or not roles:
        return False
    return not any(role.can_deploy for role in roles.values())


def namespaces_for(user: User) -> list[NamespaceAccess]:
    """The namespaces ``user`` may look at, each marked with whether they may deploy there."""
    roles = roles_of(user)
    view_only = is_view_only(user)
    result = []
    for ns in db.session.scalars(select(Namespace).order_by(Namespace.id)):
        name = ns.workspace.name if ns.workspace else None
        if user.is_platform_admin:
            result.append(NamespaceAccess(ns.id, ns.workspace_id, name, None, True))
        elif ns.workspace_id is None:
            result.append(NamespaceAccess(ns.id, None, None, None, not view_only))
        elif ns.workspace_id in roles:
            role = roles[ns.workspace_id]
            result.append(NamespaceAccess(ns.id, ns.workspace_id, name, role, role.can_deploy))
    return result


def role_badge(user: User) -> tuple[str, str]:
    """``(label, css modifier)`` for the top bar: the user's strongest role."""
    if user.is_platform_admin:
        return str(_l("Platform Admin")), "platform"
    memberships = sorted(user.memberships, key=lambda m: _ROLE_RANK[Role(m.role)])
    if not memberships:
        return str(_l("No workspace")), "none"
    best = memberships[0]
    role = Role(best.role)
    where = (
        best.workspace.name
        if len(memberships) == 1
        else str(_l("%(num)s workspaces", num=len(memberships)))
    )
    return f"{_ROLE_LABEL[role]} · {where}", role.value


def role_label(role: Role) -> str:
    """A workspace role's name in the console's language (the Workloads page's badge)."""
    return str(_ROLE_LABEL[role])


def may_see(item: MenuItem, user: User) -> bool:
    """Filter the plugin's menu entries by their ``requires``; unknown values stay hidden."""
    if item.requires == "member":
        return True
    if item.requires == "workspace_admin":
        return user.is_platform_admin or Role.ADMIN in roles_of(user).values()
    if item.requires == "platform_admin":
        return bool(user.is_platform_admin)
    return False
