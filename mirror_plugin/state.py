"""The plugin's per-app state, and the one typed way to reach it.

``app.extensions["mirror_plugin"]`` holds a :class:`MirrorState` (Flask-SQLAlchemy's habit:
the extension object may serve several apps, each app keeps its own state). Code reaches it
through :func:`mirror_state` instead of looking the string up, so a type checker knows every field
and a missing ``init_app`` says so in one sentence.

This module sits below every layer (services, web, cli import it); the types it names from
those layers are imported for type checking only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from flask import Blueprint, Flask, current_app

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy
    from flask_sqlalchemy.session import Session as AppSession
    from sqlalchemy.orm import Session, scoped_session

    from mirror_plugin.adapter import HostAdapter
    from mirror_plugin.crypto import SecretBox
    from mirror_plugin.extension import MirrorPlugin
    from mirror_plugin.registry.netguard import NetworkPolicy
    from mirror_plugin.registry.resolver import CachedResolver
    from mirror_plugin.services.health import HealthMonitor
    from mirror_plugin.services.jobs import JobRunner
    from mirror_plugin.services.pull_worker import PullWorker
    from mirror_plugin.services.rulecache import RuleCache

EXTENSION_KEY = "mirror_plugin"

#: A session to write in: the app's scoped one (what :func:`session` returns) or a plain one.
SessionLike: TypeAlias = "Session | scoped_session[AppSession]"


@dataclass
class MirrorState:
    """What ``app.extensions["mirror_plugin"]`` holds for one app."""

    plugin: MirrorPlugin
    db: SQLAlchemy
    host: HostAdapter
    network_policy: NetworkPolicy
    secrets: SecretBox
    health: HealthMonitor
    rules: RuleCache
    pull_worker: PullWorker
    resolver: CachedResolver
    jobs: JobRunner
    #: Workspace warehouses' own allow-list (MIRROR_WORKSPACE_ALLOWED_NETWORKS); None: the
    #: platform's (``network_policy``) applies to them too.
    workspace_network_policy: NetworkPolicy | None = None
    #: Per-app state of optional parts (the rate limiter, the admission callers' cache, the
    #: picker's search index), keyed by the part's own name.
    extras: dict[str, Any] = field(default_factory=dict)
    #: The blueprint mounted on this app (a host running Flask-WTF's CSRFProtect exempts it:
    #: ``csrf.exempt(mirror_state(app).blueprint)``).
    blueprint: Blueprint | None = None


def mirror_state(app: Flask | None = None) -> MirrorState:
    """The plugin's state on ``app`` (default: the current app)."""
    found = (app if app is not None else current_app).extensions.get(EXTENSION_KEY)
    if found is None:
        raise RuntimeError(
            "MirrorPlugin is not registered on the current app; call init_app(app) first."
        )
    return found  # type: ignore[no-any-return]


def host_adapter() -> HostAdapter:
    """The host adapter: who the user is, which workspaces and namespaces exist."""
    return mirror_state().host


def session() -> scoped_session[AppSession]:
    """The host's Flask-SQLAlchemy session, which the plugin's tables share."""
    return mirror_state().db.session
