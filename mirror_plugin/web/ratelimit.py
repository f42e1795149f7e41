"""One per-user limit on every plugin call that makes the server talk to a registry.

Test connection, create, edit, sync, the picker's refresh and tag fetch, and the space
actions that go to Harbor all make the server open connections on a user's behalf, often with
the platform's credentials. Each of them calls :func:`limit_registry_call` before the first
request leaves, so one user cannot turn the plugin into a request amplifier or a port scanner.

The counts live in Flask-Limiter's storage (``MIRROR_RATELIMIT_STORAGE_URI``): ``memory://``
holds them per process, ``redis://host:6379`` shares them between every worker and every host
running the console, so the limit is per user, not per worker.

The plugin must neither impose limits on the host's own routes nor inherit the host's
``RATELIMIT_*`` settings, yet ``Limiter.init_app`` reads those settings from the app it is
given and hooks ``before_request`` on it. So the plugin's Limiter is initialised on a private,
configuration-only Flask object and its strategy is called explicitly, at the registry-touching
calls only: the host's app, routes and any Limiter of its own are left alone.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_limiter import Limiter
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from mirror_plugin.i18n import _
from mirror_plugin.state import mirror_state
from mirror_plugin.web.access import require_principal

log = logging.getLogger(__name__)
EXTRAS_KEY = "ratelimit"
REGISTRY_CALLS = "MIRROR_REGISTRY_CALLS_PER_MINUTE"
TEST_CONNECTIONS = "MIRROR_TEST_CONNECTION_PER_MINUTE"
LIMIT_KEYS = (REGISTRY_CALLS, TEST_CONNECTIONS)
STRATEGY = "moving-window"  # exact "N in the last 60 s", on memory and Redis alike


class RegistryCallsExceeded(TooManyRequests):
    """429: this user made too many registry-touching calls in the last minute.

    Routes serving JSON let it through (the blueprint renders the API's error shape); pages
    catch it and flash :attr:`description` instead.
    """


@dataclass(frozen=True)
class RegistryLimiter:
    """The plugin's Limiter and its key prefix (``app.extensions`` extras)."""

    limiter: Limiter
    prefix: str


def _user_key() -> str:
    """Flask-Limiter's key function: the signed-in user as the host adapter names them."""
    return require_principal().id


def _per_minute(config: Any, key: str) -> RateLimitItem:
    """The limit ``config[key]`` sets, read at each call so a changed setting applies."""
    raw = config[key]
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise RuntimeError(f"{key} must be a whole number of calls per minute (1 or more).")
    return RateLimitItemPerMinute(raw)


def init_app(app: Flask) -> RegistryLimiter:
    """Build the plugin's limiter from ``app.config`` (called by ``MirrorPlugin.init_app``)."""
    for key in LIMIT_KEYS:
        _per_minute(app.config, key)  # a bad value fails at start-up, not at the first call
    uri = str(app.config["MIRROR_RATELIMIT_STORAGE_URI"])
    carrier = Flask(f"{__name__}.carrier")
    # Only the settings the plugin chose: nothing of the host's RATELIMIT_* configuration.
    carrier.config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=uri)
    limiter = Limiter(
        _user_key,
        default_limits=[],
        application_limits=[],
        storage_uri=uri,
        storage_options={"wrap_exceptions": True},
        strategy=STRATEGY,
        headers_enabled=False,
    )
    limiter.init_app(carrier)
    state = RegistryLimiter(limiter=limiter, prefix=str(app.config["MIRROR_RATELIMIT_KEY_PREFIX"]))
    mirror_state(app).extras[EXTRAS_KEY] = state
    return state


def _limiter() -> RegistryLimiter:
    return mirror_state().extras[EXTRAS_KEY]  # type: ignore[no-any-return]


def limit_registry_call(*, test_connection: bool = False) -> None:
    """Count one registry-touching call for the current user, or raise 429 if over a limit.

    Every such call counts against ``MIRROR_REGISTRY_CALLS_PER_MINUTE``; "Test connection"
    (which exists to try addresses) also against the stricter
    ``MIRROR_TEST_CONNECTION_PER_MINUTE``. A storage that cannot be reached refuses the call
    (503): the limit protects the registries, so it fails closed.
    """
    state = _limiter()
    user = _user_key()
    checks = [("registry", _per_minute(current_app.config, REGISTRY_CALLS))]
    if test_connection:
        checks.append(("test-connection", _per_minute(current_app.config, TEST_CONNECTIONS)))
    strategy = state.limiter.limiter
    try:
        for scope, item in checks:
            if not strategy.test(item, state.prefix, scope, user):
                _refuse(state, scope, item, user)
        for scope, item in checks:
            if not strategy.hit(item, state.prefix, scope, user):
                _refuse(state, scope, item, user)
    except StorageError as exc:
        log.error("mirror_plugin: rate-limit storage unavailable: %s", exc)
        raise ServiceUnavailable(
            _(
                "The console cannot check its rate limit right now, so it does not contact "
                "registries; try again shortly."
            )
        ) from None


def _refuse(state: RegistryLimiter, scope: str, item: RateLimitItem, user: str) -> None:
    stats = state.limiter.limiter.get_window_stats(item, state.prefix, scope, user)
    wait = max(1, math.ceil(stats.reset_time - time.time()))
    text = (
        _(
            "Too many connection tests: at most %(num)s per minute per user; "
            "try again in %(wait)s s."
        )
        if scope == "test-connection"
        else _(
            "Too many requests that reach a registry: at most %(num)s per minute per user; "
            "try again in %(wait)s s."
        )
    )
    raise RegistryCallsExceeded(
        text % {"num": item.amount, "wait": wait},
        retry_after=wait,
    )
