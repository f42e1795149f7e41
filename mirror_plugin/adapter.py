"""The contract between the host console and the plugin.

The host owns users, workspaces and namespaces; the plugin only stores their ids. Instead of
importing host code, the plugin asks one adapter object, handed to ``MirrorPlugin(host=...)``
(the way Flask-Login asks its ``user_loader``). Every method is called inside a request or an
application context and must be cheap: the plugin may call it several times per request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class Role(enum.StrEnum):
    """A user's role in one workspace, as the host grants it."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def can_deploy(self) -> bool:
        """Viewers may browse images but not deploy them."""
        return self is not Role.VIEWER


@dataclass(frozen=True, slots=True)
class Workspace:
    """A host tenant as the plugin sees it: a stable id and a name for people."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Principal:
    """The user making the current request, reduced to what authorization needs."""

    id: str
    name: str
    is_platform_admin: bool = False


class UnknownNamespace(LookupError):
    """Raised by an adapter when it has never heard of a namespace id."""


@runtime_checkable
class HostAdapter(Protocol):
    """What the host console supplies. ``mirror_plugin.testing.FakeHostAdapter`` implements it."""

    def current_user(self) -> Principal | None:
        """The signed-in user of the current request, or ``None`` when anonymous."""
        ...

    def workspace_roles(self, user_id: str) -> dict[str, Role]:
        """The user's role in each workspace they belong to, keyed by workspace id."""
        ...

    def list_workspaces(self) -> Iterable[Workspace]:
        """Every workspace on the platform."""
        ...

    def workspace_of_namespace(self, namespace: str) -> str | None:
        """The workspace id that owns ``namespace``, ``None`` when it belongs to none.

        Raises :class:`UnknownNamespace` when the namespace does not exist.
        """
        ...

    def namespaces_of_workspace(self, workspace_id: str) -> Iterable[str]:
        """The namespace ids a workspace owns. Also called by the pull-access worker outside
        a request (in an app context), to name the namespaces whose pull secret changed."""
        ...


def default_console_namespace(cluster: str, namespace: str) -> str:
    """The host's namespace id of Kubernetes ``namespace`` in registered ``cluster`` when the
    adapter has no ``console_namespace`` method: ``"<cluster>/<namespace>"``."""
    return f"{cluster}/{namespace}"


def default_kubernetes_namespace(cluster: str, console_namespace: str) -> str | None:
    """The reverse of :func:`default_console_namespace`: the Kubernetes namespace of host
    namespace ``console_namespace`` in ``cluster`` (``"<cluster>/"`` stripped), ``None`` when
    it is not in that cluster."""
    prefix = f"{cluster}/"
    rest = console_namespace.removeprefix(prefix)
    return rest if rest != console_namespace and rest and "/" not in rest else None


#: Methods an adapter MAY have; ``init_app`` checks that those present are callable.
#: ``console_namespace(cluster: str, namespace: str) -> str | None`` maps a Kubernetes
#: namespace of a registered cluster to the host's namespace id (``None``: not a console
#: namespace); without it, :func:`default_console_namespace` applies.
#: ``kubernetes_namespace(cluster: str, console_namespace: str) -> str | None`` is its
#: reverse, used to name the namespace of a cluster agent's pull Secrets (``None``: the host
#: namespace is not in that cluster); without it, :func:`default_kubernetes_namespace`.
#: ``locale() -> str | None`` is the current user's language in the console (``"zh_Hans"``,
#: ``"zh-CN"``, ``"en"``; ``None``: no preference), so the plugin speaks the console's language;
#: without it (or for ``None`` and languages the plugin has no catalogue of), the request's
#: ``Accept-Language`` decides (:func:`mirror_plugin.i18n.current_locale`).
OPTIONAL_ADAPTER_METHODS = ("console_namespace", "kubernetes_namespace", "locale")

#: The methods ``init_app`` checks the host adapter has, so a missing one fails at start-up.
ADAPTER_METHODS = (
    "current_user",
    "workspace_roles",
    "list_workspaces",
    "workspace_of_namespace",
    "namespaces_of_workspace",
)
