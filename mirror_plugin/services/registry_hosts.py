"""Other names of an integration's registry: the aliases people list, the addresses DNS gives.

The visibility rule matches an image's registry on its canonical key
(:mod:`mirror_plugin.policy.hostkey`). A registry often answers to more names than its URL's:
a
short
name, a fully qualified one, a load balancer's address. Each must lead to the same decision,
or a tenant deploys another tenant's private image by spelling its registry differently.
Aliases are validated and stored canonically; addresses are recorded whenever an
integration is saved or synced (and replaced, so a registry that moved stops matching its
old address).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from mirror_plugin.models import HostSource, Integration, RegistryHost
from mirror_plugin.policy.hostkey import (
    MAX_HOST_KEY_LENGTH,
    address_keys,
    is_ip_literal,
    registry_key,
    split_key,
)
from mirror_plugin.policy.reference import InvalidReference, parse_reference
from mirror_plugin.registry.resolver import resolve_addresses

if TYPE_CHECKING:
    from mirror_plugin.state import SessionLike

MAX_ALIASES = 20


def parse_aliases(texts: Iterable[str], *, own_key: str = "") -> tuple[list[str], str | None]:
    """Canonical alias keys from what a person typed, or a sentence saying what to fix.

    ``texts`` may hold several names per entry, separated by commas, spaces or new lines.
    The integration's own key and repeats are dropped.
    """
    keys: list[str] = []
    for text in texts:
        for alias in text.replace(",", " ").split():
            if len(alias) > MAX_HOST_KEY_LENGTH:
                return [], f"The alias {alias[:40]}... is too long for a registry host."
            key = registry_key(alias)
            try:
                domain = parse_reference(f"{key}/x").domain
            except InvalidReference:
                domain = ""
            if not domain or registry_key(domain) != key:
                return [], (
                    f"{alias!r} is not a registry host as images spell it: use host[:port] "
                    "with a '.' or a port (for example harbor.corp:443 or 10.0.0.5), "
                    "or 'localhost'."
                )
            if key != own_key and key not in keys:
                keys.append(key)
    if len(keys) > MAX_ALIASES:
        return [], f"List at most {MAX_ALIASES} aliases."
    return keys, None


def set_aliases(row: Integration, keys: list[str]) -> bool:
    """Replace the row's aliases with ``keys``; whether anything changed."""
    if row.aliases == keys:
        return False
    _replace(row, HostSource.ALIAS, keys)
    return True


def record_addresses(row: Integration) -> list[str]:
    """Resolve the registry's host and aliases now and store their addresses on the row.

    Called when an integration is saved or synced, outside any decision: the rule compares
    images' hosts against what is recorded here, never resolving the integration per call.
    A name that does not resolve contributes nothing (it can still match by name).
    """
    found: list[str] = []
    for key in [row.registry_host, *row.aliases]:
        host = split_key(key)[0]
        resolved = () if is_ip_literal(key) or host == "localhost" else resolve_addresses(host)
        for address in sorted(address_keys(key, resolved)):
            if address not in found:
                found.append(address)
    if row.addresses != found:
        _replace(row, HostSource.ADDRESS, found)
    return found


def _replace(row: Integration, source: HostSource, keys: list[str]) -> None:
    """Keep rows whose key stays (no delete and insert of one unique key in one flush)."""
    current = {h.host_key: h for h in row.hosts if h.source == source.value}
    kept = [h for h in row.hosts if h.source != source.value]
    row.hosts = kept + [
        current.get(key) or RegistryHost(source=source.value, host_key=key) for key in keys
    ]


def same_registry(
    session: SessionLike, owner: str, keys: Iterable[str], *, exclude: int | None = None
) -> tuple[Integration, str] | None:
    """An integration of the same owner (the platform, or one workspace) that already answers
    to one of ``keys`` (canonical host keys: a URL's and its aliases), with the key it shares.

    Two integrations of one registry would list it twice in Select Image, with the same
    spaces, and bindings made on one would not show on the other.
    """
    wanted = [k for k in dict.fromkeys(keys) if k]
    if not wanted:
        return None
    aliased = select(RegistryHost.integration_id).where(
        RegistryHost.source == HostSource.ALIAS.value, RegistryHost.host_key.in_(wanted)
    )
    query = select(Integration).where(
        Integration.workspace_id == owner,
        or_(Integration.registry_host.in_(wanted), Integration.id.in_(aliased)),
    )
    if exclude is not None:
        query = query.where(Integration.id != exclude)
    other = session.scalars(query.order_by(Integration.id).limit(1)).first()
    if other is None:
        return None
    names = [other.registry_host, *other.aliases]
    return other, next(k for k in wanted if k in names)
