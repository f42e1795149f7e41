"""What the Select Image picker browses: the spaces a namespace may see, their repositories
and tags, with tags kept in a cache every worker shares (``mirror_tag_cache``).

Visibility queries express the same rule as :mod:`mirror_plugin.policy.rule`, in SQL: public spaces
of platform registries, private ones bound to the namespace's workspace, and every synced
space of the workspace's own warehouses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import Select, and_, exists, false, or_, select

from mirror_plugin.models import Binding, Integration, Repository, Space, TagCache, utcnow
from mirror_plugin.models.jobs import Job
from mirror_plugin.params import aware
from mirror_plugin.registry.drivers import driver_for
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.services import jobs
from mirror_plugin.services.registry_client import http_for_row
from mirror_plugin.state import session

if TYPE_CHECKING:
    from mirror_plugin.services.searchindex import IndexedSpace

TABS = ("public", "private", "workspace")


def visibility(workspace_id: str | None, tab: str | None = None) -> Any:
    """SQL condition on Space/Integration: visible to a namespace of ``workspace_id``."""
    platform = Integration.workspace_id == ""
    public = and_(platform, Space.public.is_(True))
    if workspace_id is None:
        private: Any = false()
        own: Any = false()
    else:
        private = and_(
            platform,
            Space.public.is_(False),
            exists().where(Binding.space_id == Space.id, Binding.workspace_id == workspace_id),
        )
        own = Integration.workspace_id == workspace_id
    return {"public": public, "private": private, "workspace": own}.get(
        tab or "", or_(public, private, own)
    )


def visible_spaces(workspace_id: str | None, tab: str | None = None) -> Select[Space, Integration]:
    return (
        select(Space, Integration)
        .join(Integration, Space.integration_id == Integration.id)
        .where(visibility(workspace_id, tab))
    )


def visible_space(workspace_id: str | None, space_id: int) -> tuple[Space, Integration] | None:
    row = session().execute(visible_spaces(workspace_id).where(Space.id == space_id)).first()
    return (row[0], row[1]) if row else None


def visible_in_memory(space: IndexedSpace, workspace_id: str | None, tab: str | None) -> bool:
    """:func:`visibility`, for the picker's in-memory index: change one, change the other
    (tests/test_picker_index.py compares the two on random catalogues)."""
    platform = space.registry.workspace_id == ""
    public = platform and space.public
    if workspace_id is None:
        private = own = False
    else:
        private = platform and not space.public and workspace_id in space.bound
        own = space.registry.workspace_id == workspace_id
    return {"public": public, "private": private, "workspace": own}.get(
        tab or "", public or private or own
    )


def _ttl() -> timedelta:
    return timedelta(seconds=float(current_app.config["MIRROR_CATALOGUE_TTL"]))


def age_seconds(value: datetime | None) -> int | None:
    value = aware(value)
    return None if value is None else max(0, int((utcnow() - value).total_seconds()))


def tags(
    space: Space,
    integration: Integration,
    repository: str,
    *,
    refresh: bool = False,
    before_fetch: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """A repository's tags from the shared cache, fetched from the registry when stale.

    A registry that fails leaves the cached list in place, served with ``stale`` and the
    error, so the picker keeps working on what it knew. ``before_fetch`` runs only when the
    registry is about to be asked (the web layer's rate limit: cache hits are free).
    """
    cached = session().scalar(
        select(TagCache).where(TagCache.space_id == space.id, TagCache.repository == repository)
    )
    fresh = (
        cached is not None
        and not cached.error
        and (utcnow() - (aware(cached.fetched_at) or utcnow()) < _ttl())
    )
    if refresh or not fresh:
        if before_fetch is not None:
            before_fetch()
        try:
            artifacts = fetch_artifacts(integration, space.name, repository)
        except RegistryError as exc:
            if cached is None:
                return {"items": [], "stale": True, "error": exc.message, "age_seconds": None}
            cached.error = exc.message
            session().commit()
        else:
            if cached is None:
                cached = TagCache(space_id=space.id, repository=repository)
                session().add(cached)
            cached.artifacts, cached.fetched_at, cached.error = artifacts, utcnow(), None
            session().commit()
    assert cached is not None  # fresh, fetched now, or returned above
    return {
        "items": cached.artifacts,
        "stale": bool(cached.error),
        "error": cached.error,
        "age_seconds": age_seconds(cached.fetched_at),
    }


def fetch_artifacts(integration: Integration, space: str, repository: str) -> list[dict[str, Any]]:
    """One entry per tag (and one per untagged artifact), newest first."""
    http = http_for_row(integration)
    try:
        return driver_for(integration.kind).list_artifacts(http, space, repository)
    finally:
        http.close()


def refresh_repositories(space: Space, integration: Integration) -> int:
    """Re-list one space's repositories from the registry, by the same listing as the sync
    (:meth:`RegistryDriver.list_repositories`); how many it found. The work of a "refresh"
    job (:func:`start_refresh`); a RegistryError changes nothing."""
    http = http_for_row(integration)
    try:
        found = driver_for(integration.kind).list_repositories(http, space.name)
    finally:
        http.close()
    session().query(Repository).filter(Repository.space_id == space.id).delete()
    session().add_all(
        Repository(
            space_id=space.id,
            name=repo.name,
            artifact_count=repo.artifact_count,
            updated_at=repo.updated_at,
        )
        for repo in found
    )
    space.repo_count, space.synced_at = len(found), utcnow()
    session().commit()
    return len(found)


def start_refresh(space: Space, integration: Integration, *, actor: str) -> Job:
    """Queue a refresh of ``space`` as a job, or join the one queued or running (whoever
    started it, on whichever replica: one per space), and wait for it at most
    ``MIRROR_REFRESH_WAIT`` seconds; the job as it then is. A registry that answers in time
    looks as it did in the request; a slow one leaves a job to poll, not a request that
    outlives its worker's timeout."""
    job, _ = jobs.enqueue("refresh", integration, actor=actor, space_id=space.id)
    wait = float(current_app.config["MIRROR_REFRESH_WAIT"])
    return jobs.run_or_wait(job.id, timeout=wait, background=True) or job


def access(space: Space, integration: Integration) -> str:
    """Which part of the rule makes a visible space visible: ``public``, ``bound`` (a private
    platform space bound to the workspace) or ``warehouse`` (the workspace's own registry).
    The picker and the Image List label their rows with it, so both say the same thing."""
    if not integration.is_platform:
        return "warehouse"
    return "public" if space.public else "bound"


def known_repository(space: Space, repository: str) -> bool:
    """Did the last listing of ``space`` find ``repository``? Tags are fetched only for those,
    so a made-up name never becomes a registry call."""
    found = session().scalar(
        select(Repository.id).where(Repository.space_id == space.id, Repository.name == repository)
    )
    return found is not None


def pull_references(image: str, artifact: dict[str, Any]) -> dict[str, str | None]:
    """The two ways to pull one tag list entry: by tag (moves when the tag is pushed again)
    and by digest (pinned); either may be missing (an untagged artifact, a registry that
    gave no digest)."""
    tag, digest = artifact.get("tag"), artifact.get("digest")
    return {
        "reference_tag": f"{image}:{tag}" if tag else None,
        "reference_digest": f"{image}@{digest}" if digest else None,
    }
