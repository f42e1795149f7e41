"""The plugin's tables, on a MetaData of their own.

Tables are ``mirror_``-prefixed and live on ``mirror_metadata`` rather than the host's, so the
host's ``create_all`` and autogenerate never see them and the plugin's own Alembic chain owns
them. Host objects (workspaces, users) are referenced by their id strings, indexed, never by
foreign keys: they may live in another database entirely.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

mirror_metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


class MirrorBase(DeclarativeBase):
    """Declarative base bound to the plugin's own MetaData."""

    metadata = mirror_metadata
    #: Every model maps a Table (SQLAlchemy types it as any FromClause): ``insert()``, ``delete()``.
    __table__: ClassVar[Table]


class RegistryKind(enum.StrEnum):
    HARBOR = "harbor"
    DOCKER = "docker"


class Scope(enum.StrEnum):
    """Who connected a registry: the platform Admin, or a Workspace Admin for one workspace."""

    PLATFORM = "platform"
    WORKSPACE = "workspace"


class Health(enum.StrEnum):
    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class Integration(MirrorBase):
    """A registry connected to the platform (Warehouse Integration) or to one workspace."""

    __tablename__ = "mirror_integrations"
    __table_args__ = (
        # workspace_id is "" for platform integrations so the pair is unique on every database
        # (NULLs are distinct in unique constraints on PostgreSQL and SQLite alike).
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint(
            "(scope = 'platform' AND workspace_id = '')"
            " OR (scope = 'workspace' AND workspace_id <> '')",
            name="scope_matches_workspace",
        ),
        CheckConstraint("kind IN ('harbor', 'docker')", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16), default=Scope.PLATFORM.value)
    workspace_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    url: Mapped[str] = mapped_column(String(2048))
    #: host[:port] as image references spell it (lower-case, default port dropped); the
    #: visibility rule looks integrations up by this column.
    registry_host: Mapped[str] = mapped_column(String(300), index=True)
    username: Mapped[str] = mapped_column(String(255), default="")
    #: Fernet token of the password; never rendered, returned or logged.
    password_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    verify_tls: Mapped[bool] = mapped_column(Boolean, default=True)
    ca_bundle: Mapped[str | None] = mapped_column(Text, default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    #: A platform Docker Registry's opt-in: its credentials go into the pull secrets of the
    #: namespaces of workspaces bound to one of its private spaces (they reach the whole
    #: registry: a Docker Registry cannot mint scoped accounts). Off by default.
    share_pull_credentials: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    health: Mapped[str] = mapped_column(String(16), default=Health.UNKNOWN.value)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    spaces: Mapped[list[Space]] = relationship(
        back_populates="integration", cascade="all, delete-orphan"
    )
    hosts: Mapped[list[RegistryHost]] = relationship(
        back_populates="integration", cascade="all, delete-orphan", order_by="RegistryHost.id"
    )

    @property
    def aliases(self) -> list[str]:
        """Other names of the registry, as the Admin listed them (canonical keys)."""
        return [h.host_key for h in self.hosts if h.source == HostSource.ALIAS.value]

    @property
    def addresses(self) -> list[str]:
        """Address keys the registry's host resolved to at the last save or sync."""
        return [h.host_key for h in self.hosts if h.source == HostSource.ADDRESS.value]

    @property
    def is_platform(self) -> bool:
        return self.scope == Scope.PLATFORM.value


class HostSource(enum.StrEnum):
    """Where another name of an integration's registry came from."""

    ALIAS = "alias"  # listed by the Admin or Workspace Admin on the integration
    ADDRESS = "address"  # resolved from the registry's host when it was saved or synced


class RegistryHost(MirrorBase):
    """Another key under which the visibility rule finds an integration.

    Aliases are canonical ``host[:port]`` keys (:func:`mirror_plugin.policy.hostkey.registry_key`);
    addresses are address keys (:func:`mirror_plugin.policy.hostkey.address_key`). Writes bump the
    rule generation like integrations do (migration 0004).
    """

    __tablename__ = "mirror_registry_hosts"
    __table_args__ = (UniqueConstraint("integration_id", "source", "host_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("mirror_integrations.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))
    host_key: Mapped[str] = mapped_column(String(300), index=True)

    integration: Mapped[Integration] = relationship(back_populates="hosts")


#: The Warehouse Space list's tabs and orders ("-" first: descending), named once for the
#: list, its page and its API.
SpaceTab = Literal["all", "public", "private"]
SpaceSort = Literal["name", "-name", "repos", "-repos"]


class Space(MirrorBase):
    """A mirror space: a Harbor project, or a Docker Registry's first path segment."""

    __tablename__ = "mirror_spaces"
    __table_args__ = (UniqueConstraint("integration_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("mirror_integrations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The registry's own id for the space (Harbor's project_id); None for Docker Registry.
    upstream_id: Mapped[str | None] = mapped_column(String(64), default=None)
    repo_count: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    integration: Mapped[Integration] = relationship(back_populates="spaces")
    bindings: Mapped[list[Binding]] = relationship(
        back_populates="space", cascade="all, delete-orphan"
    )
    repositories: Mapped[list[Repository]] = relationship(
        back_populates="space", cascade="all, delete-orphan"
    )


class Repository(MirrorBase):
    """A repository of a space as of the last sync (the picker searches these names)."""

    __tablename__ = "mirror_repositories"
    __table_args__ = (UniqueConstraint("space_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("mirror_spaces.id", ondelete="CASCADE"))
    #: Full path inside the registry, space included: "library/team/nginx".
    name: Mapped[str] = mapped_column(String(512), index=True)
    #: None when the registry does not say (Docker Registry's catalog lists names only).
    artifact_count: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    space: Mapped[Space] = relationship(back_populates="repositories")


class Binding(MirrorBase):
    """A (private) space assigned to a workspace by the platform Admin."""

    __tablename__ = "mirror_bindings"
    __table_args__ = (
        UniqueConstraint("space_id", "workspace_id"),
        # "which spaces are bound to workspace W" is the visibility rule's hot query.
        Index("ix_mirror_bindings_workspace_space", "workspace_id", "space_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("mirror_spaces.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255), default="")

    space: Mapped[Space] = relationship(back_populates="bindings")


class TagCache(MirrorBase):
    """A repository's artifacts as last fetched for the picker, shared by every worker.

    Keyed by space and repository name (repository rows are replaced at each sync, spaces are
    not). ``artifacts`` is the list the picker serves; ``error`` the last refresh failure.
    """

    __tablename__ = "mirror_tag_cache"
    __table_args__ = (UniqueConstraint("space_id", "repository"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("mirror_spaces.id", ondelete="CASCADE"))
    repository: Mapped[str] = mapped_column(String(512))
    artifacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class RuleGeneration(MirrorBase):
    """One row counting changes to what the visibility rule reads.

    Database triggers (migration 0003) bump it on every insert, update and delete of
    integrations, spaces and bindings, whoever writes them; each worker's in-memory rule
    snapshot compares it to decide whether to reload (see :mod:`mirror_plugin.services.rulecache`).
    """

    __tablename__ = "mirror_rule_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEvent(MirrorBase):
    """Who changed what, when. Kept when the integration or space it names is gone."""

    __tablename__ = "mirror_audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    integration_name: Mapped[str] = mapped_column(String(100), default="")
    space_name: Mapped[str] = mapped_column(String(255), default="", index=True)
    workspace_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Cluster(MirrorBase):
    """A Kubernetes cluster whose API server asks the admission webhook (``flask mirror cluster``).

    Only a hash of its bearer token is stored (the token is random, 256 bits: a fast hash is
    enough and keeps the webhook's hot path cheap). The URL, CA bundle, failure policy and
    timeout are what ``cluster config`` prints the webhook configuration from again. The
    counters are bumped in place (``SET n = n + 1``), so every worker shares them.
    """

    __tablename__ = "mirror_clusters"
    __table_args__ = (
        CheckConstraint("mode IN ('warn', 'enforce')", name="mode"),
        CheckConstraint("failure_policy IN ('Fail', 'Ignore')", name="failure_policy"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="enforce")
    exempt_namespaces: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str] = mapped_column(String(2048))
    ca_bundle: Mapped[str] = mapped_column(Text, default="")
    failure_policy: Mapped[str] = mapped_column(String(8), default="Fail")
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rotated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    allowed_count: Mapped[int] = mapped_column(BigInteger, default=0)
    denied_count: Mapped[int] = mapped_column(BigInteger, default=0)
    warned_count: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The optional mutating webhook (adds the namespace's pull secret to Pods): off unless
    #: the Admin turns it on (``cluster add --mutate on`` / ``cluster mutate NAME on``).
    mutate: Mapped[bool] = mapped_column(Boolean, default=False)


__all__ = [
    "AuditEvent",
    "Binding",
    "Cluster",
    "Health",
    "HostSource",
    "Integration",
    "MirrorBase",
    "RegistryHost",
    "RegistryKind",
    "Repository",
    "Scope",
    "RuleGeneration",
    "Space",
    "SpaceSort",
    "SpaceTab",
    "TagCache",
    "mirror_metadata",
]

# Pull access tables live beside the rest on the same MetaData (imported last: they need
# MirrorBase).
from mirror_plugin.models.pull import PullOutbox, PullRobot  # noqa: E402

__all__ += ["PullOutbox", "PullRobot"]
from mirror_plugin.models.jobs import Job  # noqa: E402

__all__ += ["Job"]
from mirror_plugin.models.leases import Lease  # noqa: E402

__all__ += ["Lease"]
