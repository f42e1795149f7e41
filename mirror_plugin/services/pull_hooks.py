"""Changes outside the reconciler that alter a namespace's pull secret: a workspace
warehouse's credentials (created, changed, removed), and a platform Harbor removed with its
robots' entries. Each sends ``pull_credentials_changed`` for the workspaces concerned."""

from __future__ import annotations

from typing import Any

from flask import Flask

from mirror_plugin.registry.drivers import driver_for
from mirror_plugin.signals import integration_changed


def _on_integration_changed(app: Flask, *, integration: Any, action: str, **extra: Any) -> None:
    from mirror_plugin.services.pull import notify

    with app.app_context():
        if integration.workspace_id:
            notify(integration.workspace_id, f"warehouse_{action}")
        elif action == "deleted":
            for workspace in extra.get("unbound_workspaces") or []:
                notify(workspace, "integration_deleted")
        elif action == "updated" and driver_for(integration.kind).shares_pull_credentials:
            for workspace in _bound_workspaces(integration.id):
                notify(workspace, "registry_updated")


def _bound_workspaces(integration_id: int) -> list[str]:
    from sqlalchemy import select

    from mirror_plugin.models import Binding, Space
    from mirror_plugin.state import session

    return sorted(
        session().scalars(
            select(Binding.workspace_id)
            .join(Space, Space.id == Binding.space_id)
            .where(Space.integration_id == integration_id, Space.public.is_(False))
            .distinct()
        )
    )


def connect_signals(app: Flask) -> None:
    integration_changed.connect(_on_integration_changed, sender=app, weak=False)
