"""What every registry driver offers, and what a listing brings back.

A driver speaks to one kind of registry (:class:`~mirror_plugin.models.RegistryKind`) through
that kind's client, and says what the kind can do, so services ask a driver rather than
compare kind names. The listing dataclasses live here, below the services, because the
driver builds them and both the sync and the picker's refresh read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from mirror_plugin.models import RegistryKind
from mirror_plugin.registry.probe import ConnectionReport

if TYPE_CHECKING:  # the transport imports requests: loaded when a registry is called
    from mirror_plugin.registry.http import RegistryHTTP

#: ``progress(done, total)`` while a listing runs (``total`` 0 when unknown).
Progress = Callable[[int, int], None]
#: May this space's repositories be listed? (the sync skips names no image could use).
Listable = Callable[[str], bool]


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


class RegistryDriver(Protocol):
    """One kind of registry. Calls take the conversation's :class:`RegistryHTTP` (its
    endpoint, allow-list and budget), so a driver holds no state and is shared."""

    kind: RegistryKind
    #: The kind's name as people know it ("Harbor", "Docker Registry").
    label: str
    #: Spaces are created, deleted and made public or private in the registry itself
    #: (Harbor projects); otherwise they come from repository names and visibility is ours.
    manages_spaces: bool
    #: A platform integration of this kind mints one scoped pull robot per workspace.
    has_pull_robots: bool
    #: A platform integration of this kind may hand its own account to bound workspaces.
    shares_pull_credentials: bool

    def probe(self, http: RegistryHTTP, *, platform: bool) -> ConnectionReport:
        """Test the connection; may raise RegistryError (see ``drivers.probe``)."""
        ...

    def list_spaces(
        self,
        http: RegistryHTTP,
        *,
        workers: int = 1,
        progress: Progress | None = None,
        listable: Listable | None = None,
    ) -> list[UpstreamSpace]:
        """Every space with its repositories (those of ``listable`` spaces only)."""
        ...

    def list_repositories(self, http: RegistryHTTP, space: str) -> list[UpstreamRepository]:
        """The repositories of one space."""
        ...

    def list_artifacts(
        self, http: RegistryHTTP, space: str, repository: str
    ) -> list[dict[str, Any]]:
        """One entry per tag (and per untagged artifact), as the picker shows them."""
        ...

    def create_space(self, http: RegistryHTTP, name: str, *, public: bool) -> int | None:
        """Create the space upstream (``manages_spaces`` kinds only); its upstream id."""
        ...

    def set_public(self, http: RegistryHTTP, name: str, public: bool) -> None:
        """Flip the space's visibility upstream (``manages_spaces`` kinds only)."""
        ...

    def delete_space(self, http: RegistryHTTP, name: str) -> None:
        """Delete the space upstream (``manages_spaces`` kinds only)."""
        ...
