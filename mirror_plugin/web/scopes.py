"""Who may see and manage which registries: the platform's, or one workspace's.

Platform integrations belong to the platform Admin. A workspace's warehouses are visible to the
workspace's members and managed by its Workspace Admins (and the platform Admin). Anyone else
gets a 404, the same answer as for a workspace or integration that does not exist, so tenants
cannot probe each other's setup.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort

from mirror_plugin.adapter import Principal, Role
from mirror_plugin.i18n import N_, _
from mirror_plugin.models import Integration
from mirror_plugin.params import is_id
from mirror_plugin.services.tenancy import known_workspaces
from mirror_plugin.state import mirror_state
from mirror_plugin.web.access import require_principal, workspace_roles

NOT_FOUND = N_("No such registry here.")


@dataclass(frozen=True)
class RegistryScope:
    """The platform (``workspace_id == ""``) or one workspace, as the current user sees it."""

    workspace_id: str
    workspace_name: str
    can_manage: bool

    @property
    def is_platform(self) -> bool:
        return not self.workspace_id

    @property
    def title(self) -> str:
        return _("Warehouse Integration") if self.is_platform else _("Workspace warehouses")


def _workspace_name(workspace_id: str) -> str | None:
    return known_workspaces().get(workspace_id)


def resolve(workspace_id: str | None, *, manage: bool = False) -> RegistryScope:
    """The scope for this request, or abort 403 (platform) / 404 (foreign workspace)."""
    principal = require_principal()
    if not workspace_id:
        if not principal.is_platform_admin:
            abort(
                403,
                description=_(
                    "Warehouse Integration is the platform Admin's page; your account "
                    "cannot open it."
                ),
            )
        return RegistryScope("", _("Platform"), can_manage=True)
    return _workspace_scope(principal, workspace_id, manage=manage)


def _workspace_scope(principal: Principal, workspace_id: str, *, manage: bool) -> RegistryScope:
    role = workspace_roles(principal).get(workspace_id)
    if role is None and not principal.is_platform_admin:
        abort(404, description=_(NOT_FOUND))
    name = _workspace_name(workspace_id)
    if name is None:
        abort(404, description=_(NOT_FOUND))
    can_manage = principal.is_platform_admin or role is Role.ADMIN
    if manage and not can_manage:
        abort(
            403,
            description=_(
                "Only a Workspace Admin of this workspace adds, changes or removes its warehouses."
            ),
        )
    return RegistryScope(workspace_id, name, can_manage=can_manage)


def integration_or_404(
    integration_id: int, *, manage: bool = False
) -> tuple[Integration, RegistryScope]:
    """Load an integration the user may see (and manage), answering 404 otherwise."""
    principal = require_principal()
    session = mirror_state().db.session
    row = session.get(Integration, integration_id) if is_id(integration_id) else None
    if row is None:
        abort(404, description=_(NOT_FOUND))
    if row.is_platform:
        if not principal.is_platform_admin:
            abort(404, description=_(NOT_FOUND))
        return row, RegistryScope("", _("Platform"), can_manage=True)
    return row, _workspace_scope(principal, row.workspace_id, manage=manage)
