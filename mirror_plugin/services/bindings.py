"""Binding spaces to workspaces: set-like, idempotent, audited, safe under concurrency.

Every operation first locks the spaces it touches (SELECT ... FOR UPDATE in id order, so two
batches cannot deadlock, plus an UPDATE that changes nothing for SQLite's write lock). Reads of
the current bindings happen after the lock, so the changes reported to the audit log and to
the ``bindings_changed`` signal are exactly what was committed, and concurrent set operations
end in the last writer's set. Binding twice is a no-op; only workspaces the host reports may
be bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from mirror_plugin.i18n import _
from mirror_plugin.models import AuditEvent, Binding, Space, utcnow
from mirror_plugin.services import audit
from mirror_plugin.services.bulk import insert_rows
from mirror_plugin.services.errors import InvalidInput
from mirror_plugin.services.labels import BINDING_CHANGED
from mirror_plugin.services.pull import enqueue_spaces, notify_shared
from mirror_plugin.services.tenancy import known_workspaces
from mirror_plugin.signals import bindings_changed
from mirror_plugin.state import session


@dataclass
class BindingChange:
    """What one operation did to one space."""

    space_id: int
    space: str
    integration: str
    bound: list[str] = field(default_factory=list)
    unbound: list[str] = field(default_factory=list)
    workspaces: list[str] = field(default_factory=list)  # the space's bindings afterwards


def check_workspaces(workspace_ids: Iterable[str], *, allow_empty: bool = False) -> list[str]:
    """Deduplicated ids, or InvalidInput naming the unknown ones (a 422)."""
    wanted = sorted({str(w) for w in workspace_ids})
    if not wanted and not allow_empty:
        raise InvalidInput({"workspaces": _("Choose at least one workspace.")})
    known = known_workspaces()
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InvalidInput(
            {"workspaces": _("Unknown workspaces: %(ids)s.", ids=", ".join(unknown))}
        )
    return wanted


def _check_size(spaces: int, workspaces: int) -> None:
    limit = int(current_app.config["MIRROR_MAX_BINDING_PAIRS"])
    if spaces * max(workspaces, 1) > limit:
        raise InvalidInput(
            {
                "workspaces": _(
                    "%(spaces)s spaces x %(workspaces)s workspaces is more than the %(limit)s "
                    "space-workspace pairs one request may change; split it.",
                    spaces=spaces,
                    workspaces=workspaces,
                    limit=limit,
                )
            }
        )


def _locked_spaces(space_ids: Sequence[int]) -> list[Space]:
    ids = sorted(set(space_ids))
    if not ids:
        raise InvalidInput({"spaces": _("Choose at least one space.")})
    # Row locks in id order (PostgreSQL, MySQL): two batches never wait on each other in a
    # circle. SQLite ignores FOR UPDATE; the UPDATE that changes nothing takes its write lock.
    spaces = list(
        session().scalars(
            select(Space).where(Space.id.in_(ids)).order_by(Space.id).with_for_update()
        )
    )
    session().execute(update(Space).where(Space.id.in_(ids)).values(id=Space.id))
    missing = sorted(set(ids) - {s.id for s in spaces})
    if missing:
        session().rollback()
        raise InvalidInput(
            {"spaces": _("Unknown spaces: %(ids)s.", ids=", ".join(map(str, missing)))}
        )
    return spaces


def _current(space_ids: list[int]) -> dict[int, set[str]]:
    current: dict[int, set[str]] = {space_id: set() for space_id in space_ids}
    rows = session().execute(
        select(Binding.space_id, Binding.workspace_id).where(Binding.space_id.in_(space_ids))
    )
    for space_id, workspace_id in rows:
        current[space_id].add(workspace_id)
    return current


def _apply(
    spaces: list[Space], target: Callable[[set[str]], set[str]], *, actor: str, action: str
) -> list[BindingChange]:
    """Move every space from its bindings to ``target(bindings)``; audit, commit, signal."""
    current = _current([s.id for s in spaces])
    now = utcnow()
    changes: list[BindingChange] = []
    additions: list[dict[str, Any]] = []
    events: list[AuditEvent] = []
    for space in spaces:
        before = current[space.id]
        after = target(before)
        change = BindingChange(
            space.id,
            space.name,
            space.integration.name,
            bound=sorted(after - before),
            unbound=sorted(before - after),
            workspaces=sorted(after),
        )
        if change.unbound:
            session().execute(
                delete(Binding).where(
                    Binding.space_id == space.id, Binding.workspace_id.in_(change.unbound)
                )
            )
        additions += [
            {"space_id": space.id, "workspace_id": w, "created_at": now, "created_by": actor}
            for w in change.bound
        ]
        if change.bound or change.unbound:
            events.append(
                audit.event(
                    actor=actor,
                    action=action,
                    integration=change.integration,
                    space=space.name,
                    workspaces=change.bound + change.unbound,
                    bound=change.bound,
                    unbound=change.unbound,
                )
            )
        changes.append(change)
    if additions:
        insert_rows(Binding, additions)
    # The robots follow in the same transaction's outbox; Harbor is never called from here.
    enqueue_spaces({c.space_id: c.bound + c.unbound for c in changes}, action)
    changed = [c for c in changes if c.bound or c.unbound]
    audit.commit_change(
        *events,
        notify=[
            audit.notice(
                bindings_changed,
                integration=c.integration,
                space=c.space,
                bound=c.bound,
                unbound=c.unbound,
                actor=actor,
            )
            for c in changed
        ],
    )
    notify_shared({c.space_id: c.bound + c.unbound for c in changes}, action)
    return changes


def set_workspaces(space_id: int, workspace_ids: Iterable[str], *, actor: str) -> BindingChange:
    """The Bind Workspace dialog's OK: the space ends bound to exactly these workspaces."""
    wanted = set(check_workspaces(workspace_ids, allow_empty=True))
    _check_size(1, len(wanted))
    spaces = _locked_spaces([space_id])
    return _apply(spaces, lambda _: wanted, actor=actor, action=BINDING_CHANGED)[0]


def bind(
    space_ids: Sequence[int], workspace_ids: Iterable[str], *, actor: str
) -> list[BindingChange]:
    """Add bindings (batch); pairs that exist already are left as they are."""
    wanted = set(check_workspaces(workspace_ids))
    _check_size(len(set(space_ids)), len(wanted))
    spaces = _locked_spaces(space_ids)
    return _apply(spaces, lambda before: before | wanted, actor=actor, action=BINDING_CHANGED)


def unbind(
    space_ids: Sequence[int], workspace_ids: Iterable[str], *, actor: str
) -> list[BindingChange]:
    """Remove bindings (batch). Unknown-but-bound workspaces may be unbound too."""
    wanted = {str(w) for w in workspace_ids}
    if not wanted:
        raise InvalidInput({"workspaces": _("Choose at least one workspace.")})
    _check_size(len(set(space_ids)), len(wanted))
    spaces = _locked_spaces(space_ids)
    return _apply(spaces, lambda before: before - wanted, actor=actor, action=BINDING_CHANGED)
