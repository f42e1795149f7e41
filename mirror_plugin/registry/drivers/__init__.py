"""One driver per registry kind, looked up by :class:`~mirror_plugin.models.RegistryKind`.

Services ask :func:`driver_for` what a kind can do and to do it; SQL that picks integrations
by capability uses :func:`kinds_that`. Nothing outside this package names a kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mirror_plugin.models import RegistryKind
from mirror_plugin.registry.drivers.base import (
    Progress,
    RegistryDriver,
    UpstreamRepository,
    UpstreamSpace,
)
from mirror_plugin.registry.drivers.docker import DockerDriver
from mirror_plugin.registry.drivers.harbor import HarborDriver
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.registry.probe import ConnectionReport

if TYPE_CHECKING:  # the transport imports requests: loaded when a registry is called
    from mirror_plugin.registry.http import RegistryHTTP

DRIVERS: dict[RegistryKind, RegistryDriver] = {
    RegistryKind.HARBOR: HarborDriver(),
    RegistryKind.DOCKER: DockerDriver(),
}


def driver_for(kind: str) -> RegistryDriver:
    """The driver of a stored or submitted kind; ValueError for a kind the plugin lacks."""
    return DRIVERS[RegistryKind(kind)]


def kinds_that(capability: Callable[[RegistryDriver], bool]) -> frozenset[str]:
    """The kinds whose driver has ``capability``, as stored strings for a SQL ``IN``."""
    return frozenset(kind.value for kind, driver in DRIVERS.items() if capability(driver))


def probe(kind: str, http: RegistryHTTP, *, platform: bool) -> ConnectionReport:
    """Never raises for registry trouble: every failure becomes a report with a category."""
    try:
        return driver_for(kind).probe(http, platform=platform)
    except RegistryError as exc:
        return ConnectionReport(False, exc.message, exc.category.value)


__all__ = [
    "DRIVERS",
    "Progress",
    "RegistryDriver",
    "UpstreamRepository",
    "UpstreamSpace",
    "driver_for",
    "kinds_that",
    "probe",
]
