"""Connecting, changing and removing registries (platform integrations and workspace warehouses).

Every save checks the credentials against the registry first, so a broken integration is never
stored; passwords are encrypted before they reach the session and are decrypted only to go
inside a request to their own registry (:mod:`~mirror_plugin.services.registry_client`).
Changing the URL of an integration that holds a password requires the password again, so a
stored secret cannot be re-pointed at another host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mirror_plugin.i18n import _
from mirror_plugin.models import (
    Binding,
    Health,
    Integration,
    Repository,
    Scope,
    Space,
    TagCache,
    utcnow,
)
from mirror_plugin.params import has_nul
from mirror_plugin.policy.hostkey import registry_key
from mirror_plugin.registry.drivers import DRIVERS, kinds_that, probe
from mirror_plugin.registry.endpoint import Endpoint, normalize_registry_url
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.probe import ConnectionReport
from mirror_plugin.services import audit
from mirror_plugin.services.errors import Conflict, InvalidInput, ProbeFailed, SameRegistry
from mirror_plugin.services.registry_client import (
    http_for,
    http_for_row,
    network_policy,
    stored_password,
)
from mirror_plugin.services.registry_hosts import (
    parse_aliases,
    record_addresses,
    same_registry,
    set_aliases,
)
from mirror_plugin.signals import integration_changed
from mirror_plugin.state import mirror_state, session

if TYPE_CHECKING:
    from mirror_plugin.services.pull_removal import RobotRemoval

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: Stored kind -> the name people know it by, for forms and the API schema.
KINDS = {kind.value: driver.label for kind, driver in DRIVERS.items()}
_AUTH_CATEGORIES = {Category.AUTH_FAILED.value, Category.FORBIDDEN.value}


@dataclass
class IntegrationInput:
    """What a form or a JSON body supplies. ``password=None`` means "keep the stored one"."""

    name: str
    kind: str
    url: str
    username: str = ""
    password: str | None = None
    verify_tls: bool = True
    ca_bundle: str = ""
    description: str = ""
    #: Other names of the registry (host[:port]); None keeps the stored ones.
    aliases: list[str] | None = None
    #: Platform Docker Registry only: hand its credentials to bound workspaces' namespaces.
    #: None keeps the stored choice.
    share_pull_credentials: bool | None = None


@dataclass(frozen=True)
class _Valid:
    name: str
    endpoint: Endpoint
    aliases: list[str]


def _validated(data: IntegrationInput, existing: Integration | None, *, workspace: bool) -> _Valid:
    errors: dict[str, str] = {
        key: _("Remove the NUL character.")
        for key in ("name", "url", "username", "password", "ca_bundle", "description")
        if has_nul(getattr(data, key) or "")
    }
    if errors:
        raise InvalidInput(errors)
    name = data.name.strip()
    if not NAME_PATTERN.fullmatch(name):
        errors["name"] = _(
            "Use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit."
        )
    if data.kind not in KINDS:
        errors["kind"] = _("Choose Harbor or Docker Registry.")
    if len(data.description) > 2000:
        errors["description"] = _("Keep the description under 2,000 characters.")
    bundle = data.ca_bundle.strip()
    if bundle:
        try:
            x509.load_pem_x509_certificates(bundle.encode())
        except ValueError:
            errors["ca_bundle"] = _(
                "Paste one or more PEM certificates (-----BEGIN CERTIFICATE-----)."
            )
    url = ""
    try:
        url = normalize_registry_url(data.url, network_policy(workspace=workspace))
    except RegistryError as exc:
        errors["url"] = exc.message
    username = data.username.strip()
    if len(username) > 255:
        errors["username"] = _("The user name is too long.")
    password = data.password or None
    if not username:
        password = None
    elif password is None:
        # A user name without a password would silently connect anonymously.
        if existing is None or existing.password_encrypted is None:
            errors["password"] = _(
                "Enter the password of %(user)s (or clear the user name to connect anonymously).",
                user=username,
            )
        elif url and url != existing.url:
            errors["password"] = _("Enter the password again: the URL changed.")
        elif username != existing.username:
            errors["password"] = _(
                "Enter the password of %(user)s: the user name changed.", user=username
            )
        else:
            password = stored_password(existing)
    aliases: list[str] = []
    if data.aliases is not None:
        own = registry_key(url.split("://", 1)[1]) if url else ""
        aliases, problem = parse_aliases(data.aliases, own_key=own)
        if problem:
            errors["aliases"] = problem
    elif existing is not None:
        aliases = existing.aliases
    shares = kinds_that(lambda driver: driver.shares_pull_credentials)
    if data.share_pull_credentials and (workspace or data.kind not in shares):
        errors["share_pull_credentials"] = (
            "Only a platform Docker Registry hands its own credentials to workspaces "
            "(a platform Harbor gets a scoped robot per workspace instead)."
        )
    if errors:
        raise InvalidInput(errors)
    return _Valid(name, Endpoint(url, username, password, data.verify_tls, bundle or None), aliases)


def test_connection(
    data: IntegrationInput, *, platform: bool, existing: Integration | None = None
) -> ConnectionReport:
    """Probe the registry with unsaved form values (the stored password if left blank)."""
    endpoint = _validated(data, existing, workspace=not platform).endpoint
    http = http_for(endpoint, workspace=not platform)
    try:
        return probe(data.kind, http, platform=platform)
    finally:
        http.close()


def test_saved(row: Integration) -> ConnectionReport:
    """Probe a saved integration with exactly what is stored, and record its health."""
    http = http_for_row(row)
    try:
        report = probe(row.kind, http, platform=row.is_platform)
    finally:
        http.close()
    row.health = Health.HEALTHY.value if report.ok else Health.UNHEALTHY.value
    row.last_error = None if report.ok else report.message
    row.last_checked_at = utcnow()
    return report


def save(
    data: IntegrationInput,
    *,
    actor: str,
    workspace_id: str = "",
    existing: Integration | None = None,
) -> Integration:
    """Create or update an integration after the registry accepted its credentials."""
    owner = existing.workspace_id if existing is not None else workspace_id
    valid = _validated(data, existing, workspace=bool(owner))
    name, endpoint = valid.name, valid.endpoint
    clash = session().scalar(
        select(Integration.id).where(Integration.workspace_id == owner, Integration.name == name)
    )
    if clash is not None and (existing is None or clash != existing.id):
        raise Conflict(
            _("A registry named %(name)r already exists here; choose another name.", name=name)
        )
    own_key = registry_key(endpoint.url.split("://", 1)[1])
    twin = same_registry(
        session(), owner, [own_key, *valid.aliases], exclude=existing.id if existing else None
    )
    if twin is not None:
        raise SameRegistry(
            _(
                "%(host)s is already connected here as %(name)r; edit that registry "
                "(its other names, its account) instead of adding it twice.",
                host=twin[1],
                name=twin[0].name,
            )
        )
    http = http_for(endpoint, workspace=bool(owner))
    try:
        report = probe(data.kind, http, platform=not owner)
    finally:
        http.close()
    if not report.ok:
        field = "password" if report.category in _AUTH_CATEGORIES else "url"
        raise ProbeFailed(field, report)

    row = existing or Integration(
        scope=Scope.WORKSPACE.value if owner else Scope.PLATFORM.value, workspace_id=owner
    )
    changed = _apply(row, name, data, endpoint)
    if set_aliases(row, valid.aliases):
        changed.append("aliases")
    record_addresses(row)
    row.health, row.last_error, row.last_checked_at = Health.HEALTHY.value, None, utcnow()
    if existing is None:
        session().add(row)
    action = "integration.updated" if existing is not None else "integration.created"
    try:
        audit.commit_change(
            audit.event(
                actor=actor,
                action=action,
                integration=name,
                workspaces=[owner] if owner else [],
                kind=data.kind,
                url=row.url,
                changed=changed,
            ),
            notify=[
                audit.notice(
                    integration_changed, integration=row, action=action.split(".")[1], actor=actor
                )
            ],
        )
    except IntegrityError:
        session().rollback()
        raise Conflict(
            _("A registry named %(name)r already exists here; choose another name.", name=name)
        ) from None
    return row


def _apply(row: Integration, name: str, data: IntegrationInput, endpoint: Endpoint) -> list[str]:
    """Copy the validated values onto the row; return which fields changed (never values)."""
    new: dict[str, Any] = {
        "name": name,
        "kind": data.kind,
        "url": endpoint.url,
        "registry_host": registry_key(endpoint.url.split("://", 1)[1]),
        "username": endpoint.username,
        "verify_tls": endpoint.verify_tls,
        "ca_bundle": endpoint.ca_bundle,
        "description": data.description.strip(),
    }
    if data.share_pull_credentials is not None:
        new["share_pull_credentials"] = data.share_pull_credentials
    changed = [key for key, value in new.items() if getattr(row, key, None) != value]
    for key, value in new.items():
        setattr(row, key, value)
    password = endpoint.password
    if password is None:
        if row.password_encrypted is not None:
            changed.append("password")
        row.password_encrypted = None
    elif row.password_encrypted is None or stored_password(row) != password:
        row.password_encrypted = mirror_state().secrets.encrypt(password)
        changed.append("password")
    return changed


def binding_count(row: Integration) -> int:
    return int(
        session().scalar(
            select(func.count(Binding.id)).join(Space).where(Space.integration_id == row.id)
        )
        or 0
    )


def purge_spaces(space_ids: list[int]) -> dict[int, list[str]]:
    """Delete spaces with their bindings, repositories and cached tags (not committed).

    Every way a space goes (deleted, vanished upstream, its integration removed) goes through
    here, so nothing keeps pointing at a space id a later space could reuse. Returns each
    space's bound workspaces, for the caller's audit event and signal.
    """
    bound: dict[int, list[str]] = {space_id: [] for space_id in space_ids}
    if not space_ids:
        return bound
    for space_id, workspace_id in session().execute(
        select(Binding.space_id, Binding.workspace_id)
        .where(Binding.space_id.in_(space_ids))
        .order_by(Binding.workspace_id)
    ):
        bound[space_id].append(workspace_id)
    from mirror_plugin.services.pull import enqueue_spaces

    enqueue_spaces(bound, "space.removed")
    for table in (Binding.__table__, Repository.__table__, TagCache.__table__):
        session().execute(table.delete().where(table.c.space_id.in_(space_ids)))
    session().execute(Space.__table__.delete().where(Space.id.in_(space_ids)))
    return bound


@dataclass
class Removed:
    """What removing an integration took with it."""

    bindings: int
    #: Its pull robots in Harbor (platform Harbor integrations only).
    robots: RobotRemoval


def delete(row: Integration, *, actor: str) -> Removed:
    """Remove an integration with its spaces and bindings in one transaction; audited.
    A platform Harbor's pull robots are deleted from Harbor first, best effort."""
    from mirror_plugin.services.pull_removal import delete_robots

    robots = delete_robots(row)  # while its credentials are still stored
    space_ids = list(session().scalars(select(Space.id).where(Space.integration_id == row.id)))
    bound = purge_spaces(space_ids)
    workspaces = sorted({w for ws in bound.values() for w in ws})
    bindings, spaces = sum(len(ws) for ws in bound.values()), len(space_ids)
    session().expire(row, ["spaces"])
    session().delete(row)
    detail: dict[str, Any] = {"pull_robots": robots.to_dict()} if robots else {}
    audit.commit_change(
        audit.event(
            actor=actor,
            action="integration.deleted",
            integration=row.name,
            workspaces=workspaces or ([row.workspace_id] if row.workspace_id else []),
            spaces=spaces,
            bindings=bindings,
            **detail,
        ),
        notify=[
            audit.notice(
                integration_changed,
                integration=row,
                action="deleted",
                actor=actor,
                unbound_workspaces=workspaces,
            )
        ],
    )
    return Removed(bindings, robots)
