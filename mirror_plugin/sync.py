"""Bringing an integration's spaces into our database.

Harbor projects arrive with their visibility and repository counts. A Docker Registry has no
projects: its spaces are the first path segments of repository names, and their visibility is
ours to set (public by default, kept across syncs). Everything is fetched before anything is
written, so a registry that fails mid-way leaves our data exactly as it was; spaces that
vanished upstream go with their bindings in the same transaction, audited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from . import audit
from .integrations import endpoint_of, http_for, session
from .models import Binding, Health, Integration, Space, utcnow
from .registry.docker import DockerRegistryClient
from .registry.errors import RegistryError
from .registry.harbor import HarborClient
from .signals import bindings_changed

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UpstreamSpace:
    name: str
    public: bool | None  # None: the registry has no notion of it (Docker Registry)
    upstream_id: str | None
    repo_count: int


@dataclass
class SyncReport:
    total: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unbound_workspaces: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "added": self.added,
            "removed": self.removed,
            "updated": self.updated,
            "unbound_workspaces": self.unbound_workspaces,
        }

    @property
    def summary(self) -> str:
        return (
            f"{self.total} spaces: {len(self.added)} new, {len(self.updated)} changed, "
            f"{len(self.removed)} removed."
        )


def fetch_spaces(row: Integration, progress: Progress | None = None) -> list[UpstreamSpace]:
    http = http_for(endpoint_of(row))
    try:
        if row.kind == "harbor":
            projects = HarborClient(http).projects(on_page=progress)
            return [UpstreamSpace(p.name, p.public, str(p.id), p.repo_count) for p in projects]
        names = DockerRegistryClient(http).catalog(
            on_page=(lambda n: progress(n, 0)) if progress else None
        )
        counts = Counter(name.split("/", 1)[0] for name in names)
        return [UpstreamSpace(space, None, None, n) for space, n in sorted(counts.items())]
    finally:
        http.close()


def sync(row: Integration, *, actor: str, progress: Progress | None = None) -> SyncReport:
    """Fetch and apply. On a registry failure, record the health and re-raise."""
    try:
        upstream = fetch_spaces(row, progress)
    except RegistryError as exc:
        session().rollback()
        row.health, row.last_error, row.last_checked_at = (
            Health.UNHEALTHY.value,
            exc.message,
            utcnow(),
        )
        session().commit()
        raise
    return apply(row, upstream, actor=actor)


def apply(row: Integration, upstream: list[UpstreamSpace], *, actor: str) -> SyncReport:
    now = utcnow()
    report = SyncReport(total=len(upstream))
    existing = {
        space.name: space
        for space in session().scalars(select(Space).where(Space.integration_id == row.id))
    }
    for item in upstream:
        space = existing.pop(item.name, None)
        if space is None:
            public = True if item.public is None else item.public
            session().add(
                Space(
                    integration_id=row.id,
                    name=item.name,
                    public=public,
                    upstream_id=item.upstream_id,
                    repo_count=item.repo_count,
                    synced_at=now,
                )
            )
            report.added.append(item.name)
            continue
        public = space.public if item.public is None else item.public
        if (space.public, space.repo_count, space.upstream_id) != (
            public,
            item.repo_count,
            item.upstream_id,
        ):
            report.updated.append(item.name)
        space.public, space.repo_count, space.upstream_id = (
            public,
            item.repo_count,
            item.upstream_id,
        )
        space.synced_at = now

    removed_bindings: dict[str, list[str]] = {}
    for name, space in existing.items():
        workspaces = sorted(
            session().scalars(select(Binding.workspace_id).where(Binding.space_id == space.id))
        )
        session().execute(Binding.__table__.delete().where(Binding.space_id == space.id))
        session().delete(space)
        audit.record(
            session(),
            actor=actor,
            action="space.removed_upstream",
            integration=row.name,
            space=name,
            workspaces=workspaces,
        )
        removed_bindings[name] = workspaces
        report.removed.append(name)
    report.unbound_workspaces = sorted({w for ws in removed_bindings.values() for w in ws})

    row.last_synced_at = now
    row.health, row.last_error, row.last_checked_at = Health.HEALTHY.value, None, now
    audit.record(
        session(),
        actor=actor,
        action="integration.synced",
        integration=row.name,
        total=report.total,
        added=len(report.added),
        removed=len(report.removed),
    )
    session().commit()
    app = current_app._get_current_object()
    for name, workspaces in removed_bindings.items():
        if workspaces:
            bindings_changed.send(
                app, integration=row.name, space=name, bound=[], unbound=workspaces, actor=actor
            )
    return report
