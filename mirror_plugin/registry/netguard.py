"""Which addresses a registry URL may reach (SSRF guard).

Every address a name resolves to must be globally routable, or inside a network the platform
Admin allow-listed (``MIRROR_ALLOWED_NETWORKS``; workspace warehouses use
``MIRROR_WORKSPACE_ALLOWED_NETWORKS`` when it is set). An allow-list entry may name the ports
it opens (``10.0.0.0/8:443,5000``), so allow-listing a network does not open every service in
it. Cloud-metadata and unspecified addresses are refused even when allow-listed, including when
they hide inside an IPv6 address (NAT64, IPv4-mapped, IPv4-compatible, 6to4): the embedded IPv4
is unwrapped before that check. The check runs at connect time on the resolved addresses (see
:mod:`mirror_plugin.registry.http`), so redirects, token realms and DNS rebinding between a
check and the connection cannot reach an address that was not checked.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from mirror_plugin.i18n import _
from mirror_plugin.registry.errors import Category, RegistryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Ports an allow-list entry opens, as inclusive ranges; ``None``: every port.
Ports = tuple[tuple[int, int], ...] | None

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

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
#: IPv6 ranges whose low 32 bits are an IPv4 address (RFC 4291 IPv4-compatible, RFC 6052
#: NAT64 with a /96 prefix, SIIT's IPv4-translated form).
_LOW_32_EMBEDS = (_NAT64, _NAT64_LOCAL, *NOT_GLOBAL[:2])
#: RFC 6052 section 2.2: where a NAT64 prefix of each length puts the IPv4 address's four
#: bytes (byte 8 is the reserved "u" octet, and the suffix after the address is zero). The
#: local-use /48 may be cut into any prefix from /48 on; /96 is the low 32 bits.
_RFC6052_LAYOUTS = ((6, 7, 9, 10), (7, 9, 10, 11), (9, 10, 11, 12))
_PORT_RANGE = re.compile(r"([0-9]{1,5})(?:-([0-9]{1,5}))?")


def _unwrap(address: IPAddress) -> IPAddress:
    """See through IPv4-mapped, NAT64 and 6to4 forms before classifying."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def embedded_ipv4(address: IPAddress) -> set[IPAddress]:
    """Every IPv4 address ``address`` may stand for, itself included.

    Used for the always-refused check only, so it errs on the side of seeing too many: an
    allow-listed local-use NAT64 range must not carry 169.254.169.254 in whichever RFC 6052
    layout the operator's translator uses.
    """
    found: set[IPAddress] = {address, _unwrap(address)}
    if isinstance(address, ipaddress.IPv6Address):
        # ::/104 (``::``, ``::1``...) is IPv6's own, not IPv4-compatible (RFC 4291 2.5.5.1).
        if any(address in net for net in _LOW_32_EMBEDS) and int(address) > 0xFFFFFF:
            found.add(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _NAT64_LOCAL and address.packed[8] == 0:
            packed = address.packed
            for layout in _RFC6052_LAYOUTS:
                if not any(packed[layout[-1] + 1 :]):  # the suffix is zero: this layout fits
                    found.add(ipaddress.IPv4Address(bytes(packed[i] for i in layout)))
    return found


def _ports(text: str, entry: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for part in text.split(","):
        match = _PORT_RANGE.fullmatch(part.strip())
        low = int(match.group(1)) if match else 0
        high = int(match.group(2) or low) if match else 0
        if not match or not 1 <= low <= high <= 65535:
            raise ValueError(f"{entry!r}: ports must be numbers or ranges from 1 to 65535")
        ranges.append((low, high))
    return tuple(ranges)


def parse_entry(entry: str) -> tuple[IPNetwork, Ports]:
    """One allow-list entry: ``CIDR``, ``CIDR:PORTS``, ``IPv4:PORTS`` or ``[IPv6]:PORTS``.

    PORTS is a comma-separated list of ports and ranges (``443``, ``5000-5010``). A bare IPv6
    address without brackets or prefix length has no ports (its colons are the address's).
    """
    text = entry.strip()
    network, ports = text, ""
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        network, ports = address, rest.removeprefix(":") if rest.startswith(":") else rest
        if rest and not rest.startswith(":"):
            raise ValueError(f"{entry!r} is not [IPv6]:ports")
    elif "/" in text:
        address, _, length = text.partition("/")
        length, _, ports = length.partition(":")
        network = f"{address}/{length}"
    elif text.count(":") == 1:
        network, _, ports = text.partition(":")
    parsed = ipaddress.ip_network(network.strip(), strict=False)
    return parsed, (_ports(ports, entry) if ports.strip() else None)


def _split_config(text: str) -> list[str]:
    """``"10.0.0.0/8:443,5000, 127.0.0.0/8"``: commas separate entries, except that a bare
    port or range continues the port list of the entry before it."""
    entries: list[str] = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        if _PORT_RANGE.fullmatch(token) and entries and _has_ports(entries[-1]):
            entries[-1] += "," + token
        else:
            entries.append(token)
    return entries


def _has_ports(entry: str) -> bool:
    try:
        return parse_entry(entry)[1] is not None
    except ValueError:
        return False


@dataclass(frozen=True)
class NetworkPolicy:
    """The allow-list in force for outgoing registry connections.

    ``allowed`` holds the networks; ``ports``, when given, holds for each of them the ports it
    opens (``None``: all). Without ``ports`` every allow-listed network opens every port.
    """

    allowed: tuple[IPNetwork, ...] = ()
    ports: tuple[Ports, ...] = ()
    #: The configuration key named in refusals, so the message points at the right setting.
    setting: str = "MIRROR_ALLOWED_NETWORKS"

    @classmethod
    def from_config(
        cls, networks: Iterable[str] | str, *, setting: str = "MIRROR_ALLOWED_NETWORKS"
    ) -> NetworkPolicy:
        if isinstance(networks, str):  # "10.0.0.0/8, 127.0.0.0/8" from an environment variable
            networks = _split_config(networks)
        try:
            entries = [parse_entry(str(n)) for n in networks]
        except ValueError as exc:
            raise RuntimeError(f"{setting} holds an invalid network: {exc}") from None
        ports = tuple(p for _, p in entries)
        return cls(
            tuple(n for n, _ in entries),
            ports if any(p is not None for p in ports) else (),
            setting,
        )

    def is_allow_listed(self, address: IPAddress, port: int | None = None) -> bool:
        """Is ``address`` in an allow-listed network that opens ``port`` (any, if None)?"""
        for index, net in enumerate(self.allowed):
            if address.version != net.version or address not in net:
                continue
            ranges = self.ports[index] if self.ports else None
            if ranges is None or port is None or any(lo <= port <= hi for lo, hi in ranges):
                return True
        return False

    def check(self, address: IPAddress, port: int | None = None) -> None:
        """Raise ``RegistryError(BLOCKED_ADDRESS)`` unless ``address`` may be reached."""
        plain = _unwrap(address)
        for candidate in embedded_ipv4(address):
            if any(candidate.version == n.version and candidate in n for n in ALWAYS_DENIED):
                raise self._blocked()
        if self.is_allow_listed(plain, port) or self.is_allow_listed(address, port):
            return
        if not plain.is_global or plain.is_multicast:
            raise self._blocked()
        if any(plain.version == n.version and plain in n for n in NOT_GLOBAL):
            raise self._blocked()

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and check every address; all must pass (one bad A record fails)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise RegistryError(
                Category.DNS_FAILED,
                _("The registry host name %(host)r does not resolve.", host=host),
            ) from None
        addresses: list[str] = []
        for info in infos:
            text = str(info[4][0]).split("%", 1)[0]
            self.check(ipaddress.ip_address(text), port)
            if text not in addresses:
                addresses.append(text)
        if not addresses:
            raise RegistryError(Category.DNS_FAILED, _("%(host)r has no address.", host=host))
        return addresses

    def all_allow_listed(self, host: str, port: int) -> bool:
        """Does ``host`` resolve only into allow-listed networks? (plain HTTP is allowed there)."""
        addresses = self.resolve(host, port)
        return all(self.is_allow_listed(_unwrap(ipaddress.ip_address(a)), port) for a in addresses)

    def resolve_plain_http(self, host: str, port: int) -> list[str]:
        """:meth:`resolve` for a plain-http connection: every address must be allow-listed.

        Saving a URL checks this too, but a name can resolve elsewhere by the time the plugin
        connects (or a redirect or token realm can name another http host), so the connection
        checks it again on the addresses it is about to use.
        """
        addresses = self.resolve(host, port)
        if not all(self.is_allow_listed(_unwrap(ipaddress.ip_address(a)), port) for a in addresses):
            raise RegistryError(
                Category.BLOCKED_ADDRESS,
                _(
                    "Plain http is only allowed for registries inside networks the platform "
                    "Admin allow-listed (%(setting)s); use https.",
                    setting=self.setting,
                ),
            )
        return addresses

    def _blocked(self) -> RegistryError:
        return RegistryError(
            Category.BLOCKED_ADDRESS,
            _(
                "The registry address is in a private, loopback, link-local or otherwise "
                "special network the platform does not allow (the platform Admin can allow "
                "networks with %(setting)s).",
                setting=self.setting,
            ),
        )
