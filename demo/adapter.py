"""``ConsoleAdapter``: what the plugin asks the console, answered from the console's tables.

The plugin never imports host models; it calls these five methods (see
``mirror_plugin.adapter.HostAdapter``). User ids handed to the plugin are usernames, so what the
plugin records (binding authors, audit actors) reads well and survives a database rebuild.
"""

from __future__ import annotations

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from mirror_plugin.adapter import Principal, Role, UnknownNamespace, Workspace

from .models import Membership, Namespace, User, db
from .models import Workspace as WorkspaceRow


class ConsoleAdapter:
    """Implements :class:`mirror_plugin.HostAdapter` with Flask-Login and the console's models."""

    def current_user(self) -> Principal | None:
        # CLI commands (``flask mirror check``) run without a request: nobody is signed in.
        if not has_request_context() or not current_user.is_authenticated:
            return None
        user: User = current_user._get_current_object()  # type: ignore[attr-defined]
        return Principal(user.username, user.display_name, bool(user.is_platform_admin))

    def workspace_roles(self, user_id: str) -> dict[str, Role]:
        if has_request_context() and current_user.is_authenticated:
            user: User = current_user._get_current_object()  # type: ignore[attr-defined]
            if user.username == user_id:  # loaded with its memberships: no second query
                return {m.workspace_id: Role(m.role) for m in user.memberships}
        rows = db.session.execute(
            select(Membership.workspace_id, Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(User.username == user_id)
        ).all()
        return {workspace_id: Role(role) for workspace_id, role in rows}

    def list_workspaces(self) -> list[Workspace]:
        rows = db.session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.id))
        return [Workspace(row.id, row.name) for row in rows]

    def workspace_of_namespace(self, namespace: str) -> str | None:
        row = db.session.get(Namespace, namespace)
        if row is None:
            raise UnknownNamespace(namespace)
        return row.workspace_id

    def namespaces_of_workspace(self, workspace_id: str) -> list[str]:
        return list(
            db.session.scalars(
                select(Namespace.id)
                .where(Namespace.workspace_id == workspace_id)
                .order_by(Namespace.id)
            )
        )
