"""What the host calls around deleting a workspace: what still refers to it, and forgetting it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select

from mirror_plugin.i18n import _, ngettext
from mirror_plugin.models import Binding, Integration, Space
from mirror_plugin.services import audit
from mirror_plugin.services.integrations import delete as delete_integration
from mirror_plugin.state import session


@dataclass
class WorkspaceReferences:
    """Bindings (``(registry, space)`` pairs) and workspace warehouses naming a workspace."""

    workspace_id: str
    bindings: list[tuple[str, str]] = field(default_factory=list)
    warehouses: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.bindings or self.warehouses)

    @property
    def summary(self) -> str:
        if not self:
            return _(
                "Nothing in the Mirror Warehouse refers to workspace %(workspace)s.",
                workspace=self.workspace_id,
            )
        return _(
            "Workspace %(workspace)s is bound to %(spaces)s and owns %(warehouses)s.",
            workspace=self.workspace_id,
            spaces=ngettext("%(num)s space", "%(num)s spaces", len(self.bindings)),
            warehouses=ngettext("%(num)s warehouse", "%(num)s warehouses", len(self.warehouses)),
        )


def references(workspace_id: str) -> WorkspaceReferences:
    rows = (
        session()
        .execute(
            select(Integration.name, Space.name)
            .join(Space, Space.integration_id == Integration.id)
            .join(Binding, Binding.space_id == Space.id)
            .where(Binding.workspace_id == workspace_id)
            .order_by(Integration.name, Space.name)
        )
        .all()
    )
    warehouses = list(
        session().scalars(
            select(Integration.name)
            .where(Integration.workspace_id == workspace_id)
            .order_by(Integration.name)
        )
    )
    return WorkspaceReferences(workspace_id, [(r[0], r[1]) for r in rows], warehouses)


def forget(workspace_id: str, *, actor: str) -> WorkspaceReferences:
    """Remove the workspace's bindings and warehouses (the host deleted it); audited."""
    found = references(workspace_id)
    from mirror_plugin.services.pull import enqueue_workspace

    enqueue_workspace(workspace_id, "workspace.forgotten")  # its robots go, via the outbox
    session().execute(delete(Binding).where(Binding.workspace_id == workspace_id))
    audit.commit_change(
        audit.event(
            actor=actor,
            action="workspace.forgotten",
            workspaces=[workspace_id],
            bindings=len(found.bindings),
            warehouses=found.warehouses,
        )
    )
    for row in list(
        session().scalars(select(Integration).where(Integration.workspace_id == workspace_id))
    ):
        delete_integration(row, actor=actor)
    return found
