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
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Engine, event, select

from .hostkey import split_key
from .models import Binding, HostSource, Integration, RegistryHost, RuleGeneration, Space
from .rule import RegistryFacts, SpaceFacts

_NO_BINDINGS: frozenset[str] = frozenset()


#: An integration as the snapshot keeps it: id, name, owner (None: platform), how matched.
_Entry = tuple[int, str, str | None, str]


class RuleSnapshot:
    """Integrations by registry key, alias and address; each one's spaces with bindings."""

    def __init__(self, connection: Any) -> None:
        by_host: dict[str, list[_Entry]] = defaultdict(list)
        by_address: dict[str, list[_Entry]] = defaultdict(list)
        owners: dict[int, tuple[str, str | None]] = {}
        for row in connection.execute(
            select(
                Integration.id,
                Integration.name,
                Integration.registry_host,
                Integration.workspace_id,
            ).order_by(Integration.id)
        ):
            owners[row.id] = (row.name, row.workspace_id or None)
            by_host[row.registry_host].append((row.id, row.name, row.workspace_id or None, ""))
        for integration_id, source, key in connection.execute(
            select(
                RegistryHost.integration_id, RegistryHost.source, RegistryHost.host_key
            ).order_by(RegistryHost.integration_id, RegistryHost.id)
        ):
            name, owner = owners[integration_id]
            target = by_address if source == HostSource.ADDRESS.value else by_host
            target[key].append((integration_id, name, owner, f"{source} {key}"))
        self.by_host = dict(by_host)
        self.by_address = dict(by_address)
        self.ports = frozenset(split_key(key)[1] for key in by_address)
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

    def registries_at(
        self, host_key: str, space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        found = self.by_host.get(host_key)
        if not found:
            return ()
        return self._facts(found, space)

    def address_ports(self) -> Collection[str]:
        return self.ports

    def registries_at_addresses(
        self, address_keys: Collection[str], space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        found = [entry for key in sorted(address_keys) for entry in self.by_address.get(key, ())]
        return self._facts(found, space)

    def _facts(self, found: Sequence[_Entry], space: str) -> list[RegistryFacts]:
        return [
            RegistryFacts(name, owner, self.spaces.get((integration_id, space)), matched)
            for integration_id, name, owner, matched in found
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
