"""Harbor: projects are spaces, created, deleted and published through its API."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mirror_plugin.models import RegistryKind
from mirror_plugin.registry.budget import bounded_map
from mirror_plugin.registry.docker import INDEX_TYPES
from mirror_plugin.registry.drivers.base import (
    Listable,
    Progress,
    UpstreamRepository,
    UpstreamSpace,
)
from mirror_plugin.registry.harbor import HarborClient
from mirror_plugin.registry.probe import ConnectionReport, probe_harbor

if TYPE_CHECKING:  # the transport imports requests: loaded when a registry is called
    from mirror_plugin.registry.http import RegistryHTTP

#: HarborClient's own default: how many list pages are fetched ahead outside a sync.
DEFAULT_WORKERS = 8


class HarborDriver:
    kind = RegistryKind.HARBOR
    label = "Harbor"
    manages_spaces = True
    has_pull_robots = True
    shares_pull_credentials = False

    def probe(self, http: RegistryHTTP, *, platform: bool) -> ConnectionReport:
        return probe_harbor(HarborClient(http), platform=platform)

    def list_spaces(
        self,
        http: RegistryHTTP,
        *,
        workers: int = 1,
        progress: Progress | None = None,
        listable: Listable | None = None,
    ) -> list[UpstreamSpace]:
        """Projects with their visibility; then one repository listing per project,
        ``workers`` at a time, which is what makes a large Harbor sync take seconds."""
        client = HarborClient(http, workers=workers)
        projects = client.projects()
        # Only projects worth listing are listed further (the rest are skipped anyway).
        unique = {p.name: p for p in reversed(projects)}  # the first of duplicates wins
        with_repos = [
            p
            for p in projects
            if p.repo_count > 0 and (listable is None or listable(p.name)) and unique[p.name] is p
        ]
        done = 0
        found: dict[str, list[UpstreamRepository]] = {}
        listings = bounded_map(
            lambda name: _repositories(client, name), [p.name for p in with_repos], max(1, workers)
        )
        for project, repos in zip(with_repos, listings, strict=True):
            found[project.name] = repos
            done += 1
            if progress:
                progress(done, len(with_repos))
        return [
            UpstreamSpace(
                p.name,
                p.public,
                str(p.id),
                p.repo_count,
                found.get(p.name, []) if unique[p.name] is p else [],
            )
            for p in projects
        ]

    def list_repositories(self, http: RegistryHTTP, space: str) -> list[UpstreamRepository]:
        return _repositories(HarborClient(http, workers=DEFAULT_WORKERS), space)

    def list_artifacts(
        self, http: RegistryHTTP, space: str, repository: str
    ) -> list[dict[str, Any]]:
        entries = []
        for artifact in HarborClient(http).artifacts(space, repository):
            index = artifact.get("manifest_media_type") in INDEX_TYPES
            platforms = [
                f"{p.get('os')}/{p.get('architecture')}"
                for p in (r.get("platform") or {} for r in artifact.get("references") or [])
                if p
            ]
            base = {
                "digest": artifact.get("digest"),
                "size": artifact.get("size"),
                "push_time": artifact.get("push_time"),
                "index": index,
                "platforms": platforms,
                "type": artifact.get("type"),
            }
            names = [t.get("name") for t in artifact.get("tags") or [] if t.get("name")]
            entries += [{**base, "tag": name} for name in names] or [{**base, "tag": None}]
        entries.sort(key=lambda e: e.get("push_time") or "", reverse=True)
        return entries

    def create_space(self, http: RegistryHTTP, name: str, *, public: bool) -> int | None:
        return HarborClient(http).create_project(name, public=public)

    def set_public(self, http: RegistryHTTP, name: str, public: bool) -> None:
        HarborClient(http).set_public(name, public)

    def delete_space(self, http: RegistryHTTP, name: str) -> None:
        HarborClient(http).delete_project(name)


def _repositories(client: HarborClient, project: str) -> list[UpstreamRepository]:
    """The one listing of a project's repositories, for the sync and the picker's refresh."""
    return [
        UpstreamRepository(
            str(item["name"]), _int(item.get("artifact_count")), _time(item.get("update_time"))
        )
        for item in client.repositories(project)
    ]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
