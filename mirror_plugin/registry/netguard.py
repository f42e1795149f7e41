"""Which addresses a registry URL may reach (SSRF guard).

Every address a name resolves to must be globally routable, or inside a network the platform
Admin allow-listed (``MIRROR_ALLOWED_NETWORKS``). Cloud-metadata and unspecified addresses are
refused even when allow-listed. The check runs at connect time on the resolved addresses (see
:mod:`mirror_plugin.registry.http`), so redirects, token realms and DNS rebinding between a
check and the connection cannot reach an address that was not checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Category, RegistryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALWAYS_DENIED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "fe80::/10",
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "0.0.0.0/8",
        "::/128",
    )
)

#: Refused unless allow-listed although ``ipaddress`` calls them global (Python 3.11): each
#: can lead back into the platform's own networks.
NOT_GLOBAL: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "::/96",  # deprecated IPv4-compatible (::127.0.0.1), not unwrapped by ipaddress
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b:1::/48",  # RFC 8215 local-use NAT64: translated inside the operator's network
        "fec0::/10",  # deprecated site-local
    )
)


def _unwrap(address: IPAddress) -> IPAddress:
    """See through IPv4-mapped, NAT64 and 6to4 forms before classifying."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in ipaddress.ip_network("64:ff9b::/96"):
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


@dataclass(frozen=True)
class NetworkPolicy:
    """The allow-list in force for outgoing registry connections."""

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(cls, networks: Iterable[str] | str) -> NetworkPolicy:
        if isinstance(networks, str):  # "10.0.0.0/8, 127.0.0.0/8" from an environment variable
            networks = [n for n in networks.split(",") if n.strip()]
        try:
            return cls(tuple(ipaddress.ip_network(str(n).strip(), strict=False) for n in networks))
        except ValueError as exc:
            raise RuntimeError(f"MIRROR_ALLOWED_NETWORKS holds an invalid network: {exc}") from None

    def is_allow_listed(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.allowed)

    def check(self, address: IPAddress) -> None:
        """Raise ``RegistryError(BLOCKED_ADDRESS)`` unless ``address`` may be reached."""
        plain = _unwrap(address)
        for candidate in {address, plain}:
            if any(candidate.version == n.version and candidate in n for n in ALWAYS_DENIED):
                raise _blocked()
        if self.is_allow_listed(plain) or self.is_allow_listed(address):
            return
        if not plain.is_global or plain.is_multicast:
            raise _blocked()
        if any(plain.version == n.version and plain in n for n in NOT_GLOBAL):
            raise _blocked()

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and check every address; all must pass (one bad A record fails)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise RegistryError(
                Category.DNS_FAILED, f"The registry host name {host!r} does not resolve."
            ) from None
        addresses: list[str] = []
        for info in infos:
            text = str(info[4][0]).split("%", 1)[0]
            self.check(ipaddress.ip_address(text))
            if text not in addresses:
                addresses.append(text)
        if not addresses:
            raise RegistryError(Category.DNS_FAILED, f"{host!r} has no address.")
        return addresses

    def all_allow_listed(self, host: str, port: int) -> bool:
        """Does ``host`` resolve only into allow-listed networks? (plain HTTP is allowed there)."""
        addresses = self.resolve(host, port)
        return all(self.is_allow_listed(_unwrap(ipaddress.ip_address(a))) for a in addresses)


def _blocked() -> RegistryError:
    return RegistryError(
        Category.BLOCKED_ADDRESS,
        "The registry address is in a private, loopback, link-local or otherwise special "
        "network the platform does not allow (the platform Admin can allow networks with "
        "MIRROR_ALLOWED_NETWORKS).",
    )
