"""What the host says about workspaces and namespaces, asked once per request.

Services need these answers as much as pages do (a binding names workspaces, a pull secret
belongs to a namespace's workspace), so they live below the web layer; the per-request cache
only keys into the WSGI environ when there is a request.
"""

from __future__ import annotations

from typing import cast

from flask import has_request_context, request

from mirror_plugin.adapter import HostAdapter, UnknownNamespace
from mirror_plugin.state import host_adapter


def known_workspaces() -> dict[str, str]:
    """id -> display name of every workspace the host reports."""
    return {ws.id: ws.name for ws in host_adapter().list_workspaces()}


_UNKNOWN = object()
_NO_NAMESPACE = object()


def namespace_workspace(namespace: str, host: HostAdapter | None = None) -> str | None:
    """The adapter's answer for ``namespace``, asked once per request (the hook and the picker
    check access first and then decide: one host lookup, not two).

    ``host`` is the adapter when the caller holds it already (``check_image``, which is called
    outside requests too, thousands of times a second): no proxy lookup, no closure.
    Raises :class:`~mirror_plugin.adapter.UnknownNamespace` like the adapter does.
    """
    if host is None:
        host = host_adapter()
    if not has_request_context():
        return host.workspace_of_namespace(namespace)
    environ = request.environ
    key = f"mirror_plugin.namespace:{namespace}"
    found = environ.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        try:
            found = host.workspace_of_namespace(namespace)
        except UnknownNamespace:
            found = _NO_NAMESPACE
        environ[key] = found
    if found is _NO_NAMESPACE:
        raise UnknownNamespace(namespace)
    return cast(str | None, found)
