"""Docker Registry: no projects. Its spaces are the first path segments of the catalog's
repository names, and their visibility is the plugin's to set, never the registry's."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, NoReturn

from mirror_plugin.models import RegistryKind
from mirror_plugin.registry.docker import INDEX_TYPES, DockerRegistryClient
from mirror_plugin.registry.drivers.base import (
    Listable,
    Progress,
    UpstreamRepository,
    UpstreamSpace,
)
from mirror_plugin.registry.probe import ConnectionReport, probe_docker

if TYPE_CHECKING:  # the transport imports requests: loaded when a registry is called
    from mirror_plugin.registry.http import RegistryHTTP

MAX_DOCKER_TAGS = 100  # a plain registry needs one request per tag for digests and sizes


class DockerDriver:
    kind = RegistryKind.DOCKER
    label = "Docker Registry"
    manages_spaces = False
    has_pull_robots = False
    shares_pull_credentials = True

    def probe(self, http: RegistryHTTP, *, platform: bool) -> ConnectionReport:
        return probe_docker(DockerRegistryClient(http))

    def list_spaces(
        self,
        http: RegistryHTTP,
        *,
        workers: int = 1,
        progress: Progress | None = None,
        listable: Listable | None = None,
    ) -> list[UpstreamSpace]:
        """One catalog walk, grouped by first path segment (``listable`` changes nothing:
        the catalog lists every repository anyway)."""
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

    def list_repositories(self, http: RegistryHTTP, space: str) -> list[UpstreamRepository]:
        """The registry lists nothing narrower than its whole catalog: walk it, keep one space."""
        found = (s.repositories for s in self.list_spaces(http) if s.name == space)
        return next(found, [])

    def list_artifacts(
        self, http: RegistryHTTP, space: str, repository: str
    ) -> list[dict[str, Any]]:
        client = DockerRegistryClient(http)
        entries = []
        for tag in sorted(client.tags(repository), reverse=True)[:MAX_DOCKER_TAGS]:
            digest, manifest = client.manifest(repository, tag)
            index = manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest
            if index:
                size = None
                platforms = [
                    f"{m['platform'].get('os')}/{m['platform'].get('architecture')}"
                    for m in manifest.get("manifests", [])
                    if m.get("platform")
                ]
            else:
                layers = manifest.get("layers") or []
                size = sum(
                    int(part.get("size") or 0) for part in [manifest.get("config") or {}, *layers]
                )
                platforms = []
            entries.append(
                {
                    "tag": tag,
                    "digest": digest,
                    "size": size,
                    "push_time": None,
                    "index": index,
                    "platforms": platforms,
                    "type": "IMAGE",
                }
            )
        return entries

    def create_space(self, http: RegistryHTTP, name: str, *, public: bool) -> int | None:
        _unsupported("create")

    def set_public(self, http: RegistryHTTP, name: str, public: bool) -> None:
        _unsupported("set_public")

    def delete_space(self, http: RegistryHTTP, name: str) -> None:
        _unsupported("delete")


def _unsupported(action: str) -> NoReturn:
    """A caller that did not ask ``manages_spaces`` first: a bug, never a user's doing."""
    raise NotImplementedError(f"A Docker Registry's spaces cannot {action} upstream.")
