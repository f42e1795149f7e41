"""Writing audit events: who changed what, when. Callers commit with their own change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mirror_plugin.models import AuditEvent

if TYPE_CHECKING:
    from mirror_plugin.state import SessionLike


def record(
    session: SessionLike,
    *,
    actor: str,
    action: str,
    integration: str = "",
    space: str = "",
    workspaces: Iterable[str] = (),
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to ``session`` (same transaction as the change it describes).

    ``detail`` must never hold secrets: callers pass counts, names and flags only.
    """
    event = AuditEvent(
        actor=actor,
        action=action,
        integration_name=integration,
        space_name=space,
        workspace_ids=sorted(set(workspaces)),
        detail=detail,
    )
    session.add(event)
    return event
