"""Blinker signals a host subscribes to instead of the plugin importing host code.

Each is sent with the Flask app as sender.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A space was bound to or unbound from workspaces (also when a sync removed a space that
#: vanished upstream). Keyword arguments: ``integration`` and ``space`` (names), ``bound`` and
#: ``unbound`` (lists of workspace ids), ``actor`` (user id).
bindings_changed = _signals.signal("mirror-bindings-changed")

#: An integration was added, changed or removed. Keyword arguments: ``integration`` (the
#: row), ``action`` ("created", "updated", "deleted"), ``actor``; on deletion also
#: ``unbound_workspaces``.
integration_changed = _signals.signal("mirror-integration-changed")

#: A namespace's pull credentials changed (a robot created, deleted, rotated or put back, a
#: warehouse's credentials changed): re-apply the Secret of ``mirror.pull_secret(namespace)``.
#: Keyword arguments: ``workspace`` (id), ``namespaces`` (the host's namespaces of it),
#: ``reason`` (e.g. "robot_created", "warehouse_updated").
pull_credentials_changed = _signals.signal("mirror-pull-credentials-changed")
