"""The Flask extension object a host instantiates: ``MirrorPlugin(app, db=db, host=adapter)``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import DBAPIError

from mirror_plugin import admission
from mirror_plugin.adapter import (
    ADAPTER_METHODS,
    OPTIONAL_ADAPTER_METHODS,
    HostAdapter,
    UnknownNamespace,
)
from mirror_plugin.config import DEFAULTS, FOREIGN_IMAGE_POLICIES, JOBS_BACKENDS
from mirror_plugin.crypto import SecretBox
from mirror_plugin.i18n import gettext
from mirror_plugin.params import IdConverter
from mirror_plugin.policy.rule import Decision, Explanation, Verdict, judge, unavailable
from mirror_plugin.registry.netguard import NetworkPolicy
from mirror_plugin.registry.resolver import CachedResolver
from mirror_plugin.services import lifecycle
from mirror_plugin.services.dbfaults import (
    UNAVAILABLE_MESSAGE,
    RuleUnavailable,
    database_unreachable,
    rollback_session,
)
from mirror_plugin.services.faq import explanation
from mirror_plugin.services.health import HealthMonitor
from mirror_plugin.services.jobs import JobRunner
from mirror_plugin.services.lifecycle import WorkspaceReferences
from mirror_plugin.services.pull_secret import PullSecret
from mirror_plugin.services.pull_worker import PullWorker
from mirror_plugin.services.rulecache import RuleCache
from mirror_plugin.services.sentences import decision
from mirror_plugin.services.tenancy import namespace_workspace
from mirror_plugin.state import EXTENSION_KEY, MirrorState, mirror_state
from mirror_plugin.web import ratelimit
from mirror_plugin.web.blueprint import build_blueprint
from mirror_plugin.web.views import json_routing_errors

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FilterResult:
    """``filter_images``' answer: the images that may be deployed and why the others may not."""

    allowed: list[str]
    denied: list[Decision]


@dataclass(frozen=True, slots=True)
class MenuItem:
    """A navigation entry the host renders in its own menu (the plugin never patches it)."""

    title: str
    endpoint: str
    requires: str  # "platform_admin", "workspace_admin" or "member"


class MirrorPlugin:
    """Mounts the Mirror Warehouse into a host Flask app.

    :param app: the host app, or ``None`` to call :meth:`init_app` later (factory pattern).
    :param db: the host's Flask-SQLAlchemy instance; defaults to the one registered on the app.
        The plugin never creates a second ``SQLAlchemy()`` or ``Migrate()``.
    :param host: the host adapter (:class:`mirror_plugin.adapter.HostAdapter`).

    Configuration keys (``app.config``, defaults applied with ``setdefault``) are listed in
    :data:`mirror_plugin.config.DEFAULTS`.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        db: SQLAlchemy | None = None,
        host: HostAdapter | None = None,
    ) -> None:
        self.db = db
        self.host = host
        if app is not None:
            self.init_app(app)

    def init_app(
        self, app: Flask, *, db: SQLAlchemy | None = None, host: HostAdapter | None = None
    ) -> None:
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "A 'MirrorPlugin' instance has already been registered on this Flask app. "
                "Import and use that instance instead."
            )
        db = db or self.db or app.extensions.get("sqlalchemy")
        if db is None:
            raise RuntimeError(
                "MirrorPlugin needs the host's Flask-SQLAlchemy instance: register "
                "SQLAlchemy(app) first or pass MirrorPlugin(app, db=db, host=...)."
            )
        host = host or self.host
        if host is None:
            raise RuntimeError(
                "Missing host adapter: pass MirrorPlugin(app, db=db, host=adapter) where adapter "
                "implements mirror_plugin.HostAdapter (see mirror_plugin.testing.FakeHostAdapter)."
            )
        missing = [name for name in ADAPTER_METHODS if not callable(getattr(host, name, None))]
        missing += [
            name
            for name in OPTIONAL_ADAPTER_METHODS
            if getattr(host, name, None) is not None and not callable(getattr(host, name))
        ]
        if missing:
            raise RuntimeError(
                f"The host adapter lacks {', '.join(missing)}: see mirror_plugin.HostAdapter."
            )
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        policy = app.config["MIRROR_FOREIGN_IMAGES"]
        if policy not in FOREIGN_IMAGE_POLICIES:
            raise RuntimeError(f"MIRROR_FOREIGN_IMAGES must be 'allow' or 'deny', not {policy!r}.")
        if app.config["MIRROR_JOBS_BACKEND"] not in JOBS_BACKENDS:
            raise RuntimeError(
                f"MIRROR_JOBS_BACKEND must be one of {', '.join(JOBS_BACKENDS)}, "
                f"not {app.config['MIRROR_JOBS_BACKEND']!r}."
            )
        if policy == "allow":
            log.warning(
                "MIRROR_FOREIGN_IMAGES is 'allow': images of registries nobody integrated are "
                "deployable by every namespace. Set it to 'deny' to allow integrated registries "
                "only (see the README's Security section)."
            )

        app.extensions[EXTENSION_KEY] = MirrorState(
            plugin=self,
            db=db,
            host=host,
            network_policy=NetworkPolicy.from_config(app.config["MIRROR_ALLOWED_NETWORKS"]),
            secrets=SecretBox.for_app(app),
            health=HealthMonitor(app),
            pull_worker=PullWorker(app),
            jobs=JobRunner(app),
            rules=RuleCache(
                float(app.config["MIRROR_RULE_REFRESH_SECONDS"]),
                float(app.config["MIRROR_RULE_STALE_SECONDS"]),
            ),
            resolver=CachedResolver(
                ttl=float(app.config["MIRROR_RESOLVER_TTL"]),
                timeout=float(app.config["MIRROR_RESOLVER_TIMEOUT"]),
                max_entries=int(app.config["MIRROR_RESOLVER_CACHE_SIZE"]),
            ),
            workspace_network_policy=_workspace_policy(app.config),
        )
        ratelimit.init_app(app)

        # The job kinds join the job runner's table when their module is imported.
        from mirror_plugin.admission import cli as cluster_cli
        from mirror_plugin.cli import build_group
        from mirror_plugin.services import jobs_kinds  # noqa: F401

        blueprint = build_blueprint()
        admission.register(blueprint)
        mirror_state(app).blueprint = blueprint
        app.url_map.converters["mirror_id"] = IdConverter
        app.register_blueprint(blueprint, url_prefix=app.config["MIRROR_URL_PREFIX"])
        app.after_request(json_routing_errors)
        _rotate_csrf_on_sign_in(app)
        if not app.testing:
            app.before_request(mirror_state(app).health.start_once)
            app.before_request(mirror_state(app).pull_worker.start_once)
            if app.config["MIRROR_JOBS_BACKEND"] == "database":
                app.before_request(mirror_state(app).jobs.start_once)
        from mirror_plugin.services.jobs import connect_signals as connect_job_signals
        from mirror_plugin.services.pull_hooks import connect_signals

        connect_signals(app)
        connect_job_signals(app)
        commands = build_group()
        cluster_cli.register(commands)
        app.cli.add_command(commands, name=app.config["MIRROR_CLI_GROUP"])

    # -- the deploy hook ------------------------------------------------------------------

    def explain(self, namespace: str, image: str) -> Explanation:
        """Run the FAQ checks for ``image`` in ``namespace`` one by one; never raises.

        While the database cannot be reached, the last rule snapshot answers for
        ``MIRROR_RULE_STALE_SECONDS``; after that, and when the host adapter's own database
        lookup fails, the answer is a denial with reason ``unavailable``.
        """
        return explanation(self._judge(namespace)(image))

    def check_image(self, namespace: str, image: str) -> Decision:
        """May ``image`` be deployed into ``namespace``? A decision, never an exception.

        The same verdict as :meth:`explain`'s, without the FAQ sentences nobody reads here.
        """
        return decision(self._judge(namespace)(image))

    def check_images(self, namespace: str, images: Iterable[str]) -> list[Decision]:
        """:meth:`check_image` for each of ``images``, in order, with the namespace and the
        rule snapshot looked up once: a workload's images (the admission webhook) are decided
        together, and per image those lookups cost as much as the decision."""
        judge_image = self._judge(namespace)
        return [decision(judge_image(image)) for image in images]

    def _judge(self, namespace: str) -> Callable[[str], Verdict]:
        """What a decision asks once per namespace (the host's workspace, the rule snapshot),
        bound into a function that judges one image of that namespace: the hot path of every
        deploy check."""
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        state = mirror_state(app)  # raises when init_app was not called on this app
        workspace_id: str | None = None
        namespace_known = isinstance(namespace, str) and bool(namespace.strip())
        try:
            if namespace_known:
                try:
                    workspace_id = namespace_workspace(namespace, state.host)
                except UnknownNamespace:
                    namespace_known = False
            facts = state.rules.facts(state.db, state.host)
        except (RuleUnavailable, DBAPIError) as error:
            if isinstance(error, DBAPIError):
                if not database_unreachable(error):
                    raise
                rollback_session(state.db)
            text = _namespace_text(namespace)
            return lambda image: unavailable(image, text, gettext(UNAVAILABLE_MESSAGE))
        options: dict[str, Any] = {
            "namespace": _namespace_text(namespace),
            "namespace_known": namespace_known,
            "workspace_id": workspace_id,
            "workspace_name": state.rules.workspace_name(workspace_id),
            "foreign_policy": app.config["MIRROR_FOREIGN_IMAGES"],
            "resolve": state.resolver.resolve,
        }
        return lambda image: judge(facts, image=image, **options)

    def filter_images(self, namespace: str, images: Iterable[str]) -> FilterResult:
        """Split ``images`` into those ``namespace`` may deploy and the denied decisions."""
        allowed: list[str] = []
        denied: list[Decision] = []
        images = list(images)
        for image, answer in zip(images, self.check_images(namespace, images), strict=True):
            if answer.allowed:
                allowed.append(image)
            else:
                denied.append(answer)
        return FilterResult(allowed, denied)

    # -- host lifecycle -------------------------------------------------------------------

    def workspace_references(self, workspace_id: str) -> WorkspaceReferences:
        """Call before deleting a workspace: the bindings and warehouses that still name it."""
        return lifecycle.references(workspace_id)

    def forget_workspace(self, workspace_id: str, *, actor: str) -> WorkspaceReferences:
        """Call when the host deleted a workspace: remove its bindings and warehouses."""
        return lifecycle.forget(workspace_id, actor=actor)

    # -- pull access ----------------------------------------------------------------------

    def pull_secret(self, namespace: str) -> PullSecret:
        """The namespace's merged pull credentials (``.dockerconfigjson``, or a Kubernetes
        Secret with ``.manifest(k8s_namespace)``). Raises UnknownNamespace like the adapter."""
        from mirror_plugin.services.pull_secret import pull_secret

        mirror_state()
        return pull_secret(namespace)

    def reconcile_pull_access(self, *, drift: bool = True) -> list[Any]:
        """Apply queued robot changes now (and check every robot with ``drift``)."""
        from mirror_plugin.services.pull_reconcile import reconcile

        mirror_state()
        return reconcile(drift=drift, due_only=False)

    # -- navigation -----------------------------------------------------------------------

    def menu_items(self) -> list[MenuItem]:
        """Entries for the host's left navigation, as data."""
        return [MenuItem(gettext("Mirror Warehouse"), "mirror_plugin.index", "member")]


def _rotate_csrf_on_sign_in(app: Flask) -> None:
    """A new plugin CSRF token whenever Flask-Login signs a user in or out of ``app``.

    A token from before sign-in (planted by an attacker who set the victim's session cookie,
    or read on a shared machine) must not authorise requests after it. Hosts using
    ``login_user`` get this for free; others call :func:`mirror_plugin.web.csrf.rotate_csrf_token`.
    ``user_loaded_from_cookie`` is a sign-in too: a remember-me cookie restores the user into
    a session that had none.
    """
    from flask_login import user_loaded_from_cookie, user_logged_in, user_logged_out

    from mirror_plugin.web.csrf import rotate_csrf_token

    for signal in (user_logged_in, user_loaded_from_cookie, user_logged_out):
        signal.connect(rotate_csrf_token, sender=app, weak=False)


def _namespace_text(namespace: object) -> str:
    return namespace if isinstance(namespace, str) else repr(namespace)


def _workspace_policy(config: Any) -> NetworkPolicy | None:
    networks = config["MIRROR_WORKSPACE_ALLOWED_NETWORKS"]
    if networks is None:
        return None
    return NetworkPolicy.from_config(networks, setting="MIRROR_WORKSPACE_ALLOWED_NETWORKS")
