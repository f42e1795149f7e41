"""The SSRF guard: which addresses a registry URL may reach, and how URLs are normalized.

A workspace admin types a registry URL and the server then connects to it, sometimes with stored
credentials (security notes, section 3). These tests pin down the address classification the
whole defence rests on. They run offline: ``socket.getaddrinfo`` is replaced by a fake resolver
(the notes' rule 1: classify the *resolved* addresses, never the string). The only real lookups
are of numeric spellings such as ``2130706433``, which the C library parses itself.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest

from mirror_plugin.registry.endpoint import normalize_registry_url
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.netguard import NetworkPolicy


@dataclass
class FakeDNS:
    """What the fake resolver knows (name -> addresses; ``[]`` is "no address") and was asked."""

    names: dict[str, list[str]] = field(default_factory=dict)
    lookups: list[tuple[str, int]] = field(default_factory=list)

    def __setitem__(self, name: str, addresses: list[str]) -> None:
        self.names[name] = addresses


def _answer(address: str, port: int) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """A fake resolver: names set on the returned FakeDNS resolve to their list, others fail.

    Numeric hosts (``127.1``, ``0x7f.1``...) still go to the real ``getaddrinfo`` with
    ``AI_NUMERICHOST``, which never touches the network, so the spelling pitfalls stay real.
    """
    real = socket.getaddrinfo
    table = FakeDNS()

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        table.lookups.append((name, int(port)))
        if name in table.names:
            return [_answer(a, int(port)) for a in table.names[name]]
        try:
            return real(name, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


def blocked(policy: NetworkPolicy, address: str) -> bool:
    try:
        policy.check(ipaddress.ip_address(address))
    except RegistryError as exc:
        assert exc.category is Category.BLOCKED_ADDRESS
        assert "MIRROR_ALLOWED_NETWORKS" in exc.message  # tells the admin the way out
        return True
    return False


# -- classification --------------------------------------------------------------------------

#: Never reachable without an allow-list entry. Each is a way into the platform's own network.
REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.0.1",
    "100.64.0.1",  # CGNAT: ipaddress says is_private False, so "block is_private" misses it
    "100.127.255.254",
    "169.254.1.1",
    "169.254.169.254",  # cloud metadata
    "100.100.100.200",  # Alibaba Cloud metadata
    "fe80::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fc00::1",
    "0.0.0.0",  # connects to localhost on Linux
    "0.1.2.3",
    "::",
    "::1",
    "::ffff:127.0.0.1",  # IPv4-mapped: is_loopback is False for it
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1: is_global is True for it
    "64:ff9b::a00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",  # RFC 8215 local-use NAT64 prefix, translated inside the platform
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "::7f00:1",  # deprecated IPv4-compatible form of 127.0.0.1
    "::ffff:0:7f00:1",  # IPv4-translated (SIIT) form of 127.0.0.1
    "fec0::1",  # deprecated site-local
    "224.0.0.1",  # multicast (ipaddress calls it global)
    "239.255.255.250",
    "ff02::1",
    "ff0e::1",
    "255.255.255.255",
    "240.0.0.1",
    "198.18.0.1",
    "192.0.2.1",
    "2001:db8::1",
    "2001::1",  # Teredo
]

#: Refused even when the platform Admin allow-lists everything: metadata and "this host".
ALWAYS_REFUSED = [
    "169.254.169.254",
    "169.254.1.1",
    "100.100.100.200",
    "fd00:ec2::254",
    "fe80::1",
    "0.0.0.0",
    "0.1.2.3",
    "::",
    "::ffff:169.254.169.254",
    "::ffff:0.0.0.0",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::",
]

PUBLIC = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::"]


@pytest.mark.parametrize("address", REFUSED)
def test_special_addresses_are_refused(address: str) -> None:
    assert blocked(NetworkPolicy(), address)


@pytest.mark.parametrize("address", REFUSED)
def test_special_addresses_are_refused_after_resolution(dns: FakeDNS, address: str) -> None:
    """The same through ``resolve``: a public-looking name is only as good as its answers."""
    dns["registry.example.com"] = [address]
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve("registry.example.com", 443)
    assert info.value.category is Category.BLOCKED_ADDRESS


@pytest.mark.parametrize("address", ALWAYS_REFUSED)
@pytest.mark.parametrize(
    "allowed",
    [["0.0.0.0/0", "::/0"], ["169.254.0.0/16", "fd00:ec2::/32", "0.0.0.0/8", "::/64"]],
    ids=["allow-everything", "allow-the-exact-range"],
)
def test_metadata_and_unspecified_are_refused_even_when_allow_listed(
    address: str, allowed: list[str]
) -> None:
    """An over-broad allow-list must not hand out the cloud's credentials (gitlab#628701)."""
    assert blocked(NetworkPolicy.from_config(allowed), address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_accepted(dns: FakeDNS, address: str) -> None:
    assert not blocked(NetworkPolicy(), address)
    dns["registry.example.com"] = [address]
    assert NetworkPolicy().resolve("registry.example.com", 443) == [address]


@pytest.mark.parametrize("order", ["private-first", "private-last"])
def test_one_private_answer_among_public_ones_refuses_the_host(dns: FakeDNS, order: str) -> None:
    """requests-hardened only checks the first answer; a later private A record must count too,
    or the connection's own resolver may pick it."""
    answers = ["93.184.215.14", "10.0.0.7"]
    dns["mixed.example.com"] = answers if order == "private-last" else answers[::-1]
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve("mixed.example.com", 443)
    assert info.value.category is Category.BLOCKED_ADDRESS


def test_duplicate_answers_are_returned_once(dns: FakeDNS) -> None:
    dns["dup.example.com"] = ["93.184.215.14", "93.184.215.14", "2606:4700:4700::1111"]
    assert NetworkPolicy().resolve("dup.example.com", 443) == [
        "93.184.215.14",
        "2606:4700:4700::1111",
    ]


def test_scoped_link_local_answers_are_refused(dns: FakeDNS) -> None:
    """getaddrinfo gives link-local IPv6 answers with a ``%zone`` suffix."""
    dns["zoned.example.com"] = ["fe80::1%eth0"]
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve("zoned.example.com", 443)
    assert info.value.category is Category.BLOCKED_ADDRESS


def test_allow_listing_loopback_lets_loopback_through() -> None:
    policy = NetworkPolicy.from_config(["127.0.0.0/8"])
    for address in ("127.0.0.1", "127.3.4.5", "::ffff:127.0.0.1"):
        assert not blocked(policy, address), address
    # The allow-list is exactly what it says: other special networks stay closed.
    for address in ("::1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0"):
        assert blocked(policy, address), address


def test_an_allow_list_does_not_open_other_families() -> None:
    """An IPv4 network never matches an IPv6 address (and the reverse)."""
    policy = NetworkPolicy.from_config(["0.0.0.0/0"])
    assert not blocked(policy, "10.0.0.1")
    assert blocked(policy, "fc00::1")
    assert blocked(NetworkPolicy.from_config(["::/0"]), "10.0.0.1")


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.1", "017700000001", "127.1", "0177.1"])
def test_numeric_spellings_of_loopback_are_resolved_and_refused(spelling: str) -> None:
    """The C resolver turns these into 127.0.0.1, so a string check would let them past."""
    assert NetworkPolicy.from_config(["127.0.0.0/8"]).resolve(spelling, 80) == ["127.0.0.1"]
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve(spelling, 80)
    assert info.value.category is Category.BLOCKED_ADDRESS


@pytest.mark.parametrize(
    "literal", ["::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "64:ff9b::7f00:1", "0.0.0.0"]
)
def test_ipv6_and_mapped_literals_are_refused(literal: str) -> None:
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve(literal, 80)
    assert info.value.category is Category.BLOCKED_ADDRESS


def test_dns_failure_is_dns_failed(dns: FakeDNS) -> None:
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve("nowhere.invalid", 443)
    assert info.value.category is Category.DNS_FAILED
    assert "nowhere.invalid" in info.value.message
    assert "does not resolve" in info.value.message


def test_no_answers_is_dns_failed(dns: FakeDNS) -> None:
    dns["empty.example.com"] = []
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve("empty.example.com", 443)
    assert info.value.category is Category.DNS_FAILED


def test_a_name_the_idna_codec_rejects_is_dns_failed() -> None:
    """A 64-character label fails inside getaddrinfo's IDNA step (UnicodeError, no network)."""
    with pytest.raises(RegistryError) as info:
        NetworkPolicy().resolve("a" * 64 + ".example.com", 443)
    assert info.value.category is Category.DNS_FAILED


# -- configuration ---------------------------------------------------------------------------


def test_from_config_accepts_a_list() -> None:
    policy = NetworkPolicy.from_config(["10.0.0.0/8", "fd12::/16"])
    assert policy.allowed == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd12::/16"))
    assert not blocked(policy, "10.1.2.3")
    assert not blocked(policy, "fd12::1")


def test_from_config_accepts_a_comma_separated_string() -> None:
    """The form MIRROR_ALLOWED_NETWORKS takes in an environment variable."""
    policy = NetworkPolicy.from_config(" 10.0.0.0/8, 192.168.0.0/16 ,,127.0.0.1/32, ")
    assert [str(n) for n in policy.allowed] == ["10.0.0.0/8", "192.168.0.0/16", "127.0.0.1/32"]
    assert NetworkPolicy.from_config("") == NetworkPolicy()
    assert NetworkPolicy.from_config([]) == NetworkPolicy()


def test_from_config_normalizes_host_bits() -> None:
    assert NetworkPolicy.from_config(["10.1.2.3/8"]).allowed == (
        ipaddress.ip_network("10.0.0.0/8"),
    )


@pytest.mark.parametrize("bad", [["10.0.0.0/33"], ["not-a-network"], "10.0.0.0/8, nope", [""]])
def test_from_config_rejects_an_invalid_network(bad: list[str] | str) -> None:
    """A typo must stop the app at start-up rather than silently allow nothing (or more)."""
    with pytest.raises(RuntimeError, match="MIRROR_ALLOWED_NETWORKS"):
        NetworkPolicy.from_config(bad)


def test_all_allow_listed(dns: FakeDNS) -> None:
    policy = NetworkPolicy.from_config(["10.0.0.0/8"])
    dns["inside.corp"] = ["10.0.0.5", "10.9.9.9"]
    dns["half.corp"] = ["10.0.0.5", "93.184.215.14"]
    assert policy.all_allow_listed("inside.corp", 80)
    assert not policy.all_allow_listed("half.corp", 80)


# -- normalize_registry_url ------------------------------------------------------------------


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """https URLs are normalized without a lookup (the check happens at connect time)."""

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("normalize_registry_url resolved an https host")

    monkeypatch.setattr(socket, "getaddrinfo", fail)


@pytest.mark.usefixtures("no_dns")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Host.Example.COM:443/", "https://host.example.com"),
        ("  https://registry.example.com  ", "https://registry.example.com"),
        ("HTTPS://registry.example.com", "https://registry.example.com"),
        ("https://registry.example.com:8443", "https://registry.example.com:8443"),
        ("https://registry.example.com:8443/", "https://registry.example.com:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://BÜCHER.example:5000", "https://xn--bcher-kva.example:5000"),
        ("https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443"),
        ("https://registry.example.com:", "https://registry.example.com"),
    ],
)
def test_normalize_registry_url(url: str, expected: str) -> None:
    assert normalize_registry_url(url, NetworkPolicy()) == expected


@pytest.mark.usefixtures("no_dns")
@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://user:secret@registry.example.com", "user name"),
        ("https://user@registry.example.com", "user name"),
        ("https://:secret@registry.example.com", "user name"),
        ("https://registry.example.com/?next=/", "without a path or query"),
        ("https://registry.example.com?x=1", "without a path or query"),
        ("https://registry.example.com#top", "without a path or query"),
        ("https://registry.example.com/v2/", "without a path or query"),
        ("https://registry.example.com/harbor", "without a path or query"),
        ("ftp://registry.example.com", "https://host[:port]"),
        ("file:///etc/passwd", "https://host[:port]"),
        ("javascript:alert(1)", "https://host[:port]"),
        ("registry.example.com", "https://host[:port]"),
        ("//registry.example.com", "https://host[:port]"),
        ("https://", "https://host[:port]"),
        ("", "https://host[:port]"),
        ("https://registry.example.com:0", "port"),
        ("https://registry.example.com:99999", "port"),
        ("https://registry.example.com:65536", "port"),
        ("https://registry.example.com:http", "port"),
        ("https://registry.example.com:-1", "port"),
        ("https://[::1", "https://host[:port]"),
        ("https://a..example.com", "not a valid domain"),
        ("https://" + "a" * 64 + ".example.com", "not a valid domain"),
    ],
)
def test_normalize_refuses_with_a_clear_message(url: str, says: str) -> None:
    with pytest.raises(RegistryError) as info:
        normalize_registry_url(url, NetworkPolicy())
    assert info.value.category is Category.INVALID_URL
    assert says in info.value.message


def test_plain_http_is_allowed_only_inside_allow_listed_networks(
    dns: FakeDNS,
) -> None:
    """Internal registries often have no certificate; the public internet gets https only."""
    policy = NetworkPolicy.from_config(["10.0.0.0/8"])
    dns["harbor.corp"] = ["10.0.0.5"]
    dns["public.example.com"] = ["93.184.215.14"]
    dns["half.corp"] = ["10.0.0.5", "93.184.215.14"]
    assert normalize_registry_url("http://harbor.corp:5000/", policy) == "http://harbor.corp:5000"
    assert normalize_registry_url("http://harbor.corp:80", policy) == "http://harbor.corp"
    assert normalize_registry_url("http://10.0.0.5", policy) == "http://10.0.0.5"
    for url in ("http://public.example.com", "http://half.corp"):
        with pytest.raises(RegistryError) as info:
            normalize_registry_url(url, policy)
        assert info.value.category is Category.INVALID_URL
        assert "use https" in info.value.message
    # Without an allow-list nothing qualifies for plain http.
    with pytest.raises(RegistryError) as info:
        normalize_registry_url("http://harbor.corp", NetworkPolicy())
    assert info.value.category is Category.BLOCKED_ADDRESS
    with pytest.raises(RegistryError) as info:
        normalize_registry_url("http://nowhere.invalid", policy)
    assert info.value.category is Category.DNS_FAILED
    # The lookups went to the port the URL names (or 80).
    assert ("harbor.corp", 5000) in dns.lookups
    assert ("harbor.corp", 80) in dns.lookups


# -- embedded IPv4 in allow-listed IPv6 ranges (issue 10) ---------------------------------------


@pytest.mark.parametrize(
    ("allowed", "address"),
    [
        ("64:ff9b:1::/48", "64:ff9b:1::a9fe:a9fe"),  # the case: low 32 bits
        ("64:ff9b:1::/48", "64:ff9b:1:a9fe:a9:fe00::"),  # RFC 6052 layout of a /48 prefix
        ("64:ff9b:1::/48", "64:ff9b:1::0:0"),  # 0.0.0.0, "this host"
        ("64:ff9b::/96", "64:ff9b::a9fe:a9fe"),
        ("::/96", "::a9fe:a9fe"),  # IPv4-compatible
        ("::ffff:0:0:0/96", "::ffff:0:a9fe:a9fe"),  # IPv4-translated (SIIT)
        ("::ffff:0:0/96", "::ffff:169.254.169.254"),  # IPv4-mapped
        ("::/0", "64:ff9b:1::a9fe:a9fe"),
    ],
)
def test_an_allow_listed_ipv6_range_does_not_carry_a_refused_ipv4(
    allowed: str, address: str
) -> None:
    """Allow-listing a translation range opens what it translates to, except the addresses
    refused always: those are unwrapped from every embedding before the allow-list counts."""
    assert blocked(NetworkPolicy.from_config([allowed]), address)


def test_an_allow_listed_nat64_range_still_reaches_what_it_should() -> None:
    policy = NetworkPolicy.from_config(["64:ff9b:1::/48"])
    assert not blocked(policy, "64:ff9b:1::a00:5")  # 10.0.0.5 behind the local translator
    assert blocked(NetworkPolicy(), "64:ff9b:1::a00:5")


# -- ports in allow-list entries ------------------------------------------------------------------


def _allowed(policy: NetworkPolicy, address: str, port: int) -> bool:
    try:
        policy.check(ipaddress.ip_address(address), port)
    except RegistryError as exc:
        assert exc.category is Category.BLOCKED_ADDRESS
        return False
    return True


def test_allow_list_entries_may_name_ports() -> None:
    """``10.0.0.0/8:443,5000`` in an environment variable: a bare port after an entry with
    ports continues its list; entries without ports open every port, as before."""
    policy = NetworkPolicy.from_config("10.0.0.0/8:443,5000-5001, 127.0.0.0/8, 10.9.9.9:22")
    assert [str(n) for n in policy.allowed] == ["10.0.0.0/8", "127.0.0.0/8", "10.9.9.9/32"]
    assert _allowed(policy, "10.1.2.3", 443) and _allowed(policy, "10.1.2.3", 5001)
    assert not _allowed(policy, "10.1.2.3", 22) and not _allowed(policy, "10.1.2.3", 5002)
    assert _allowed(policy, "10.9.9.9", 22)  # a second entry opens another port
    assert _allowed(policy, "127.0.0.1", 22) and _allowed(policy, "127.0.0.1", 65535)
    assert _allowed(policy, "93.184.215.14", 22)  # public addresses need no entry


def test_ipv6_entries_with_ports_use_brackets_or_a_prefix_length() -> None:
    policy = NetworkPolicy.from_config(["[fd00::5]:443", "fd12::/16:8443", "::1"])
    assert _allowed(policy, "fd00::5", 443) and not _allowed(policy, "fd00::5", 80)
    assert _allowed(policy, "fd12::7", 8443) and not _allowed(policy, "fd12::7", 443)
    assert _allowed(policy, "::1", 1234)


def test_a_port_restricted_entry_refuses_other_ports_when_resolving(dns: FakeDNS) -> None:
    dns["inside.corp"] = ["10.0.0.5"]
    policy = NetworkPolicy.from_config(["10.0.0.0/8:443"])
    assert policy.resolve("inside.corp", 443) == ["10.0.0.5"]
    with pytest.raises(RegistryError) as info:
        policy.resolve("inside.corp", 6379)
    assert info.value.category is Category.BLOCKED_ADDRESS
    with pytest.raises(RegistryError):  # nor plain http on another port
        normalize_registry_url("http://inside.corp", policy)
    assert normalize_registry_url("https://inside.corp", policy) == "https://inside.corp"


@pytest.mark.parametrize(
    "bad", [["10.0.0.0/8:0"], ["10.0.0.0/8:70000"], ["10.0.0.0/8:http"], ["[fd00::5]x"]]
)
def test_an_invalid_port_stops_the_app(bad: list[str]) -> None:
    with pytest.raises(RuntimeError, match="MIRROR_ALLOWED_NETWORKS"):
        NetworkPolicy.from_config(bad)
