"""Pull access: keep one Harbor robot per (platform Harbor, workspace) in step with bindings.

Writers of bindings call :func:`enqueue` (or :func:`enqueue_spaces`) inside their own
transaction; they never call Harbor. :func:`reconcile` (the background worker of
:mod:`mirror_plugin.services.pull_worker`, and ``flask mirror pull reconcile``) later makes
each
robot
hold exactly ``repository:pull`` on the bound private projects of its workspace, creating it
on the first private binding and deleting it after the last, with retries and backoff. A full
pass (``drift=True``) also checks robots nobody queued: one deleted, disabled or edited in
Harbor by hand is put back and the audit log says so. Secrets are kept encrypted and never
logged; :func:`pull_credentials_changed` fires whenever a namespace's secret changes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from mirror_plugin.models import Binding, Integration, Scope, Space, utcnow
from mirror_plugin.models.pull import PullOutbox, PullRobot
from mirror_plugin.registry.drivers import driver_for, kinds_that
from mirror_plugin.registry.harbor import HarborClient
from mirror_plugin.registry.harbor_robots import RobotClient, RobotState
from mirror_plugin.services import audit
from mirror_plugin.services.bulk import insert_rows
from mirror_plugin.services.pull_changes import bump
from mirror_plugin.services.registry_client import http_for_row
from mirror_plugin.signals import pull_credentials_changed
from mirror_plugin.state import host_adapter, mirror_state, session

log = logging.getLogger(__name__)
ACTOR = "mirror-pull"
_SLUG = re.compile(r"[^a-z0-9]+")


# --------------------------------------------------------------------------- enqueueing


def enqueue(integration_id: int, workspaces: Iterable[str], reason: str) -> None:
    """Queue "make these workspaces' robots match the bindings" (not committed: the caller's
    transaction carries it with the binding change)."""
    now = utcnow()
    rows = [
        {"integration_id": integration_id, "workspace_id": w, "reason": reason[:64],
         "attempts": 0, "next_attempt_at": now, "created_at": now}
        for w in sorted(set(workspaces))
    ]  # fmt: skip
    if rows:
        insert_rows(PullOutbox, rows)


def needs_robot(integration: Integration) -> bool:
    """Only platform integrations of a kind with pull robots (Harbor) mint scoped robots."""
    platform = integration.scope == Scope.PLATFORM.value
    return platform and driver_for(integration.kind).has_pull_robots


def enqueue_spaces(space_workspaces: Mapping[int, Iterable[str]], reason: str) -> None:
    """Queue the workspaces of private spaces of platform Harbors among ``space_workspaces``
    (space id -> workspaces whose access to it changed). Call before the spaces are deleted."""
    ids = [space_id for space_id, ws in space_workspaces.items() if ws]
    if not ids:
        return
    rows = session().execute(
        select(Space.id, Space.integration_id)
        .join(Integration, Integration.id == Space.integration_id)
        .where(
            Space.id.in_(ids),
            Space.public.is_(False),
            Integration.kind.in_(kinds_that(lambda driver: driver.has_pull_robots)),
            Integration.scope == Scope.PLATFORM.value,
        )
    )
    for space_id, integration_id in rows:
        enqueue(integration_id, space_workspaces[space_id], reason)


def enqueue_workspace(workspace_id: str, reason: str) -> None:
    """Queue every robot the workspace has or should have (forget_workspace)."""
    ids = set(
        session().scalars(
            select(PullRobot.integration_id).where(PullRobot.workspace_id == workspace_id)
        )
    )
    ids |= set(
        session().scalars(
            select(Space.integration_id)
            .join(Binding, Binding.space_id == Space.id)
            .where(Binding.workspace_id == workspace_id, Space.public.is_(False))
        )
    )
    for integration_id in ids:
        enqueue(integration_id, [workspace_id], reason)


# --------------------------------------------------------------------------- reconciling


@dataclass
class Outcome:
    """What reconciling one (integration, workspace) did."""

    integration: str
    workspace: str
    action: str  # "created", "updated", "deleted", "restored", "repaired", "rotated", "ok"
    projects: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def changed_credentials(self) -> bool:
        return self.action in ("created", "deleted", "restored", "rotated")


def robot_name(integration_id: int, workspace_id: str) -> str:
    """A stable Harbor robot name (lower case, Harbor's name rule) for the pair."""
    slug = _SLUG.sub("-", workspace_id.lower()).strip("-")[:40].strip("-") or "ws"
    digest = hashlib.sha256(workspace_id.encode()).hexdigest()[:8]
    return f"mirror-{integration_id}-{slug}-{digest}"


def desired_projects(integration_id: int, workspace_id: str) -> list[str]:
    return sorted(
        session().scalars(
            select(Space.name)
            .join(Binding, Binding.space_id == Space.id)
            .where(
                Space.integration_id == integration_id,
                Binding.workspace_id == workspace_id,
                Space.public.is_(False),
            )
        )
    )


def _config_days(key: str) -> int:
    return int(current_app.config[key])


def _secrets() -> Any:
    return mirror_state().secrets


def _store_secret(row: PullRobot, secret: str) -> None:
    row.secret_encrypted = _secrets().encrypt(secret)
    row.secret_rotated_at = utcnow()


def _robots(integration: Integration) -> RobotClient:
    return RobotClient(HarborClient(http_for_row(integration)))


def _create(client: RobotClient, row: PullRobot, projects: list[str]) -> None:
    name = robot_name(row.integration_id, row.workspace_id)
    days = _config_days("MIRROR_PULL_ROBOT_DAYS")
    robot_id, full_name, secret, expires = client.create(
        name, projects, days=days, description=f"Pull access of workspace {row.workspace_id}"
    )
    row.robot_id, row.robot_name, row.expires_at = robot_id, full_name, expires
    _store_secret(row, secret)


def _adopt(client: RobotClient, row: PullRobot, state: RobotState, projects: list[str]) -> None:
    """A robot with our name exists but we lost its id or secret: take it over."""
    client.update(state, projects, days=_config_days("MIRROR_PULL_ROBOT_DAYS"))
    row.robot_id, row.robot_name, row.expires_at = state.id, state.name, state.expires_at
    _store_secret(row, client.refresh_secret(state.id))


def _due(row: PullRobot, now: datetime) -> str | None:
    """ "rotate" when the secret is older than MIRROR_PULL_ROTATE_DAYS, "renew" when the robot
    expires within that period (or within a day when rotation is off)."""
    rotate_days = _config_days("MIRROR_PULL_ROTATE_DAYS")
    window = timedelta(days=rotate_days if rotate_days > 0 else 1)
    if row.expires_at is not None and _aware(row.expires_at) - now <= window:
        return "renew"
    rotated = row.secret_rotated_at
    if rotate_days > 0 and rotated is not None and now - _aware(rotated) >= window:
        return "rotate"
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def apply_pair(integration: Integration, workspace_id: str, *, rotate: bool = False) -> Outcome:
    """Make the pair's robot match the bindings (raises RegistryError; the caller commits)."""
    projects = desired_projects(integration.id, workspace_id)
    row = session().scalar(
        select(PullRobot).where(
            PullRobot.integration_id == integration.id, PullRobot.workspace_id == workspace_id
        )
    )
    outcome = Outcome(integration.name, workspace_id, "ok", projects)
    client = _robots(integration)
    if not projects:
        if row is not None:
            if row.robot_id is not None:
                client.delete(row.robot_id)
            session().delete(row)
            outcome.action = "deleted"
        return outcome
    if row is None:
        row = PullRobot(integration_id=integration.id, workspace_id=workspace_id, projects=[])
        session().add(row)
    state = client.get(row.robot_id) if row.robot_id is not None else None
    if state is None:
        known = row.robot_id is not None and row.secret_encrypted is not None
        found = client.find(robot_name(integration.id, workspace_id))
        if found is not None:
            _adopt(client, row, found, projects)
        else:
            _create(client, row, projects)
        outcome.action = "restored" if known else "created"
    else:
        drifted = (
            state.disabled
            or state.extra_permissions
            or state.pull_projects != set(row.projects or [])
        )
        if drifted or state.pull_projects != set(projects):
            client.update(state, projects, days=_config_days("MIRROR_PULL_ROBOT_DAYS"))
            outcome.action = "repaired" if drifted else "updated"
        due = "rotate" if rotate else _due(row, utcnow())
        if due == "renew":  # Harbor keeps the expiry of a robot: a new robot renews it
            client.delete(state.id)
            _create(client, row, projects)
            outcome.action = "rotated"
        elif due == "rotate":
            _store_secret(row, client.refresh_secret(state.id))
            outcome.action = "rotated"
    row.projects = projects
    return outcome


def _audit(outcome: Outcome, reason: str) -> None:
    if outcome.action == "ok":
        return
    audit.record(
        session(),
        actor=ACTOR,
        action=f"pull.robot_{outcome.action}",
        integration=outcome.integration,
        workspaces=[outcome.workspace],
        projects=outcome.projects,
        reason=reason,
    )


def notify_shared(space_workspaces: dict[int, list[str]], reason: str) -> None:
    """After a committed binding change: workspaces whose secret gains or loses an opted-in
    platform Docker Registry's account (see :mod:`mirror_plugin.services.pull_secret`)."""
    ids = [space_id for space_id, ws in space_workspaces.items() if ws]
    if not ids:
        return
    shared = session().scalars(
        select(Space.id)
        .join(Integration, Integration.id == Space.integration_id)
        .where(
            Space.id.in_(ids),
            Space.public.is_(False),
            Integration.kind.in_(kinds_that(lambda driver: driver.shares_pull_credentials)),
            Integration.share_pull_credentials.is_(True),
        )
    )
    for workspace in sorted({w for space_id in shared for w in space_workspaces[space_id]}):
        notify(workspace, reason)


def notify(workspace_id: str, reason: str, *, counted: bool = False) -> None:
    """Count the change (the cluster agents' cursor, :mod:`mirror_plugin.services.pull_changes`; not
    when ``counted`` with the change's own commit) and send ``pull_credentials_changed``
    for the workspace's namespaces."""
    if not counted:
        bump(workspace_id)
    try:
        namespaces = sorted(host_adapter().namespaces_of_workspace(workspace_id))
    except Exception:  # noqa: BLE001 - a host failure must not undo a committed change
        log.exception("mirror_plugin: listing the namespaces of %s failed", workspace_id)
        namespaces = []
    pull_credentials_changed.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]  # a LocalProxy
        workspace=workspace_id,
        namespaces=namespaces,
        reason=reason,
    )
