"""The visibility rule's facts answered straight from the database, two queries a decision.

Production answers from :class:`mirror_plugin.rulecache.RuleSnapshot`; this plain version is
the reference the snapshot is tested against and the benchmark's one-query-per-decision
baseline.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session

from .hostkey import split_key
from .models import Binding, HostSource, Integration, RegistryHost, Space
from .rule import RegistryFacts, SpaceFacts


class DatabaseFacts:
    """Answers :class:`mirror_plugin.rule.Facts` with two indexed queries per decision."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ports: set[str] | None = None

    def registries_at(
        self, host_key: str, space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        by_host = select(Integration.id, literal("").label("matched")).where(
            Integration.registry_host == host_key
        )
        by_alias = select(
            RegistryHost.integration_id, literal(f"alias {host_key}").label("matched")
        ).where(RegistryHost.source == HostSource.ALIAS.value, RegistryHost.host_key == host_key)
        return self._facts(union_all(by_host, by_alias).subquery(), space, workspace_id)

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
        matches = select(
            RegistryHost.integration_id, ("address " + RegistryHost.host_key).label("matched")
        ).where(
            RegistryHost.source == HostSource.ADDRESS.value,
            RegistryHost.host_key.in_(sorted(address_keys)),
        )
        return self._facts(matches.subquery(), space, workspace_id)

    def _facts(self, matches: Any, space: str, workspace_id: str | None) -> list[RegistryFacts]:
        rows = self.session.execute(
            select(
                Integration.name,
                Integration.workspace_id,
                Space.id,
                Space.public,
                matches.c.matched,
            )
            .join(matches, matches.c.id == Integration.id)
            .outerjoin(Space, (Space.integration_id == Integration.id) & (Space.name == space))
            .order_by(matches.c.matched, Integration.id)
        ).all()
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
            result.append(RegistryFacts(row.name, row.workspace_id or None, facts, row.matched))
        return result
