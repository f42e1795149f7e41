"""``ConsoleAdapter``: what the plugin asks the console, answered from the console's tables.

The plugin never imports host models; it calls these five methods (see
``mirror_plugin.adapter.HostAdapter``). User ids handed to the plugin are usernames, so what the
plugin records (binding authors, audit actors) reads well and survives a database rebuild.
"""

from __future__ import annotations

import time

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from mirror_plugin.adapter import Principal, Role, UnknownNamespace, Workspace

from .models import Membership, Namespace, User, db
from .models import Workspace as WorkspaceRow

#: The cookie holding the language chosen with the console's switch (``zh_Hans`` or ``en``).
LANGUAGE_COOKIE = "console_language"
#: Seconds the console answers namespace and membership questions from memory.
CACHE_TTL = 1.0
_UNKNOWN = object()


class ConsoleAdapter:
    """Implements :class:`mirror_plugin.HostAdapter` with Flask-Login and the console's models."""

    def __init__(self) -> None:
        self._namespaces: dict[str, tuple[object, float]] = {}
        self._roles: dict[str, tuple[dict[str, Role], float]] = {}

    def current_user(self) -> Principal | None:
        # CLI commands (``flask mirror check``) run without a request: nobody is signed in.
        if not has_request_context() or not current_user.is_authenticated:
            return None
        # The identity Flask-Login loaded (identity.py): no query of its own.
        return Principal(
            current_user.username, current_user.display_name, current_user.is_platform_admin
        )

    def locale(self) -> str | None:
        """The language chosen with the console's switch; none chosen: the browser's
        Accept-Language decides (the plugin's fallback). The console's own pages use the same
        answer (console.py), so the plugin and the console never speak two languages."""
        if not has_request_context():
            return None
        return request.cookies.get(LANGUAGE_COOKIE) or None

    def workspace_roles(self, user_id: str) -> dict[str, Role]:
        # Memberships are cached like namespaces (see workspace_of_namespace), per user.
        now = time.monotonic()
        cached = self._roles.get(user_id)
        if cached is not None and cached[1] > now:
            return dict(cached[0])
        rows = db.session.execute(
            select(Membership.workspace_id, Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(User.username == user_id)
        ).all()
        roles = {workspace_id: Role(role) for workspace_id, role in rows}
        self._roles[user_id] = (roles, now + CACHE_TTL)
        return dict(roles)

    def list_workspaces(self) -> list[Workspace]:
        rows = db.session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.id))
        return [Workspace(row.id, row.name) for row in rows]

    def workspace_of_namespace(self, namespace: str) -> str | None:
        # Namespaces rarely move between workspaces; like a Kubernetes informer cache, the
        # console answers from memory for CACHE_TTL seconds (the same bound the plugin gives
        # revocations across workers), sparing the deploy hook a query per call.
        now = time.monotonic()
        cached = self._namespaces.get(namespace)
        if cached is not None and cached[1] > now:
            workspace_id = cached[0]
        else:
            row = db.session.get(Namespace, namespace)
            workspace_id = _UNKNOWN if row is None else row.workspace_id
            self._namespaces[namespace] = (workspace_id, now + CACHE_TTL)
        if workspace_id is _UNKNOWN:
            raise UnknownNamespace(namespace)
        return workspace_id  # type: ignore[return-value]

    def namespaces_of_workspace(self, workspace_id: str) -> list[str]:
        return list(
            db.session.scalars(
                select(Namespace.id)
                .where(Namespace.workspace_id == workspace_id)
                .order_by(Namespace.id)
            )
        )
