"""Bringing an integration's spaces into our database.

Harbor projects arrive with their visibility and repository counts. A Docker Registry has no
projects: its spaces are the first path segments of repository names, and their visibility is
ours to set (public by default, kept across syncs). Everything is fetched before anything is
written, so a registry that fails mid-way leaves our data exactly as it was; spaces that
vanished upstream go with their bindings in the same transaction, audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert, select

from . import audit
from .integrations import endpoint_of, http_for, purge_spaces, session
from .models import Health, Integration, Repository, Space, utcnow
from .registry.docker import DockerRegistryClient
from .registry.errors import RegistryError
from .registry.harbor import HarborClient
from .registry_hosts import record_addresses
from .signals import bindings_changed

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UpstreamRepository:
    name: str  # full path, space included
    artifact_count: int | None
    updated_at: datetime | None


@dataclass(frozen=True)
class UpstreamSpace:
    name: str
    public: bool | None  # None: the registry has no notion of it (Docker Registry)
    upstream_id: str | None
    repo_count: int
    repositories: list[UpstreamRepository] = field(default_factory=list)


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


def fetch_spaces(
    row: Integration, progress: Progress | None = None, *, workers: int | None = None
) -> list[UpstreamSpace]:
    """Everything the registry says about its spaces and repositories; writes nothing.

    Harbor needs one listing per project for repositories: those run ``workers`` at a time
    (``MIRROR_SYNC_WORKERS``), which is what makes a large Harbor sync in seconds, not minutes.
    """
    workers = workers or int(current_app.config["MIRROR_SYNC_WORKERS"])
    http = http_for(endpoint_of(row))
    try:
        if row.kind == "harbor":
            return _fetch_harbor(HarborClient(http, workers=workers), progress, workers)
        names = DockerRegistryClient(http).catalog(
            on_page=(lambda n: progress(n, 0)) if progress else None
        )
        by_space: dict[str, list[UpstreamRepository]] = defaultdict(list)
        for name in names:
            by_space[name.split("/", 1)[0]].append(UpstreamRepository(name, None, None))
        return [
            UpstreamSpace(space, None, None, len(repos), repos)
            for space, repos in sorted(by_space.items())
        ]
    finally:
        http.close()


def _fetch_harbor(
    client: HarborClient, progress: Progress | None, workers: int
) -> list[UpstreamSpace]:
    projects = client.projects()
    with_repos = [p for p in projects if p.repo_count > 0]
    done = 0

    def repositories(name: str) -> list[UpstreamRepository]:
        return [
            UpstreamRepository(
                str(item["name"]), _int(item.get("artifact_count")), _time(item.get("update_time"))
            )
            for item in client.repositories(name)
        ]

    found: dict[str, list[UpstreamRepository]] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for project, repos in zip(
            with_repos, pool.map(repositories, [p.name for p in with_repos]), strict=True
        ):
            found[project.name] = repos
            done += 1
            if progress:
                progress(done, len(with_repos))
    return [
        UpstreamSpace(p.name, p.public, str(p.id), p.repo_count, found.get(p.name, []))
        for p in projects
    ]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


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
    """Write what :func:`fetch_spaces` found, in one transaction."""
    now = utcnow()
    report = SyncReport(total=len(upstream))
    existing = {
        space.name: space
        for space in session().scalars(select(Space).where(Space.integration_id == row.id))
    }
    # Repositories are replaced wholesale: nothing refers to their ids, and it is one statement.
    space_ids = select(Space.id).where(Space.integration_id == row.id)
    session().execute(Repository.__table__.delete().where(Repository.space_id.in_(space_ids)))
    for item in upstream:
        space = existing.pop(item.name, None)
        if space is None:
            space = Space(
                integration_id=row.id,
                name=item.name,
                upstream_id=item.upstream_id,
                public=True if item.public is None else item.public,
            )
            session().add(space)
            report.added.append(item.name)
        else:
            public = space.public if item.public is None else item.public
            if (space.public, space.repo_count, space.upstream_id) != (
                public,
                item.repo_count,
                item.upstream_id,
            ):
                report.updated.append(item.name)
            space.public, space.upstream_id = public, item.upstream_id
        space.repo_count, space.synced_at = item.repo_count, now
    session().flush()
    query = select(Space.name, Space.id).where(Space.integration_id == row.id)
    ids = {name: space_id for name, space_id in session().execute(query)}
    repositories = [
        {
            "space_id": ids[item.name],
            "name": repo.name,
            "artifact_count": repo.artifact_count,
            "updated_at": repo.updated_at,
        }
        for item in upstream
        for repo in item.repositories
    ]
    if repositories:
        session().execute(insert(Repository), repositories)

    gone = purge_spaces([space.id for space in existing.values()])
    removed_bindings = {space.name: gone[space.id] for space in existing.values()}
    for name, workspaces in removed_bindings.items():
        audit.record(
            session(),
            actor=actor,
            action="space.removed_upstream",
            integration=row.name,
            space=name,
            workspaces=workspaces,
        )
        report.removed.append(name)
    report.unbound_workspaces = sorted({w for ws in removed_bindings.values() for w in ws})

    row.last_synced_at = now
    row.health, row.last_error, row.last_checked_at = Health.HEALTHY.value, None, now
    record_addresses(row)
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


def first_sync(row: Integration, *, actor: str) -> tuple[bool, str]:
    """Right after connecting: sync, but a failure does not undo the connection.

    Returns ``(ok, sentence)`` for the page's flash message or the API's ``sync`` field.
    """
    try:
        return True, f"Synced {row.name}: {sync(row, actor=actor).summary}"
    except RegistryError as exc:
        return False, f"Saved, but the first sync failed: {exc.message}"
