"""The visibility rule's facts answered straight from the database, two queries a decision.

Production answers from :class:`mirror_plugin.services.rulecache.RuleSnapshot`; this plain
version
is
the reference the snapshot is tested against and the benchmark's one-query-per-decision
baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from mirror_plugin.models import Binding, HostSource, Integration, RegistryHost, Space
from mirror_plugin.policy.hostkey import split_key
from mirror_plugin.policy.rule import RegistryFacts, SpaceFacts


class DatabaseFacts:
    """Answers :class:`mirror_plugin.policy.rule.Facts` with two indexed queries per decision."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ports: set[str] | None = None

    def registries_at(
        self, host_key: str, space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        # A UNION of two indexed lookups: an OR across the two tables defeats SQLite's indexes.
        ids = union(
            select(Integration.id).where(Integration.registry_host == host_key),
            select(RegistryHost.integration_id).where(
                RegistryHost.source == HostSource.ALIAS.value, RegistryHost.host_key == host_key
            ),
        )
        rows = self.session.execute(
            self._select(Integration.registry_host.label("matched"), space).where(
                Integration.id.in_(ids)
            )
        ).all()
        return self._facts(
            rows, space, workspace_id, lambda key: "" if key == host_key else f"alias {host_key}"
        )

    def address_ports(self) -> Collection[str]:
        """Read once per instance: the baseline stays at two queries a decision."""
        if self._ports is None:
            keys = self.session.scalars(
                select(RegistryHost.host_key)
                .where(RegistryHost.source == HostSource.ADDRESS.value)
                .distinct()
            )
            self._ports = {split_key(key)[1] for key in keys}
        return self._ports

    def registries_at_addresses(
        self, address_keys: Collection[str], space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        rows = self.session.execute(
            self._select(RegistryHost.host_key.label("matched"), space)
            .join(RegistryHost, RegistryHost.integration_id == Integration.id)
            .where(
                RegistryHost.source == HostSource.ADDRESS.value,
                RegistryHost.host_key.in_(sorted(address_keys)),
            )
        ).all()
        return self._facts(rows, space, workspace_id, lambda key: f"address {key}")

    @staticmethod
    def _select(matched: Any, space: str) -> Any:
        """Integrations with the named space, if they have it, and the key that matched."""
        return (
            select(Integration.name, Integration.workspace_id, Space.id, Space.public, matched)
            .outerjoin(Space, (Space.integration_id == Integration.id) & (Space.name == space))
            .order_by(Integration.id)
        )

    def _facts(
        self,
        rows: Sequence[Any],
        space: str,
        workspace_id: str | None,
        how: Callable[[str], str],
    ) -> list[RegistryFacts]:
        space_ids = [row.id for row in rows if row.id is not None]
        bound: set[int] = set()
        if space_ids and workspace_id is not None:
            bound = set(
                self.session.scalars(
                    select(Binding.space_id).where(
                        Binding.workspace_id == workspace_id, Binding.space_id.in_(space_ids)
                    )
                )
            )
        result = []
        for row in rows:
            facts = None
            if row.id is not None:
                bound_to = frozenset([workspace_id]) if workspace_id and row.id in bound else None
                facts = SpaceFacts(space, bool(row.public), bound_to or frozenset())
            result.append(
                RegistryFacts(row.name, row.workspace_id or None, facts, how(row.matched))
            )
        return result
