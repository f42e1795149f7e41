"""One key per registry, whatever spelling of its host an image reference uses.

A container runtime pulls ``127.0.0.1:5080/x``, ``127.1:5080/x``, ``2130706433:5080/x``,
``127.0.0.1:05080/x`` and ``[::ffff:7f00:1]:5080/x`` from the same server. The visibility rule
must therefore judge them as one registry, or a tenant walks around it by re-spelling a
host. :func:`registry_key` is the canonical form the rule matches on:

- host names: lower case, trailing dot removed, IDNA (non-ASCII labels as ``xn--``);
- ports as numbers (``05080`` is ``5080``), the default ports 443 and 80 dropped;
- IPv4 literals in every form ``inet_aton`` accepts (``127.1``, ``0x7f.1``, ``0177.0.0.1``,
  ``2130706433``) written as a dotted quad;
- IPv6 literals compressed, IPv4-mapped ones unwrapped to their IPv4 address;
- Docker Hub's other names mapped to ``docker.io``.

:func:`address_keys` gives the *address* keys of an IP literal (or ``localhost``), the form in
which integrations record the addresses their host resolves to; every loopback address
(``127.0.0.0/8``, ``::1``, ``localhost``) is one address, ``loopback``, because a runtime on
the console's machine reaches the same listener through any of them.

Pure: no Flask, no database, no network (host names are resolved by
:mod:`mirror_plugin.registry.resolver`, never here). Inputs are bounded by the caller (image domains
by the reference grammar's length limit); the memo is bounded too.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket

import idna

__all__ = [
    "LOOPBACK",
    "MAX_HOST_KEY_LENGTH",
    "address_key",
    "address_keys",
    "is_ip_literal",
    "registry_key",
    "split_key",
]

LOOPBACK = "loopback"
#: A DNS name is at most 253 characters; with brackets and ``:65535`` a key fits in 300.
MAX_HOST_KEY_LENGTH = 300
DEFAULT_PORTS = frozenset({80, 443})
_DOCKER_HUB_ALIASES = {"index.docker.io": "docker.io", "registry-1.docker.io": "docker.io"}
_INET_ATON_CHARS = re.compile(r"[0-9a-fA-FxX.]+", re.ASCII)
_PORT = re.compile(r"[0-9]{1,10}", re.ASCII)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def split_key(host: str) -> tuple[str, str]:
    """``host[:port]`` split into host and port text (``""`` when absent); brackets kept."""
    if host.startswith("["):
        inner, bracket, rest = host.partition("]")
        if bracket and (not rest or rest.startswith(":")):
            return inner + "]", rest[1:]
        return host, ""
    name, colon, port = host.rpartition(":")
    if colon and ":" not in name:
        return name, port
    return host, ""


def _ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """``host`` as an IPv4 address if ``inet_aton`` (what glibc's resolver uses) takes it."""
    if not _INET_ATON_CHARS.fullmatch(host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _ip_of(host: str) -> IPAddress | None:
    """The address an IP-literal host names (IPv4-mapped IPv6 unwrapped), else None."""
    if host.startswith("[") and host.endswith("]"):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
        return address.ipv4_mapped or address
    return _ipv4_literal(host)


def _canonical_host(host: str) -> str:
    address = _ip_of(host)
    if address is not None:
        return f"[{address.compressed}]" if address.version == 6 else str(address)
    host = host.lower().rstrip(".")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            pass  # not a name any resolver accepts; kept as typed, it matches nothing else
    return host


def _canonical_port(port: str) -> str:
    """Port text as a number; ``""`` for none or a default port; unchanged if not digits."""
    if not port:
        return ""
    if not _PORT.fullmatch(port):
        return port
    number = int(port)
    return "" if number in DEFAULT_PORTS else str(number)


@functools.lru_cache(maxsize=4096)
def _registry_key(host: str) -> str:
    name, port = split_key(host.strip())
    port = _canonical_port(port)
    key = _canonical_host(name)
    key = _DOCKER_HUB_ALIASES.get(key, key)
    return f"{key}:{port}" if port else key


def registry_key(host: str) -> str:
    """The key registries are matched on: canonical ``host[:port]`` (see the module doc).

    Over-long input is not memoised (and matches no integration, whose keys are bounded).
    """
    if len(host) > MAX_HOST_KEY_LENGTH:
        return host.lower()
    return _registry_key(host)


def is_ip_literal(key: str) -> bool:
    """Whether a canonical key's host is an IP address (no resolution needed)."""
    return _ip_of(split_key(key)[0]) is not None


def address_key(address: IPAddress, port: str) -> str:
    """An address and canonical port as recorded and matched: ``10.0.0.5:5000``, ``loopback``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        host = LOOPBACK
    elif address.version == 6:
        host = f"[{address.compressed}]"
    else:
        host = str(address)
    return f"{host}:{port}" if port else host


def address_keys(key: str, resolved: tuple[str, ...] = ()) -> frozenset[str]:
    """The address keys of a canonical registry key.

    An IP literal is its own address and ``localhost`` is ``loopback``; any other host name
    contributes the addresses in ``resolved`` (what the caller's resolver answered for it).
    """
    host, port = split_key(key)
    address = _ip_of(host)
    if address is not None:
        return frozenset([address_key(address, port)])
    if host == "localhost":
        return frozenset([f"{LOOPBACK}:{port}" if port else LOOPBACK])
    keys = set()
    for text in resolved:
        try:
            keys.add(address_key(ipaddress.ip_address(text.partition("%")[0]), port))
        except ValueError:
            continue
    return frozenset(keys)
