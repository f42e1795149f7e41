"""Each worker's in-memory snapshot of what the visibility rule reads, kept fresh.

``check_image`` must answer tens of thousands of times a second, and must stop allowing an
image as soon as its binding is revoked. A snapshot of integrations, spaces and bindings
answers from memory; a one-row generation counter, bumped by database triggers on every
write to those tables (migration 0003), says when it is out of date:

- after any commit on this worker's engine, the next decision re-reads the counter, so a
  revocation committed in this process takes effect at the very next decision;
- otherwise the counter is re-read at most every ``MIRROR_RULE_REFRESH_SECONDS`` (0.5 s), so
  a revocation committed by another worker or tool takes effect within that bound.

The database may go away (failover, restart, a killed connection). A disconnect is retried
once on a fresh connection (SQLAlchemy invalidates the pool on one). While the database
stays unreachable, decisions come from the last snapshot until it is
``MIRROR_RULE_STALE_SECONDS`` older than its last successful check, then
:class:`~mirror_plugin.services.dbfaults.RuleUnavailable` is raised (``check_image`` turns it
into
an
``unavailable`` denial), and the database is tried again at most every refresh interval, so
an outage does not turn every decision into a connection attempt. None of this adds work to
a decision while the database answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DBAPIError

from mirror_plugin.models import (
    Binding,
    HostSource,
    Integration,
    RegistryHost,
    RuleGeneration,
    Space,
)
from mirror_plugin.policy.hostkey import split_key
from mirror_plugin.policy.rule import RegistryFacts, SpaceFacts
from mirror_plugin.services.dbfaults import RuleUnavailable, database_unreachable

_NO_BINDINGS: frozenset[str] = frozenset()
log = logging.getLogger(__name__)


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
        # Each integration's answer for each of its spaces, built once here rather than per
        # decision: the hook hands these very objects to the rule.
        self.direct: dict[int, dict[str, RegistryFacts]] = {
            integration_id: {} for integration_id in owners
        }
        for space_id, integration_id, name, public in connection.execute(
            select(Space.id, Space.integration_id, Space.name, Space.public)
        ):
            workspaces = frozenset(bound[space_id]) if space_id in bound else _NO_BINDINGS
            integration, owner = owners[integration_id]
            self.direct[integration_id][name] = RegistryFacts(
                integration, owner, SpaceFacts(name, bool(public), workspaces)
            )
        #: Each integration's answer for a space it does not have.
        self.spaceless = {
            integration_id: RegistryFacts(name, owner, None)
            for integration_id, (name, owner) in owners.items()
        }

    def registries_at(
        self, host_key: str, space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        found = self.by_host.get(host_key)
        if not found:
            return ()
        if len(found) == 1:  # the common case: one integration, no alias, no list
            return (self._fact(found[0], space),)
        return self._facts(found, space)

    def address_ports(self) -> Collection[str]:
        return self.ports

    def registries_at_addresses(
        self, address_keys: Collection[str], space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        found = [entry for key in sorted(address_keys) for entry in self.by_address.get(key, ())]
        return self._facts(found, space)

    def _facts(self, found: Sequence[_Entry], space: str) -> list[RegistryFacts]:
        return [self._fact(entry, space) for entry in found]

    def _fact(self, entry: _Entry, space: str) -> RegistryFacts:
        integration_id, name, owner, matched = entry
        facts = self.direct[integration_id].get(space) or self.spaceless[integration_id]
        if not matched:
            return facts
        return RegistryFacts(name, owner, facts.space, matched)


class RuleCache:
    """One per app: the current snapshot, reloaded when the generation counter moved.

    The host's workspace names (for the decision's sentence only) are listed again when the
    rule changed, when a decision met a workspace the list did not have, and otherwise every
    :attr:`NAMES_SECONDS`: a host with thousands of workspaces is not asked for all of them
    at every counter check (every ``MIRROR_RULE_REFRESH_SECONDS``), and a rename shows within
    that bound.
    """

    NAMES_SECONDS = 30.0

    def __init__(self, refresh_seconds: float, stale_seconds: float = 30.0) -> None:
        self.refresh_seconds = refresh_seconds
        self.stale_seconds = stale_seconds
        self.snapshot: RuleSnapshot | None = None
        self.workspace_names: dict[str, str] = {}
        #: When the names were listed (monotonic; 0: list them at the next check).
        self.names_at = 0.0
        self.generation: int | None = None
        self.checked_at = 0.0
        #: When the database last confirmed the snapshot (None: never).
        self.verified_at: float | None = None
        #: While the database is unreachable: no new attempt before this moment.
        self.retry_at = 0.0
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
        keeps the common path to two attribute reads and a clock read. Raises
        :class:`RuleUnavailable` when the database cannot be reached and the snapshot is
        older than the staleness bound.
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
            now = time.monotonic()
            if (
                self.snapshot is not None
                and not self.dirty
                and now - self.checked_at < self.refresh_seconds
            ):
                return self.snapshot
            if now < self.retry_at:
                return self._last_snapshot(now)
            self.dirty = False
            try:
                self._reload(engine)
            except DBAPIError as error:
                if not database_unreachable(error):
                    raise
                # Stays dirty, so the fast path is off until the database answers again.
                self.dirty = True
                if not self.retry_at:  # once per outage, not at every attempt
                    log.warning(
                        "Database unreachable; deciding from the last rule snapshot for up "
                        "to %s s: %s",
                        self.stale_seconds,
                        error.orig,
                    )
                self.retry_at = now + self.refresh_seconds
                return self._last_snapshot(now)
            if self.retry_at:
                log.warning("Database reachable again; rule snapshot refreshed.")
            self.retry_at = 0.0
            if now - self.names_at >= self.NAMES_SECONDS:
                self._workspace_names(host)
            self.checked_at = self.verified_at = time.monotonic()
            assert self.snapshot is not None
            return self.snapshot

    def _reload(self, engine: Engine) -> None:
        """Read the counter (and the snapshot when it moved); a dropped connection once more."""
        try:
            self._read(engine)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            self._read(engine)  # the pool was invalidated: this one is a new connection

    def _read(self, engine: Engine) -> None:
        with engine.connect() as connection:
            generation = connection.scalar(
                select(RuleGeneration.value).where(RuleGeneration.id == 1)
            )
            if self.snapshot is None or generation is None or generation != self.generation:
                self.snapshot = RuleSnapshot(connection)
                self.generation = generation
                self.names_at = 0.0  # the rule changed: so may the workspaces have

    def _workspace_names(self, host: Any) -> None:
        """Workspace display names from the host; kept as they were if its database fails."""
        try:
            self.workspace_names = {ws.id: ws.name for ws in host.list_workspaces()}
            self.names_at = time.monotonic()
        except DBAPIError as error:
            if not database_unreachable(error):
                raise

    def workspace_name(self, workspace_id: str | None) -> str | None:
        """The workspace's display name; one the last list did not have (a workspace created
        since) has the names listed again at the next check."""
        if not workspace_id:
            return None
        name = self.workspace_names.get(workspace_id)
        if name is None:
            self.names_at = 0.0
        return name

    def _last_snapshot(self, now: float) -> RuleSnapshot:
        """The snapshot the database last confirmed, while within the staleness bound."""
        if (
            self.snapshot is None
            or self.verified_at is None
            or now - self.verified_at >= self.stale_seconds
        ):
            raise RuleUnavailable()
        return self.snapshot
