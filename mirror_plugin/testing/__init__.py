"""Helpers for host teams' tests: a ready, in-memory host adapter.

adapter = FakeHostAdapter(
    workspaces={"ws-a": "Team A"},
    namespaces={"prod/a": "ws-a", "sandbox": None},
    roles={"alice": {"ws-a": "admin"}},
    platform_admins={"root"},
)
adapter.login("alice")   # the user of the following requests
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mirror_plugin.adapter import Principal, Role, UnknownNamespace, Workspace
from mirror_plugin.testing.harbor import HarborEmulator


class FakeHostAdapter:
    """Implements :class:`mirror_plugin.adapter.HostAdapter` from plain dicts."""

    def __init__(
        self,
        *,
        workspaces: Mapping[str, str] | None = None,
        namespaces: Mapping[str, str | None] | None = None,
        roles: Mapping[str, Mapping[str, str | Role]] | None = None,
        platform_admins: Iterable[str] = (),
    ) -> None:
        self.workspaces: dict[str, str] = dict(workspaces or {})
        self.namespaces: dict[str, str | None] = dict(namespaces or {})
        self.roles: dict[str, dict[str, Role]] = {
            user: {ws: Role(role) for ws, role in granted.items()}
            for user, granted in (roles or {}).items()
        }
        self.platform_admins: set[str] = set(platform_admins)
        self.user_id: str | None = None
        #: What the optional ``locale()`` method answers (``None``: Accept-Language decides).
        self.language: str | None = None

    def login(self, user_id: str | None) -> None:
        """Make ``user_id`` the user of the following requests (``None``: anonymous)."""
        self.user_id = user_id

    def locale(self) -> str | None:
        return self.language

    def current_user(self) -> Principal | None:
        if self.user_id is None:
            return None
        return Principal(self.user_id, self.user_id, self.user_id in self.platform_admins)

    def workspace_roles(self, user_id: str) -> dict[str, Role]:
        return dict(self.roles.get(user_id, {}))

    def list_workspaces(self) -> list[Workspace]:
        return [Workspace(ws, name) for ws, name in self.workspaces.items()]

    def workspace_of_namespace(self, namespace: str) -> str | None:
        try:
            return self.namespaces[namespace]
        except KeyError:
            raise UnknownNamespace(namespace) from None

    def namespaces_of_workspace(self, workspace_id: str) -> list[str]:
        return [ns for ns, ws in self.namespaces.items() if ws == workspace_id]


__all__ = ["FakeHostAdapter", "HarborEmulator"]
