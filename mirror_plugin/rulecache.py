"""Each worker's in-memory snapshot of what the visibility rule reads, kept fresh.

``check_image`` must answer tens of thousands of times a second, and must stop allowing an
image as soon as its binding is revoked. A snapshot of integrations, spaces and bindings
answers from memory; a one-row generation counter, bumped by database triggers on every
write to those tables (migration 0003), says when it is out of date:

- after any commit on this worker's engine, the next decision re-reads the counter, so a
  revocation committed in this process takes effect at the very next decision;
- otherwise the counter is re-read at most every ``MIRROR_RULE_REFRESH_SECONDS`` (0.5 s), so
  a revocation committed by another worker or tool takes effect within that bound.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, event, select

from .models import Binding, Integration, RuleGeneration, Space
from .rule import RegistryFacts, SpaceFacts

_NO_BINDINGS: frozenset[str] = frozenset()


class RuleSnapshot:
    """Integrations by registry key, and each integration's spaces with their bindings."""

    def __init__(self, connection: Any) -> None:
        self.by_host: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
        for row in connection.execute(
            select(
                Integration.id,
                Integration.name,
                Integration.registry_host,
                Integration.workspace_id,
            ).order_by(Integration.id)
        ):
            self.by_host[row.registry_host].append((row.id, row.name, row.workspace_id or None))
        bound: dict[int, set[str]] = defaultdict(set)
        for space_id, workspace_id in connection.execute(
            select(Binding.space_id, Binding.workspace_id)
        ):
            bound[space_id].add(workspace_id)
        self.spaces: dict[tuple[int, str], SpaceFacts] = {}
        for space_id, integration_id, name, public in connection.execute(
            select(Space.id, Space.integration_id, Space.name, Space.public)
        ):
            workspaces = frozenset(bound[space_id]) if space_id in bound else _NO_BINDINGS
            self.spaces[(integration_id, name)] = SpaceFacts(name, bool(public), workspaces)
        self.by_host = dict(self.by_host)

    def registries_at(
        self, host_key: str, space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        found = self.by_host.get(host_key)
        if not found:
            return ()
        return [
            RegistryFacts(name, owner, self.spaces.get((integration_id, space)))
            for integration_id, name, owner in found
        ]


class RuleCache:
    """One per app: the current snapshot, reloaded when the generation counter moved."""

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self.snapshot: RuleSnapshot | None = None
        self.workspace_names: dict[str, str] = {}
        self.generation: int | None = None
        self.checked_at = 0.0
        self.dirty = True
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    def _watch(self, db: Any) -> Engine:
        """The engine to read from, listened to once for commits."""
        if self._engine is None:
            self._engine = db.engine
            event.listen(self._engine, "commit", self._committed)
        return self._engine

    def _committed(self, connection: Any) -> None:
        self.dirty = True

    def facts(self, db: Any, host: Any) -> RuleSnapshot:
        """The current snapshot; re-reads the counter when due, reloads when it moved.

        ``db`` is the host's Flask-SQLAlchemy; its engine is only looked up on a refresh, which
        keeps the common path to two attribute reads and a clock read.
        """
        snapshot = self.snapshot
        if (
            snapshot is not None
            and not self.dirty
            and time.monotonic() - self.checked_at < self.refresh_seconds
        ):
            return snapshot
        with self._lock:
            engine = self._watch(db)
            if (
                self.snapshot is not None
                and not self.dirty
                and time.monotonic() - self.checked_at < self.refresh_seconds
            ):
                return self.snapshot
            self.dirty = False
            with engine.connect() as connection:
                generation = connection.scalar(
                    select(RuleGeneration.value).where(RuleGeneration.id == 1)
                )
                if self.snapshot is None or generation is None or generation != self.generation:
                    self.snapshot = RuleSnapshot(connection)
                    self.generation = generation
            self.workspace_names = {ws.id: ws.name for ws in host.list_workspaces()}
            self.checked_at = time.monotonic()
            return self.snapshot
