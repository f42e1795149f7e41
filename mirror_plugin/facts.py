"""The visibility rule's facts answered straight from the database, two queries a decision.

Production answers from :class:`mirror_plugin.rulecache.RuleSnapshot`; this plain version is
the reference the snapshot is tested against and the benchmark's one-query-per-decision
baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Binding, Integration, Space
from .rule import RegistryFacts, SpaceFacts


class DatabaseFacts:
    """Answers :class:`mirror_plugin.rule.Facts` with two indexed queries per decision."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def registries_at(
        self, host_key: str, space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        rows = self.session.execute(
            select(Integration.name, Integration.workspace_id, Space.id, Space.public)
            .outerjoin(Space, (Space.integration_id == Integration.id) & (Space.name == space))
            .where(Integration.registry_host == host_key)
            .order_by(Integration.id)
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
            result.append(RegistryFacts(row.name, row.workspace_id or None, facts))
        return result
