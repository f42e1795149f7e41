"""Blinker signals a host subscribes to instead of the plugin importing host code.

Each is sent with the Flask app as sender.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A space was bound to or unbound from workspaces. Keyword arguments: ``space`` (the
#: :class:`~mirror_plugin.models.Space`), ``bound`` and ``unbound`` (lists of workspace ids),
#: ``actor`` (user id).
bindings_changed = _signals.signal("mirror-bindings-changed")

#: An integration was added, changed or removed. Keyword arguments: ``integration``,
#: ``action`` ("created", "updated", "deleted"), ``actor``.
integration_changed = _signals.signal("mirror-integration-changed")
