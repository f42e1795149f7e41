"""Test connection: tell the truth about a registry and the account we were given.

Harbor: ``/ping`` says whether Harbor answers at all; ``/users/current`` is the only call that
refuses bad credentials (others fall back to anonymous); robots answer 412 (or 500 before 2.3).
Platform integrations need a Harbor administrator, as in the seed's system, because the plugin
creates, deletes and flips projects for the platform Admin. Docker Registry: ``GET /v2/`` with
whatever auth the registry challenges for, then the catalog, which some registries disable.

Each kind's driver (:mod:`mirror_plugin.registry.drivers`) runs its check; ``drivers.probe``
turns a RegistryError into a report.
"""

from __future__ import annotations

from dataclasses import dataclass

from mirror_plugin.i18n import _
from mirror_plugin.registry.docker import DockerRegistryClient
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.harbor import HarborClient


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    message: str
    category: str | None = None
    account: str = ""  # "admin", "user", "robot", "anonymous"
    version: str = ""
    catalog: bool | None = None


def probe_harbor(client: HarborClient, *, platform: bool) -> ConnectionReport:
    client.ping()
    account = client.account()
    if account.anonymous:
        if platform:
            return ConnectionReport(
                False,
                _("A platform Harbor integration needs a Harbor administrator account."),
                Category.AUTH_FAILED.value,
                account="anonymous",
            )
        return ConnectionReport(
            True,
            _("Connected anonymously: only public projects are visible."),
            account="anonymous",
        )
    if account.is_robot:
        if platform:
            return ConnectionReport(
                False,
                _(
                    "Robot accounts are accepted for workspace warehouses only; a platform "
                    "Harbor integration needs a Harbor administrator account."
                ),
                Category.FORBIDDEN.value,
                account="robot",
            )
        return ConnectionReport(
            True, _("Connected as robot account %(user)s.", user=account.username), account="robot"
        )
    version = client.version()
    if platform and not account.is_admin:
        return ConnectionReport(
            False,
            _(
                "%(user)s is not a Harbor administrator; a platform integration needs one (it "
                "creates, deletes and publishes projects).",
                user=account.username,
            ),
            Category.FORBIDDEN.value,
            account="user",
            version=version,
        )
    who = {"user": account.username, "version": version}
    if account.is_admin and version:
        connected = _("Connected as Harbor administrator %(user)s (Harbor %(version)s).", **who)
    elif account.is_admin:
        connected = _("Connected as Harbor administrator %(user)s.", **who)
    elif version:
        connected = _("Connected as Harbor user %(user)s (Harbor %(version)s).", **who)
    else:
        connected = _("Connected as Harbor user %(user)s.", **who)
    return ConnectionReport(
        True,
        connected,
        account="admin" if account.is_admin else "user",
        version=version,
    )


def probe_docker(client: DockerRegistryClient) -> ConnectionReport:
    client.ping()
    account = "user" if client.credentials else "anonymous"
    try:
        client.catalog_sample(1)
        catalog = True
    except RegistryError as exc:
        # Only a missing or refused catalog means "this registry does not list"; a broken
        # answer is a broken registry, whatever /v2/ said.
        if exc.category not in (Category.NOT_FOUND, Category.FORBIDDEN):
            raise
        catalog = False
    if not catalog:
        return ConnectionReport(
            True,
            _(
                "Connected, but the registry does not list its repositories (catalog "
                "disabled): spaces cannot be synced from it."
            ),
            account=account,
            catalog=False,
        )
    if client.credentials:
        connected = _("Connected as %(user)s to the Docker Registry.", user=client.credentials[0])
    else:
        connected = _("Connected anonymously to the Docker Registry.")
    return ConnectionReport(True, connected, account=account, catalog=True)
