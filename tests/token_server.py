"""A Docker token-auth server for tests: the "realm" a Bearer-protected registry sends clients to.

A real Distribution registry configured with ``auth.token`` only trusts JWTs signed by a key
whose certificate is in its ``rootcertbundle``. This server makes such a key pair (ES256, a
self-signed P-256 certificate written to ``cert_path``), and implements the token endpoint of the
spec (``shared/reference/docker-registry-token-auth.md``):

    GET /token?service=<svc>&scope=repository:team/app:pull,push[&scope=...]   (Basic auth)
    -> 200 {"token": JWT, "access_token": JWT, "expires_in": ttl, "issued_at": RFC 3339}

Users in ``users`` are granted, per requested scope, the intersection of what they asked for
with pull/push/delete on every repository and ``*`` on ``registry:catalog``. Missing or wrong
credentials get 401, so clients can tell "bad credentials" from "forbidden". ``issued`` counts
tokens handed out, for tests that check a client caches its tokens.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from tests import leakcheck

#: Actions granted on each resource type; anything else requested is silently dropped (spec).
GRANTS: dict[str, frozenset[str]] = {
    "repository": frozenset({"pull", "push", "delete"}),
    "registry": frozenset({"*"}),  # registry:catalog:* is what GET /v2/_catalog asks for
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A CA:true certificate for ``key``; the registry verifies the JWT's x5c chain against it."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-token-signer")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def parse_scope(scope: str) -> tuple[str, str, list[str]] | None:
    """``repository:team/app:pull,push`` -> (type, name, actions); None when malformed.

    The name sits between the first and the last colon, so it may itself hold one (a port).
    """
    resource_type, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not resource_type or not name:
        return None
    return resource_type, name, [a for a in actions.split(",") if a]


@dataclass
class TokenServer:
    """Serves tokens on 127.0.0.1 from a daemon thread; ``start()`` then ``stop()``."""

    cert_path: Path
    users: dict[str, str]
    service: str = "test-registry"
    issuer: str = "test-token-issuer"
    ttl: int = 300  # seconds; tests of token expiry may lower it
    issued: int = 0  # tokens handed out since start
    scopes: list[list[str]] = field(default_factory=list)  # requested scopes, one list per token
    _key: ec.EllipticCurvePrivateKey = field(init=False, repr=False)
    _cert_der: bytes = field(init=False, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        cert = _self_signed(self._key)
        self._cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("token server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def realm(self) -> str:
        """What the registry's ``auth.token.realm`` must be."""
        return f"{self.url}/token"

    def start(self) -> TokenServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            name="token-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def authenticate(self, authorization: str | None) -> str | None:
        """The user a ``Basic`` Authorization header proves, or None."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:  # bad base64 or not UTF-8
            return None
        expected = self.users.get(user)
        if expected is None or not secrets.compare_digest(expected, password):
            return None
        return user

    def grant(self, scopes: list[str]) -> list[dict[str, Any]]:
        """The ``access`` claim: each requested scope narrowed to what GRANTS allows."""
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            resource_type, name, actions = parsed
            allowed = GRANTS.get(resource_type, frozenset())
            access.append(
                {
                    "type": resource_type,
                    "name": name,
                    "actions": [a for a in actions if a in allowed],
                }
            )
        return access

    def issue(self, subject: str, scopes: list[str]) -> dict[str, Any]:
        """Sign a JWT (ES256, cert in ``x5c``) and build the token response body."""
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [base64.b64encode(self._cert_der).decode()],
        }
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + self.ttl,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(12),
            "access": self.grant(scopes),
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        der = self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)  # JWS wants raw r||s, not DER
        token = f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
        leakcheck.watch(token)
        with self._lock:
            self.issued += 1
            self.scopes.append(scopes)
        issued_at = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "token": token,
            "access_token": token,
            "expires_in": self.ttl,
            "issued_at": issued_at,
        }


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            if url.path != "/token":
                self._reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
                return
            user = server.authenticate(self.headers.get("Authorization"))
            if user is None:
                self._reply(
                    401,
                    {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]},
                    {"WWW-Authenticate": 'Basic realm="test-token-server"'},
                )
                return
            query = parse_qs(url.query)
            # The scope parameter may repeat, and each may hold space-separated scopes.
            scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
            self._reply(200, server.issue(user, scopes))

        def _reply(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
            """Silence per-request stderr lines; ``issued``/``scopes`` record what matters."""

    return Handler
