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
