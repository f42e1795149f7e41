"""Audit events, and the tail every audited change ends with: record, commit, then signal.

A change and its audit event commit in one transaction, so the log never shows a change that
did not happen nor misses one that did. Signals go only after the commit: a host's receiver
never sees a change that was rolled back, and a receiver's failure cannot undo it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from blinker import NamedSignal
from flask import current_app

from mirror_plugin.models import AuditEvent
from mirror_plugin.state import session

if TYPE_CHECKING:
    from mirror_plugin.state import SessionLike


def event(
    *,
    actor: str,
    action: str,
    integration: str = "",
    space: str = "",
    workspaces: Iterable[str] = (),
    **detail: Any,
) -> AuditEvent:
    """An audit event, not yet added to any session.

    ``detail`` must never hold secrets: callers pass counts, names and flags only.
    """
    return AuditEvent(
        actor=actor,
        action=action,
        integration_name=integration,
        space_name=space,
        workspace_ids=sorted(set(workspaces)),
        detail=detail,
    )


def record(db_session: SessionLike, **fields: Any) -> AuditEvent:
    """Add an audit event to ``db_session``, for a change whose caller commits it later."""
    added = event(**fields)
    db_session.add(added)
    return added


@dataclass(frozen=True)
class Notice:
    """A signal to send once the change is committed, with its keyword arguments."""

    signal: NamedSignal
    kwargs: dict[str, Any] = field(default_factory=dict)


def notice(signal: NamedSignal, **kwargs: Any) -> Notice:
    return Notice(signal, kwargs)


def commit_change(*events: AuditEvent, notify: Iterable[Notice] = ()) -> None:
    """Add ``events`` to the change's transaction, commit it, then send ``notify`` in order
    with the app as sender. A failing commit raises before any signal is sent."""
    db_session = session()
    db_session.add_all(events)
    db_session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for sent in notify:
        sent.signal.send(app, **sent.kwargs)
