"""How services reach a registry: the allow-list and limits of a conversation, the client for an
endpoint, and a saved integration's endpoint with its decrypted password.

The client (:class:`~mirror_plugin.registry.http.RegistryHTTP`) is built here and only here, and
its module, which imports ``requests``, is imported when the first one is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from mirror_plugin.i18n import N_
from mirror_plugin.models import Integration
from mirror_plugin.registry.budget import Budget
from mirror_plugin.registry.endpoint import Endpoint
from mirror_plugin.registry.netguard import NetworkPolicy
from mirror_plugin.state import mirror_state

if TYPE_CHECKING:
    from mirror_plugin.registry.http import RegistryHTTP


def network_policy(*, workspace: bool) -> NetworkPolicy:
    """The allow-list for a platform integration, or the (maybe narrower) one for warehouses."""
    state = mirror_state()
    if workspace and state.workspace_network_policy is not None:
        return state.workspace_network_policy
    return state.network_policy


def registry_budget(*, sync: bool = False) -> Budget:
    """Limits of one conversation: a sync has ``MIRROR_SYNC_DEADLINE``, anything else (a
    connection test, a save, a picker refresh) ``MIRROR_REGISTRY_DEADLINE`` in total."""
    config = current_app.config
    seconds = float(config["MIRROR_SYNC_DEADLINE" if sync else "MIRROR_REGISTRY_DEADLINE"])
    return Budget(
        seconds=seconds,
        max_pages=int(config["MIRROR_SYNC_MAX_PAGES"]),
        max_spaces=int(config["MIRROR_SYNC_MAX_SPACES"]),
        max_repositories=int(config["MIRROR_SYNC_MAX_REPOSITORIES"]),
        what=N_("the sync") if sync else N_("the registry call"),
        deadline_setting="MIRROR_SYNC_DEADLINE" if sync else "MIRROR_REGISTRY_DEADLINE",
    )


def http_for(endpoint: Endpoint, *, workspace: bool, budget: Budget | None = None) -> RegistryHTTP:
    """A client for ``endpoint``; ``workspace``: it is a workspace warehouse (whose own
    allow-list applies), ``budget``: the conversation's limits (default: a non-sync one)."""
    # Imported here: the transport loads requests, which a process that never calls a registry
    # (a web worker answering image checks, a `flask mirror check`) does not need.
    from mirror_plugin.registry.http import RegistryHTTP

    config = current_app.config
    return RegistryHTTP(
        endpoint,
        policy=network_policy(workspace=workspace),
        timeout=float(config["MIRROR_REGISTRY_TIMEOUT"]),
        deadline=float(config["MIRROR_REGISTRY_DEADLINE"]),
        budget=budget or registry_budget(),
        concurrency=int(config["MIRROR_SYNC_WORKERS"]),
    )


def http_for_row(row: Integration, budget: Budget | None = None) -> RegistryHTTP:
    """A client for a saved integration, with its stored endpoint and its scope's allow-list."""
    return http_for(endpoint_of(row), workspace=not row.is_platform, budget=budget)


def stored_password(row: Integration) -> str | None:
    if row.password_encrypted is None:
        return None
    return str(mirror_state().secrets.decrypt(row.password_encrypted))


def endpoint_of(row: Integration) -> Endpoint:
    """The saved endpoint only: URL, TLS settings and password exactly as stored."""
    return Endpoint(row.url, row.username, stored_password(row), row.verify_tls, row.ca_bundle)
