"""Bringing an integration's spaces into our database.

Harbor projects arrive with their visibility and repository counts. A Docker Registry has no
projects: its spaces are the first path segments of repository names, and their visibility is
ours to set (public by default, kept across syncs). Everything is fetched before anything is
written, so a registry that fails mid-way leaves our data exactly as it was; spaces that
vanished upstream go with their bindings in the same transaction, audited.

A registry is a tenant's input, so a sync is bounded (:func:`registry_budget`): a total
deadline (``MIRROR_SYNC_DEADLINE``) and caps on list pages, spaces and repositories; reaching
one stops the sync with a message naming the key, and changes nothing (a truncated list would
read as "everything else vanished"). Names must be image names the reference grammar accepts
(``mirror_plugin.policy.reference``), at most 255 characters: others are skipped and counted in the
report, since no image reference could name them anyway. A database error while writing rolls
back and is reported like a registry failure, never as a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from mirror_plugin.i18n import _, ngettext
from mirror_plugin.models import Binding, Health, Integration, Repository, Space, utcnow
from mirror_plugin.policy.reference import _PATH_COMPONENT, MAX_PATH_LENGTH
from mirror_plugin.registry.drivers import Progress, UpstreamSpace, driver_for
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.services import audit
from mirror_plugin.services.integrations import purge_spaces
from mirror_plugin.services.registry_client import http_for_row, registry_budget
from mirror_plugin.services.registry_hosts import record_addresses
from mirror_plugin.signals import bindings_changed
from mirror_plugin.state import session

_COMPONENT = re.compile(_PATH_COMPONENT, re.ASCII)
_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*", re.ASCII)
MAX_SPACE_NAME = 255  # Space.name's column, and Harbor's own limit
MAX_COUNT = 2**31 - 1  # counts are INTEGER columns: a larger "count" is no count


@dataclass
class SyncReport:
    total: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unbound_workspaces: list[str] = field(default_factory=list)
    #: Spaces and repositories the registry listed under names no image reference can use
    #: (grammar, length, duplicates): left out, counted here, never shown (they are raw input).
    skipped_spaces: int = 0
    skipped_repositories: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "added": self.added,
            "removed": self.removed,
            "updated": self.updated,
            "unbound_workspaces": self.unbound_workspaces,
            "skipped_spaces": self.skipped_spaces,
            "skipped_repositories": self.skipped_repositories,
        }

    @property
    def summary(self) -> str:
        text = ngettext(
            "%(num)s space: %(added)s new, %(updated)s changed, %(removed)s removed.",
            "%(num)s spaces: %(added)s new, %(updated)s changed, %(removed)s removed.",
            self.total,
            added=len(self.added),
            updated=len(self.updated),
            removed=len(self.removed),
        )
        if self.skipped_spaces or self.skipped_repositories:
            text += " " + _(
                "Skipped %(spaces)s and %(repositories)s whose names are not valid image names.",
                spaces=ngettext("%(num)s space", "%(num)s spaces", self.skipped_spaces),
                repositories=ngettext(
                    "%(num)s repository", "%(num)s repositories", self.skipped_repositories
                ),
            )
        return text


@dataclass(frozen=True)
class Screened:
    """What :func:`screen` kept, and how many names it left out."""

    spaces: list[UpstreamSpace]
    skipped_spaces: int = 0
    skipped_repositories: int = 0


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and 0 <= value <= MAX_COUNT else None


def valid_space(name: str) -> bool:
    """Could an image reference name this space? One path component, at most 255 chars."""
    return len(name) <= MAX_SPACE_NAME and _COMPONENT.fullmatch(name) is not None


def screen(upstream: list[UpstreamSpace]) -> Screened:
    """Keep the spaces and repositories whose names an image reference can use.

    A space is one path component of the reference grammar (at most 255 characters); a
    repository is a path of such components starting with its space, at most 255 characters
    (Go's limit on a reference's path). Duplicates (a list that shifted between pages) keep
    their first entry. Counts the registry reports are kept only when they fit a column.
    """
    kept: list[UpstreamSpace] = []
    seen: set[str] = set()
    skipped_spaces = skipped_repositories = 0
    for space in upstream:
        if space.name in seen or not valid_space(space.name):
            skipped_spaces += 1
            skipped_repositories += len(space.repositories)
            continue
        seen.add(space.name)
        names: set[str] = set()
        repositories = []
        for repo in space.repositories:
            if (
                repo.name in names
                or len(repo.name) > MAX_PATH_LENGTH
                or not repo.name.startswith(space.name + "/")
                or not _PATH.fullmatch(repo.name)
            ):
                skipped_repositories += 1
                continue
            names.add(repo.name)
            count = _count(repo.artifact_count)
            # A copy only when the count changes: tens of thousands of repositories a sync.
            repositories.append(
                repo if count == repo.artifact_count else replace(repo, artifact_count=count)
            )
        repo_count = _count(space.repo_count)
        kept.append(
            replace(
                space,
                repositories=repositories,
                repo_count=len(repositories) if repo_count is None else repo_count,
            )
        )
    return Screened(kept, skipped_spaces, skipped_repositories)


def fetch_spaces(
    row: Integration, progress: Progress | None = None, *, workers: int | None = None
) -> list[UpstreamSpace]:
    """Everything the registry says about its spaces and repositories; writes nothing.

    Harbor needs one listing per project for repositories: those run ``workers`` at a time
    (``MIRROR_SYNC_WORKERS``), which is what makes a large Harbor sync in seconds, not minutes.
    The whole fetch is held to the sync's budget (deadline, page and item caps).
    """
    workers = workers or int(current_app.config["MIRROR_SYNC_WORKERS"])
    http = http_for_row(row, registry_budget(sync=True))
    try:
        return driver_for(row.kind).list_spaces(
            http, workers=workers, progress=progress, listable=valid_space
        )
    finally:
        http.close()


def _failed(row: Integration, message: str) -> None:
    """Roll back whatever the sync had begun, and record the failure on the integration."""
    session().rollback()
    row.health, row.last_error, row.last_checked_at = Health.UNHEALTHY.value, message, utcnow()
    session().commit()


def sync(row: Integration, *, actor: str, progress: Progress | None = None) -> SyncReport:
    """Fetch and apply. On a registry or database failure, record the health and raise a
    RegistryError (whose message is safe to show); the spaces stay as they were."""
    try:
        screened = screen(fetch_spaces(row, progress))
    except RegistryError as exc:
        _failed(row, exc.message)
        raise
    try:
        return apply(row, screened.spaces, actor=actor, screened=screened)
    except SQLAlchemyError:
        session().rollback()  # before anything reads the row again
        current_app.logger.exception("mirror_plugin: storing the sync of %s failed", row.name)
        error = RegistryError(
            Category.BAD_RESPONSE,
            _(
                "The registry's answer could not be stored (a value the database refuses); "
                "nothing was changed. The server log has the details."
            ),
        )
        _failed(row, error.message)
        raise error from None


def apply(
    row: Integration,
    upstream: list[UpstreamSpace],
    *,
    actor: str,
    screened: Screened | None = None,
) -> SyncReport:
    """Write what :func:`fetch_spaces` found (after :func:`screen`), in one transaction."""
    now = utcnow()
    report = SyncReport(total=len(upstream))
    if screened is not None:
        report.skipped_spaces = screened.skipped_spaces
        report.skipped_repositories = screened.skipped_repositories
    existing = {
        space.name: space
        for space in session().scalars(select(Space).where(Space.integration_id == row.id))
    }
    # Repositories are replaced wholesale: nothing refers to their ids, and it is one statement.
    space_ids = select(Space.id).where(Space.integration_id == row.id)
    session().execute(Repository.__table__.delete().where(Repository.space_id.in_(space_ids)))
    flipped: list[int] = []  # spaces whose visibility changed upstream
    added: list[dict[str, Any]] = []
    for item in upstream:
        space = existing.pop(item.name, None)
        if space is None:
            added.append(
                {
                    "integration_id": row.id,
                    "name": item.name,
                    "upstream_id": item.upstream_id,
                    "public": True if item.public is None else item.public,
                    "repo_count": item.repo_count,
                    "synced_at": now,
                }
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
        if public != space.public:
            flipped.append(space.id)
        space.public, space.upstream_id = public, item.upstream_id
        space.repo_count, space.synced_at = item.repo_count, now
    # New spaces and all repositories go in as one multi-row statement each (executemany,
    # no RETURNING): row-by-row ORM inserts made a 1,000-project sync wait on its database.
    if added:
        session().execute(Space.__table__.insert(), added)
    session().flush()
    _enqueue_flipped(row, flipped)
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
        session().execute(Repository.__table__.insert(), repositories)

    gone = purge_spaces([space.id for space in existing.values()])
    removed_bindings = {space.name: gone[space.id] for space in existing.values()}
    events = []
    for name, workspaces in removed_bindings.items():
        events.append(
            audit.event(
                actor=actor,
                action="space.removed_upstream",
                integration=row.name,
                space=name,
                workspaces=workspaces,
            )
        )
        report.removed.append(name)
    report.unbound_workspaces = sorted({w for ws in removed_bindings.values() for w in ws})

    row.last_synced_at = now
    row.health, row.last_error, row.last_checked_at = Health.HEALTHY.value, None, now
    record_addresses(row)
    synced = audit.event(
        actor=actor,
        action="integration.synced",
        integration=row.name,
        total=report.total,
        added=len(report.added),
        removed=len(report.removed),
        skipped_spaces=report.skipped_spaces,
        skipped_repositories=report.skipped_repositories,
    )
    audit.commit_change(
        *events,
        synced,
        notify=[
            audit.notice(
                bindings_changed,
                integration=row.name,
                space=name,
                bound=[],
                unbound=workspaces,
                actor=actor,
            )
            for name, workspaces in removed_bindings.items()
            if workspaces
        ],
    )
    return report


def _enqueue_flipped(row: Integration, space_ids: list[int]) -> None:
    """A space made public or private in Harbor changes its workspaces' robots."""
    from mirror_plugin.services.pull import enqueue, needs_robot

    if not space_ids or not needs_robot(row):
        return
    workspaces = session().scalars(
        select(Binding.workspace_id).where(Binding.space_id.in_(space_ids)).distinct()
    )
    enqueue(row.id, list(workspaces), "space.visibility_synced")


def first_sync(row: Integration, *, actor: str) -> tuple[bool, str]:
    """Right after connecting: sync, but a failure does not undo the connection.

    Returns ``(ok, sentence)`` for the page's flash message or the API's ``sync`` field.
    """
    try:
        summary = sync(row, actor=actor).summary
        return True, _("Synced %(name)s: %(summary)s", name=row.name, summary=summary)
    except RegistryError as exc:
        return False, _("Saved, but the first sync failed: %(error)s", error=exc.message)
