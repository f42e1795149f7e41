"""RegistryHTTP against a misbehaving server: every failure is a RegistryError, and the guard holds.

The registry clients (Harbor, Docker Distribution) and the "test connection" button all go
through :class:`RegistryHTTP`. What it promises, and what these tests hold it to:

* every way a remote end can fail becomes a ``RegistryError`` with a coarse category and a
  sentence that names no address, port or exception (the SSRF notes: no port-scan oracle);
* retries for GET/HEAD only, never for writes;
* no cookies ever go back (Harbor's ``sid`` turns later writes into CSRF 403s);
* the body cap holds whether or not the server declares a length;
* redirects pass the SSRF guard on every hop, and credentials never follow a redirect to
  another origin;
* the connection goes to the address that was checked, with TLS and ``Host`` still using the
  name (no check-then-re-resolve gap for DNS rebinding to slip through).

The server is :mod:`tests.faulty_server` on 127.0.0.1, allow-listed as 127.0.0.1/32 only. Read
timeouts are 0.5 s so the whole file runs in a few seconds.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import InsecureRequestWarning

from demo.sandbox import free_port  # nothing listens there: a closed port
from mirror_plugin.registry.endpoint import USER_AGENT, Endpoint, Reply
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.http import RegistryHTTP
from mirror_plugin.registry.netguard import NetworkPolicy
from tests.faulty_server import FAT, HUGE, Connects, FaultyServer

TIMEOUT = 0.5
LOOPBACK_ONLY = NetworkPolicy.from_config(["127.0.0.1/32"])

MakeClient = Callable[..., RegistryHTTP]


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def make_client(server: FaultyServer) -> Iterator[MakeClient]:
    """``make_client(url=server.url, policy=LOOPBACK_ONLY, **endpoint_and_client_options)``."""
    made: list[RegistryHTTP] = []

    def make(
        url: str | None = None,
        *,
        policy: NetworkPolicy = LOOPBACK_ONLY,
        timeout: float = TIMEOUT,
        retries: int = 2,
        max_body: int | None = None,
        deadline: float | None = None,
        budget: Any = None,
        **endpoint: Any,
    ) -> RegistryHTTP:
        options: dict[str, Any] = {"policy": policy, "timeout": timeout, "retries": retries}
        if max_body is not None:
            options["max_body"] = max_body
        if deadline is not None:
            options["deadline"] = deadline
        if budget is not None:
            options["budget"] = budget
        client = RegistryHTTP(Endpoint(url or server.url, **endpoint), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@dataclass
class ScriptedDNS:
    """Names answer from a script, one entry per lookup (the last entry repeats)."""

    script: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def answer(self, name: str) -> list[str]:
        queue = self.script[name]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> ScriptedDNS:
    """A fake resolver for scripted names; IP literals still go to the real (numeric) one."""
    scripted = ScriptedDNS()
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in scripted.script:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return real(host, port, *args, **kwargs)
        scripted.lookups.append(name)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))
            for address in scripted.answer(name)
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return scripted


def failure(client: RegistryHTTP, method: str, path: str, **kwargs: Any) -> RegistryError:
    """The RegistryError ``client.request`` raises; anything else (a raw exception) fails."""
    with pytest.raises(RegistryError) as info:
        client.request(method, path, **kwargs)
    error = info.value
    assert_safe_message(error)
    return error


def assert_safe_message(error: RegistryError) -> None:
    """Shown to a tenant: a sentence, and nothing that helps scan the platform's network."""
    text = str(error)
    assert text == error.message and text.endswith(".")
    for leak in ("127.0.0", "Errno", "Traceback", "HTTPConnectionPool", "Max retries", "urllib3"):
        assert leak not in text, text


# -- the happy path, and what every request carries ------------------------------------------


def test_a_plain_get_reads_json(server: FaultyServer, make_client: MakeClient) -> None:
    reply = make_client().request("GET", "/ok")
    assert (reply.status, reply.json(), reply.content_type) == (
        200,
        {"ok": True},
        "application/json",
    )
    assert reply.url == f"{server.url}/ok"


def test_the_user_agent_names_the_plugin(server: FaultyServer, make_client: MakeClient) -> None:
    """Registry admins see who calls them in their access logs."""
    make_client().request("GET", "/ok")
    agent = server.seen("/ok")[0].headers["user-agent"]
    assert agent == USER_AGENT and agent.startswith("mirror_plugin/")


def test_cookies_are_never_sent_back(server: FaultyServer, make_client: MakeClient) -> None:
    """The server sets a cookie on every answer (redirects included); none may come back."""
    client = make_client()
    reply = client.request("GET", "/ok")
    assert "sid=" in reply.headers["Set-Cookie"]  # the server really offers one
    client.request("GET", "/ok")
    client.request("GET", "/chain/2")
    client.request("HEAD", "/ok")
    client.request("POST", "/ok", json_body={"name": "x"})
    client.request("PUT", "/ok", json_body={"name": "x"})
    assert len(server.requests) == 8
    assert all("cookie" not in seen.headers for seen in server.requests)


def test_credentials_go_to_the_registry(server: FaultyServer, make_client: MakeClient) -> None:
    make_client(username="robot", password="s3cret").request("GET", "/ok", auth=("robot", "s3cret"))
    assert server.seen("/ok")[0].headers["authorization"].startswith("Basic ")


# -- failures become categories ---------------------------------------------------------------


def test_connection_reset_mid_body_is_unreachable_and_retried_for_get(
    server: FaultyServer, make_client: MakeClient
) -> None:
    error = failure(make_client(retries=2), "GET", "/reset")
    assert error.category is Category.UNREACHABLE
    assert server.hits("/reset") == 3  # one try and two retries


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writes_are_never_retried(
    server: FaultyServer, make_client: MakeClient, method: str
) -> None:
    """A write that reached the server may have happened: repeating it is not ours to decide."""
    error = failure(make_client(retries=2), method, "/reset", json_body={"name": "x"})
    assert error.category is Category.UNREACHABLE
    assert server.hits("/reset") == 1


def test_a_server_that_never_answers_is_a_read_timeout(make_client: MakeClient) -> None:
    started = time.monotonic()
    error = failure(make_client(retries=0), "GET", "/hang")
    assert error.category is Category.READ_TIMEOUT
    assert "did not answer in time" in error.message
    assert time.monotonic() - started < 3 * TIMEOUT  # the timeout is enforced, not the server's


def test_timeouts_are_retried_for_get(server: FaultyServer, make_client: MakeClient) -> None:
    error = failure(make_client(retries=1), "GET", "/hang")
    assert error.category is Category.READ_TIMEOUT
    assert server.hits("/hang") == 2


def test_a_body_that_stalls_is_a_read_timeout(make_client: MakeClient) -> None:
    """Headers then silence: still a timeout, not "the connection was closed"."""
    error = failure(make_client(retries=0), "GET", "/stall")
    assert error.category is Category.READ_TIMEOUT


@pytest.mark.parametrize("path", ["/huge", "/huge-unsized"])
def test_a_huge_body_is_too_large(server: FaultyServer, make_client: MakeClient, path: str) -> None:
    """Whether or not it declares its length, a big answer is cut off at max_body."""
    error = failure(make_client(max_body=64 * 1024), "GET", path)
    assert error.category is Category.TOO_LARGE
    assert server.hits(path) == 1  # a size problem does not go away on retry


def test_the_default_cap_stops_ten_megabytes(make_client: MakeClient) -> None:
    assert HUGE > 8 * 1024 * 1024
    assert failure(make_client(), "GET", "/huge-unsized").category is Category.TOO_LARGE


def test_a_body_exactly_at_the_cap_is_read(make_client: MakeClient) -> None:
    assert make_client(max_body=len(b'{"ok": true}')).request("GET", "/ok").json() == {"ok": True}


def test_a_redirect_body_is_capped_too(server: FaultyServer, make_client: MakeClient) -> None:
    """requests reads a redirect's whole body by itself (even with allow_redirects=False) to
    prepare the next hop, before our cap. A 302 with an endless body must still be cut off.

    The server offers 64 MB; a capped client hangs up after 64 KiB, so the server cannot
    hand over more than the socket buffers hold (a few MB).
    """
    path = f"/redirect-fat?to={server.url}/ok"
    error = failure(make_client(max_body=64 * 1024), "GET", path)
    assert error.category is Category.TOO_LARGE
    deadline = time.monotonic() + 5
    while not server.done[path] and time.monotonic() < deadline:
        time.sleep(0.02)  # the server notices the hang-up on its next write
    assert server.sent[path] < FAT // 2
    assert server.seen("/ok") == []


def test_an_answer_that_is_not_http_is_a_bad_response(
    server: FaultyServer, make_client: MakeClient
) -> None:
    """Something that talks, but not HTTP (an SSH or database port): not "unreachable"."""
    error = failure(make_client(retries=0), "GET", "/not-http")
    assert error.category is Category.BAD_RESPONSE


def test_an_unknown_http_version_is_a_bad_response(make_client: MakeClient) -> None:
    assert failure(make_client(), "GET", "/http2").category is Category.BAD_RESPONSE


def test_a_body_that_does_not_decompress_is_a_bad_response(make_client: MakeClient) -> None:
    assert failure(make_client(), "GET", "/bad-gzip").category is Category.BAD_RESPONSE


def test_a_compression_bomb_is_too_large(make_client: MakeClient) -> None:
    """32 KB on the wire, 32 MB inflated: the cap counts what it inflates to."""
    started = time.monotonic()
    error = failure(make_client(max_body=1024 * 1024), "GET", "/gzip-bomb")
    assert error.category is Category.TOO_LARGE
    assert time.monotonic() - started < 2


def test_the_wrong_content_type_is_visible_and_json_fails_cleanly(make_client: MakeClient) -> None:
    """A login page in front of the registry: the caller can see it is HTML, and parsing it as
    JSON gives a BAD_RESPONSE rather than a JSONDecodeError."""
    reply = make_client().request("GET", "/html")
    assert (reply.status, reply.content_type) == (200, "text/html")
    with pytest.raises(RegistryError) as info:
        reply.json()
    assert info.value.category is Category.BAD_RESPONSE and info.value.status == 200
    assert_safe_message(info.value)


def test_invalid_utf8_json_is_a_bad_response(make_client: MakeClient) -> None:
    reply = make_client().request("GET", "/bad-utf8")
    with pytest.raises(RegistryError) as info:
        reply.json()
    assert info.value.category is Category.BAD_RESPONSE


def test_https_to_a_plain_http_port_is_a_tls_error(
    server: FaultyServer, make_client: MakeClient
) -> None:
    client = make_client(f"https://127.0.0.1:{server.port}")
    error = failure(client, "GET", "/ok")
    assert error.category is Category.TLS_ERROR
    assert "TLS" in error.message
    assert server.connections == 1  # a TLS failure is not retried
    assert server.requests == []


def test_a_closed_port_is_unreachable(make_client: MakeClient) -> None:
    error = failure(make_client(f"http://127.0.0.1:{free_port()}", retries=0), "GET", "/ok")
    assert error.category is Category.UNREACHABLE


def test_a_closed_port_without_an_allow_list_is_blocked_before_connecting(
    server: FaultyServer, make_client: MakeClient, connects: Connects
) -> None:
    """Open and closed ports must look the same to a tenant: refused before any connection."""
    for url in (f"http://127.0.0.1:{free_port()}", server.url):
        error = failure(make_client(url, policy=NetworkPolicy()), "GET", "/ok")
        assert error.category is Category.BLOCKED_ADDRESS
    assert connects.targets == []
    assert server.connections == 0


def test_a_name_that_does_not_resolve_is_dns_failed(
    dns: ScriptedDNS, make_client: MakeClient, connects: Connects
) -> None:
    error = failure(make_client("http://registry.invalid:5000"), "GET", "/ok")
    assert error.category is Category.DNS_FAILED
    assert connects.targets == []


# -- retries on status ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_503_is_retried_for_reads(
    server: FaultyServer, make_client: MakeClient, method: str
) -> None:
    reply = make_client(retries=2).request(method, "/flaky?fail=1")
    assert reply.status == 200
    assert server.hits("/flaky?fail=1") == 2


def test_retries_are_bounded_and_the_last_answer_is_returned(
    server: FaultyServer, make_client: MakeClient
) -> None:
    reply = make_client(retries=2).request("GET", "/flaky?fail=9")
    assert reply.status == 503
    assert server.hits("/flaky?fail=9") == 3


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_503_is_not_retried_for_writes(
    server: FaultyServer, make_client: MakeClient, method: str
) -> None:
    reply = make_client(retries=2).request(method, "/flaky?fail=1", json_body={"name": "x"})
    assert reply.status == 503
    assert server.hits("/flaky?fail=1") == 1


# -- redirects --------------------------------------------------------------------------------


def test_three_redirects_are_followed(server: FaultyServer, make_client: MakeClient) -> None:
    reply = make_client().request("GET", "/chain/3")
    assert reply.status == 200 and reply.url == f"{server.url}/chain/0"


def test_more_than_three_redirects_are_refused(
    server: FaultyServer, make_client: MakeClient
) -> None:
    error = failure(make_client(), "GET", "/chain/9")
    assert error.category is Category.BAD_RESPONSE
    assert "redirected too many times" in error.message
    assert len(server.seen("/chain/")) == 4  # the first request and three redirects


def test_writes_do_not_follow_redirects(server: FaultyServer, make_client: MakeClient) -> None:
    reply = make_client().request("POST", "/chain/1", json_body={})
    assert reply.status == 302
    assert server.seen("/chain/0") == []


def test_a_redirect_outside_the_allow_list_is_blocked_before_connecting(
    make_client: MakeClient, connects: Connects
) -> None:
    """127.0.0.2 is loopback too, but only 127.0.0.1/32 is allow-listed. A server really
    listens there, to show the refusal is not just a failed connection."""
    with FaultyServer(host="127.0.0.2") as other:
        client = make_client()
        error = failure(client, "GET", f"/redirect?to={other.url}/ok")
        assert error.category is Category.BLOCKED_ADDRESS
        assert other.connections == 0
    assert all(host == "127.0.0.1" for host, _ in connects.targets)


def test_a_redirect_to_cloud_metadata_is_blocked(
    make_client: MakeClient, connects: Connects
) -> None:
    client = make_client(policy=NetworkPolicy.from_config(["0.0.0.0/0"]))
    error = failure(client, "GET", "/redirect?to=http://169.254.169.254/latest/meta-data")
    assert error.category is Category.BLOCKED_ADDRESS
    assert [host for host, _ in connects.targets] == ["127.0.0.1"]


@pytest.mark.parametrize(
    "location", ["http://[::1/x", "http://127.0.0.1:99999/x", "ftp://127.0.0.1/x", "file:///etc"]
)
def test_a_redirect_to_an_unusable_url_is_a_bad_response(
    make_client: MakeClient, location: str
) -> None:
    error = failure(make_client(), "GET", f"/redirect?to={location}")
    assert error.category is Category.BAD_RESPONSE


@pytest.mark.parametrize("how", ["auth", "header"])
def test_credentials_are_not_forwarded_to_another_origin(
    server: FaultyServer, make_client: MakeClient, how: str
) -> None:
    """Blob downloads redirect to storage elsewhere; the registry's credentials stay home.
    ``auth`` is what the Basic flow passes, ``header`` what the Bearer-token flow passes."""
    secret: dict[str, Any] = (
        {"auth": ("robot", "s3cret")}
        if how == "auth"
        else {"headers": {"Authorization": "Bearer t0ken", "Accept": "application/json"}}
    )
    with FaultyServer() as other:  # same host, another port: another origin
        reply = make_client().request("GET", f"/redirect?to={other.url}/ok", **secret)
        assert reply.status == 200
        assert "authorization" in server.seen("/redirect")[0].headers
        landed = other.seen("/ok")[0].headers
        assert "authorization" not in landed
        if how == "header":
            assert landed["accept"] == "application/json"  # other headers still go


def test_credentials_follow_a_redirect_on_the_same_origin(
    server: FaultyServer, make_client: MakeClient
) -> None:
    make_client().request("GET", "/chain/1", auth=("robot", "s3cret"))
    assert server.seen("/chain/0")[0].headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    "location",
    [
        "http://registry.example.com/v2/",  # https -> http: same netloc, port 443 -> 80
        "https://registry.example.com:8443/v2/",
        "https://storage.example.com/blob",
        "https://registry.example.com.evil.test/v2/",
    ],
)
def test_an_origin_is_scheme_host_and_port(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, location: str
) -> None:
    """Credentials must not ride a downgrade to plain http on the same name either. (No
    server: ``_send`` is replaced to record what each hop would have carried.)"""
    client = make_client("https://registry.example.com")
    hops: list[tuple[str, Any, dict[str, str]]] = []

    def send(method: str, url: str, params: Any, body: Any, headers: Any, auth: Any) -> Reply:
        hops.append((url, auth, dict(headers or {})))
        moved = CaseInsensitiveDict({"Location": location})
        return Reply(302 if len(hops) == 1 else 200, moved, b"", url)

    monkeypatch.setattr(client, "_send", send)
    client.request("GET", "/v2/", auth=("robot", "pw"), headers={"Authorization": "Bearer t"})
    (_, first_auth, first_headers), (url, auth, headers) = hops
    assert first_auth == ("robot", "pw") and first_headers["Authorization"] == "Bearer t"
    assert url == location
    assert auth is None
    assert not any(name.lower() == "authorization" for name in headers)


# -- the connection goes to the checked address -----------------------------------------------


def test_the_connection_goes_to_the_checked_address(
    server: FaultyServer, make_client: MakeClient, dns: ScriptedDNS, connects: Connects
) -> None:
    """DNS rebinding: the name answers 127.0.0.1 (allowed) once, then 169.254.169.254.

    If anything re-resolved the name after the check (requests, urllib3), it would get the
    metadata address and connect there. Instead: one lookup per connection, the socket opened
    to the exact address checked, ``Host`` still the name, and the next *new* connection
    checks its own fresh answer and is refused.
    """
    dns.script["registry.test"] = [["127.0.0.1"], ["169.254.169.254"]]
    client = make_client(f"http://registry.test:{server.port}")
    assert client.request("GET", "/ok").status == 200
    assert dns.lookups == ["registry.test"]
    assert connects.targets == [("127.0.0.1", server.port)]
    assert client.request("GET", "/close").status == 200  # same connection, then closed
    assert dns.lookups == ["registry.test"]
    error = failure(client, "GET", "/ok")  # a new connection: a new lookup, a new check
    assert error.category is Category.BLOCKED_ADDRESS
    assert dns.lookups == ["registry.test"] * 2
    assert connects.targets == [("127.0.0.1", server.port)]
    assert [seen.headers["host"] for seen in server.requests] == [
        f"registry.test:{server.port}"
    ] * 2


def test_every_answer_is_tried_in_order_at_its_checked_address(
    server: FaultyServer, make_client: MakeClient, dns: ScriptedDNS, connects: Connects
) -> None:
    """Two answers, the first dead (nothing listens on 127.0.0.2): the client falls through
    to the second, still by address, from the one lookup it checked."""
    dns.script["registry.test"] = [["127.0.0.2", "127.0.0.1"]]
    client = make_client(
        f"http://registry.test:{server.port}", policy=NetworkPolicy.from_config(["127.0.0.0/8"])
    )
    assert client.request("GET", "/ok").status == 200
    assert dns.lookups == ["registry.test"]
    assert connects.targets == [("127.0.0.2", server.port), ("127.0.0.1", server.port)]


def test_one_blocked_answer_refuses_the_host_before_connecting(
    server: FaultyServer, make_client: MakeClient, dns: ScriptedDNS, connects: Connects
) -> None:
    dns.script["registry.test"] = [["127.0.0.1", "169.254.169.254"]]
    error = failure(make_client(f"http://registry.test:{server.port}"), "GET", "/ok")
    assert error.category is Category.BLOCKED_ADDRESS
    assert connects.targets == []


# -- TLS uses the name, the socket uses the address --------------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    pem: str


@pytest.fixture(scope="module")
def registry_test_cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for the name ``registry.test`` only (no IP in it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "registry.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("registry.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (folder / "cert.pem").write_text(pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(folder / "cert.pem", folder / "key.pem", pem)


@pytest.fixture
def tls_server(registry_test_cert: Certificate) -> Iterator[FaultyServer]:
    with FaultyServer(tls=(registry_test_cert.cert, registry_test_cert.key)) as running:
        yield running


def test_tls_is_verified_against_the_name_not_the_pinned_address(
    tls_server: FaultyServer,
    registry_test_cert: Certificate,
    make_client: MakeClient,
    dns: ScriptedDNS,
    connects: Connects,
) -> None:
    """The socket goes to the checked 127.0.0.1, but the certificate (valid for the name only)
    is checked against ``registry.test``, and ``Host`` says ``registry.test``."""
    dns.script["registry.test"] = [["127.0.0.1"]]
    url = f"https://registry.test:{tls_server.port}"
    client = make_client(url, ca_bundle=registry_test_cert.pem)
    assert client.request("GET", "/ok").json() == {"ok": True}
    assert client.request("GET", "/ok").status == 200  # the reused connection too
    assert connects.targets == [("127.0.0.1", tls_server.port)]
    assert [seen.headers["host"] for seen in tls_server.requests] == [
        f"registry.test:{tls_server.port}"
    ] * 2


def test_tls_for_another_name_is_refused(
    tls_server: FaultyServer,
    registry_test_cert: Certificate,
    make_client: MakeClient,
    dns: ScriptedDNS,
) -> None:
    """Proof the check above is real: the same certificate does not pass for another name."""
    dns.script["other.test"] = [["127.0.0.1"]]
    dns.script["registry.test"] = [["127.0.0.1"]]
    url = f"https://other.test:{tls_server.port}"
    error = failure(make_client(url, ca_bundle=registry_test_cert.pem), "GET", "/ok")
    assert error.category is Category.TLS_ERROR
    untrusted = failure(make_client(f"https://registry.test:{tls_server.port}"), "GET", "/ok")
    assert untrusted.category is Category.TLS_ERROR
    assert tls_server.requests == []


def test_tls_verification_can_be_skipped_explicitly(
    tls_server: FaultyServer, make_client: MakeClient, dns: ScriptedDNS
) -> None:
    dns.script["other.test"] = [["127.0.0.1"]]
    client = make_client(f"https://other.test:{tls_server.port}", verify_tls=False)
    with pytest.warns(InsecureRequestWarning):  # loud on purpose
        assert client.request("GET", "/ok").status == 200


# -- total deadlines, and credentials to the registry's origin only (issue 10) ---------------------


def test_a_trickled_body_stops_at_the_total_deadline(
    server: FaultyServer, make_client: MakeClient
) -> None:
    """One byte every 0.05 s never trips a 2 s read timeout; before, one call took 50 s and
    was retried twice. The deadline covers the whole call, and is not retried."""
    client = make_client(timeout=2.0, deadline=0.6)
    started = time.monotonic()
    error = failure(client, "GET", "/trickle?every=0.05")
    assert error.category is Category.DEADLINE
    assert time.monotonic() - started < 1.5
    assert server.hits("/trickle?every=0.05") == 1


def test_a_conversation_budget_bounds_every_request(
    server: FaultyServer, make_client: MakeClient
) -> None:
    from mirror_plugin.registry.budget import Budget

    budget = Budget(seconds=0.5, what="the sync", deadline_setting="MIRROR_SYNC_DEADLINE")
    client = make_client(timeout=5.0, deadline=30.0, budget=budget)
    started = time.monotonic()
    error = failure(client, "GET", "/hang")
    assert error.category is Category.DEADLINE and "MIRROR_SYNC_DEADLINE" in error.message
    assert time.monotonic() - started < 1.5
    assert failure(client, "GET", "/ok").category is Category.DEADLINE  # spent: no request
    assert server.hits("/ok") == 0


def test_credentials_never_go_to_an_absolute_url_on_another_origin(
    server: FaultyServer, make_client: MakeClient
) -> None:
    """A path the registry supplied may be a whole URL; another origin gets no credentials
    (before, the first hop kept them: only redirects dropped them)."""
    with FaultyServer() as elsewhere:
        client = make_client(username="admin", password="pw")
        assert client.request("GET", f"{elsewhere.url}/ok", auth=("admin", "pw")).status == 200
        assert "authorization" not in elsewhere.seen()[0].headers
        assert client.request("GET", "/ok", auth=("admin", "pw")).status == 200
        assert server.seen("/ok")[0].headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("realm_host", "trusted"),
    [
        ("registry.example.co.uk", True),  # the registry itself
        ("auth.example.co.uk", True),  # same registrable domain
        ("attacker.co.uk", False),  # before: "co.uk" was taken for the registry's domain
        ("example.co.uk.attacker.io", False),
        ("127.0.0.1", False),
    ],
)
def test_token_realms_get_credentials_on_the_registrys_own_site_only(
    server: FaultyServer, make_client: MakeClient, dns: ScriptedDNS, realm_host: str, trusted: bool
) -> None:
    from mirror_plugin.registry import docker

    for name in ("registry.example.co.uk", "auth.example.co.uk", "attacker.co.uk"):
        dns.script[name] = [["127.0.0.1"]]
    dns.script["example.co.uk.attacker.io"] = [["127.0.0.1"]]
    with FaultyServer() as realm:
        realm.route("/", "/token")
        challenge = f"http://{realm_host}:{realm.port}/token"
        server.route("/", "/challenge?realm=" + challenge).route("/token", "/token")
        url = f"http://registry.example.co.uk:{server.port}"
        client = docker.DockerRegistryClient(make_client(url, username="admin", password="pw"))
        docker._token_cache.clear()
        with pytest.raises(RegistryError):
            client.ping()  # the registry challenges again whatever the token: FORBIDDEN
        seen = realm.seen("/token")
        assert len(seen) == 1
        assert ("authorization" in seen[0].headers) is trusted, seen[0].headers
