"""A small HTTP server that misbehaves on purpose, for tests of the registry HTTP layer.

``RegistryHTTP`` promises to turn every way a remote end can fail into a ``RegistryError`` with a
coarse category. Real registries rarely fail on cue, so this server (stdlib ``socketserver`` via
``http.server``, one daemon thread, a free port on 127.0.0.1) fails in whatever way the request
path asks for:

=====================  =========================================================================
``/ok``                200 ``{"ok": true}`` (JSON)
``/close``             the same, with ``Connection: close`` (forces the client to reconnect)
``/reset``             promises 1000 bytes, sends 100, then resets the connection (RST)
``/hang``              reads the request and never answers (until the server stops)
``/stall``             sends the headers and 10 of 1000 bytes, then goes silent
``/huge``              10 MB of random bytes, ``Content-Length`` declared
``/huge-unsized``      10 MB of random bytes, no ``Content-Length`` (ends at close)
``/not-http``          10 MB of bytes that are not an HTTP response at all (no status line)
``/html``              200 with ``text/html`` (a login page, say) instead of JSON
``/bad-utf8``          200 ``application/json`` whose body is not valid UTF-8
``/bad-gzip``          200 ``Content-Encoding: gzip`` whose body is not gzip
``/gzip-bomb``         200 ``Content-Encoding: gzip``: 32 KB that inflate to 32 MB
``/http2``             a status line in an HTTP version the client does not speak
``/flaky?fail=N``      503 for the first N requests to that exact path and query, then 200
``/redirect?to=URL``   302 to URL (``&status=307`` picks another status)
``/redirect-fat?to=``  302 to URL, with a 64 MB body and no ``Content-Length``
``/chain/N``           redirects to ``/chain/N-1`` until N is 0, which answers 200
``/status/N``          an empty answer with status N
``/pong``              200 ``text/plain`` ``Pong`` (Harbor's ``/api/v2.0/ping``)
``/registry``          200 ``{}`` with ``Docker-Distribution-Api-Version`` (a registry's ``/v2/``)
``/challenge``         401 with ``WWW-Authenticate: Basic``; ``?realm=URL`` challenges ``Bearer``
                       with that realm instead (a token flow), and a Distribution-style error body
``/token``             200 ``{"token": TOKEN, ...}``: a token service that hands out ``TOKEN``
``/trickle?every=S``   200 promising 1000 bytes and sending one every S seconds (0.5 by default)
``/projects?total=N``  a Harbor project list: a full page (100 projects) for every ``page`` the
                       request asks for, forever, with ``X-Total-Count: N`` (10**12 by default)
``/next?to=URL``       a Distribution catalog page (``{"repositories": []}``) whose ``Link:
                       rel="next"`` goes to URL, or to the same path with a growing ``last``
``/json?body=JSON``    200 ``application/json`` with that body, and ``X-Total-Count`` of its
                       length when it is a list (or ``&total=N``, true or not)
=====================  =========================================================================

The registry clients call fixed paths (``/v2/``, ``/api/v2.0/projects``...) under a URL that may
have no path of its own, so :meth:`FaultyServer.route` serves whole path prefixes as one mode:
``server.route("/", "/reset")`` resets every request, ``server.route("/v2/", "/registry")`` on top
of it keeps ``/v2/`` healthy (the longest matching prefix wins). Requests are still recorded, and
counted by ``hits``, under the path the client asked for.

Every response sets a cookie, and every request is recorded (``requests``) so tests can check
what the client sent: cookies, ``User-Agent``, ``Authorization``, ``Host``, and how many times it
tried. A connection that opens with a TLS ClientHello gets a plain-HTTP 400 at once, as nginx
would, so "https:// to an http port" fails fast and deterministically. Pass ``tls=(cert, key)`` to
serve HTTPS instead.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3.util.connection

HUGE = 10 * 1024 * 1024
TOKEN = "faulty-token"
FAT = 64 * 1024 * 1024  # more than any socket buffers can hide
_GARBAGE = os.urandom(64 * 1024)
_TLS_HANDSHAKE = 0x16  # first byte of a TLS record carrying a ClientHello


@functools.cache
def _gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (32 * 1024 * 1024), compresslevel=9)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it (header names lower-cased), and when
    (``time.monotonic()``)."""

    method: str
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class FaultyServer:
    """Start with :meth:`start` (or ``with``); ``url`` is ``http://127.0.0.1:<port>``."""

    tls: tuple[Path, Path] | None = None
    host: str = "127.0.0.1"
    requests: list[Seen] = field(default_factory=list, init=False)
    connections: int = field(default=0, init=False)
    #: Body bytes each path managed to hand to the kernel before the client hung up.
    sent: Counter[str] = field(default_factory=Counter, init=False)
    #: Requests per path whose handler has finished (answered, or failed to).
    done: Counter[str] = field(default_factory=Counter, init=False)
    #: Path prefix -> mode it is served as (see :meth:`route`).
    routes: dict[str, str] = field(default_factory=dict, init=False)
    _hits: Counter[str] = field(default_factory=Counter, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> FaultyServer:
        context: ssl.SSLContext | None = None
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
        self._server = _Server((self.host, 0), _handler_for(self), owner=self, context=context)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            name=f"faulty-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases /hang and /stall handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def route(self, prefix: str, mode: str) -> FaultyServer:
        """Serve every request whose path starts with ``prefix`` as ``mode`` (a path of the
        table above, query included, e.g. ``"/redirect?to=..."``); the longest prefix wins."""
        with self._lock:
            self.routes[prefix] = mode
        return self

    def _mode_for(self, path: str) -> str:
        with self._lock:
            prefixes = [prefix for prefix in self.routes if path.startswith(prefix)]
            return self.routes[max(prefixes, key=len)] if prefixes else path

    # -- what the tests read ---------------------------------------------------------------

    def seen(self, path_prefix: str = "/") -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def _record(self, seen: Seen) -> int:
        with self._lock:
            self.requests.append(seen)
            self._hits[seen.path] += 1
            return self._hits[seen.path]

    def _connected(self) -> None:
        with self._lock:
            self.connections += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        owner: FaultyServer,
        context: ssl.SSLContext | None,
    ) -> None:
        self.owner = owner
        self.context = context
        super().__init__(address, handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        self.owner._connected()
        if self.context is not None:
            # The handshake runs in the handler thread, so a client that gives up on our
            # certificate cannot stall the accept loop.
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on a misbehaving server is the point; stay quiet about it."""


def _handler_for(owner: FaultyServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real registry
        timeout = 5  # idle keep-alive connections end on their own

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle(self) -> None:
            if isinstance(self.connection, ssl.SSLSocket):
                try:
                    self.connection.do_handshake()
                except (OSError, ssl.SSLError):
                    return
            else:
                try:
                    first = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    return
                if first and first[0] == _TLS_HANDSHAKE:
                    self.wfile.write(
                        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n"
                    )
                    return
            try:
                super().handle()
            except OSError:
                pass  # the client hung up (reset, broken pipe): expected here

        def end_headers(self) -> None:
            self.send_header("Set-Cookie", f"sid=s{owner.connections}; Path=/; HttpOnly")
            super().end_headers()

        def do_GET(self) -> None:
            self._dispatch()

        def do_HEAD(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def do_PUT(self) -> None:
            self._dispatch()

        def do_DELETE(self) -> None:
            self._dispatch()

        # -- the modes ---------------------------------------------------------------------

        def _dispatch(self) -> None:
            try:
                self._serve()
            finally:
                with owner._lock:
                    owner.done[self.path] += 1

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            count = owner._record(Seen(self.command, self.path, headers))
            parts = urlsplit(owner._mode_for(self.path))
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            path = parts.path
            if path == "/ok":
                self._answer(200, b'{"ok": true}', "application/json")
            elif path == "/close":
                self.close_connection = True
                self._answer(200, b'{"ok": true}', "application/json", close=True)
            elif path == "/reset":
                self._reset()
            elif path == "/hang":
                owner._stop.wait(10)
                self.close_connection = True
            elif path == "/stall":
                self._start(200, "application/json", length=1000)
                self.wfile.write(b'{"tags": [')
                self.wfile.flush()
                owner._stop.wait(10)
                self.close_connection = True
            elif path == "/huge":
                self._start(200, "application/octet-stream", length=HUGE)
                self._garbage(HUGE)
            elif path == "/huge-unsized":
                self.close_connection = True
                self._start(200, "application/octet-stream", length=None)
                self._garbage(HUGE)
            elif path == "/not-http":
                self.close_connection = True
                self._garbage(HUGE)
            elif path == "/html":
                self._answer(200, b"<html><body>Sign in</body></html>", "text/html")
            elif path == "/bad-gzip":
                self._answer(200, b"not gzip at all", "application/json", encoding="gzip")
            elif path == "/gzip-bomb":
                self._answer(200, _gzip_bomb(), "application/json", encoding="gzip")
            elif path == "/http2":
                self.close_connection = True
                self.wfile.write(b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
            elif path == "/bad-utf8":
                self._answer(200, b'{"name": "\xff\xfe"}', "application/json")
            elif path == "/flaky":
                failing = count <= int(query.get("fail", "1"))
                status = 503 if failing else 200
                body = b'{"errors": []}' if failing else b'{"ok": true}'
                self._answer(status, body, "application/json")
            elif path == "/redirect":
                self._redirect(int(query.get("status", "302")), query["to"])
            elif path == "/redirect-fat":
                self.close_connection = True
                self.send_response(302)
                self.send_header("Location", query["to"])
                self.send_header("Connection", "close")
                self.end_headers()
                self._garbage(FAT)
            elif path.startswith("/chain/"):
                left = int(path.rsplit("/", 1)[1])
                if left > 0:
                    self._redirect(302, f"/chain/{left - 1}")
                else:
                    self._answer(200, b'{"ok": true}', "application/json")
            elif path.startswith("/status/"):
                self._answer(int(path.rsplit("/", 1)[1]), b"", "application/json")
            elif path == "/pong":
                self._answer(200, b"Pong", "text/plain; charset=utf-8")
            elif path == "/registry":
                version = {"Docker-Distribution-Api-Version": "registry/2.0"}
                self._answer(200, b"{}", "application/json", extra=version)
            elif path == "/challenge":
                realm = query.get("realm")
                challenge = (
                    f'Bearer realm="{realm}",service="faulty"' if realm else 'Basic realm="faulty"'
                )
                body = b'{"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]}'
                self._answer(401, body, "application/json", extra={"WWW-Authenticate": challenge})
            elif path == "/trickle":
                self._start(200, "application/json", length=1000)
                every = float(query.get("every", "0.5"))
                for _ in range(1000):
                    if owner._stop.wait(every):
                        break
                    self.wfile.write(b" ")
                    self.wfile.flush()
                self.close_connection = True
            elif path == "/projects":
                asked = parse_qs(urlsplit(self.path).query)
                page = int(asked.get("page", ["1"])[0])
                items = [
                    {
                        "project_id": page * 1000 + i,
                        "name": f"p{page}-{i}",
                        "metadata": {"public": "false"},
                        "repo_count": 0,
                    }
                    for i in range(100)
                ]
                total = {"X-Total-Count": query.get("total", str(10**12))}
                self._answer(200, json.dumps(items).encode(), "application/json", extra=total)
            elif path == "/next":
                last = count
                target = query.get("to") or f"{urlsplit(self.path).path}?last={last}&n=1000"
                link = {"Link": f'<{target}>; rel="next"'}
                self._answer(200, b'{"repositories": []}', "application/json", extra=link)
            elif path == "/json":
                body = query.get("body", "null")
                parsed = json.loads(body)
                total = query.get("total", str(len(parsed)) if isinstance(parsed, list) else "")
                extra = {"X-Total-Count": total} if total else {}
                self._answer(200, body.encode(), "application/json", extra=extra)
            elif path == "/token":
                body = json.dumps({"token": TOKEN, "access_token": TOKEN, "expires_in": 300})
                self._answer(200, body.encode(), "application/json")
            else:
                self._answer(404, b'{"errors": [{"code": "NOT_FOUND"}]}', "application/json")

        def _start(self, status: int, content_type: str, *, length: int | None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length is not None:
                self.send_header("Content-Length", str(length))
            else:
                self.send_header("Connection", "close")
            self.end_headers()

        def _answer(
            self,
            status: int,
            body: bytes,
            content_type: str,
            close: bool = False,
            encoding: str | None = None,
            extra: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _redirect(self, status: int, location: str) -> None:
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _garbage(self, size: int) -> None:
            sent = 0
            while sent < size and not owner._stop.is_set():
                chunk = _GARBAGE[: size - sent]
                self.wfile.write(chunk)
                sent += len(chunk)
                with owner._lock:
                    owner.sent[self.path] += len(chunk)

        def _reset(self) -> None:
            self._start(200, "application/json", length=1000)
            self.wfile.write(b"x" * 100)
            self.wfile.flush()
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.rfile.close()
            self.wfile.close()
            self.connection.close()  # no FIN first (socketserver's shutdown(SHUT_WR) would)

    return Handler


@dataclass
class Connects:
    """Every (host, port) a registry client opened a socket to."""

    targets: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Connects:
    """urllib3's one socket factory, recorded: where connections really go (the network
    guard runs before it is called, so a refused address never shows up here)."""
    seen = Connects()
    real = urllib3.util.connection.create_connection

    def recording(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.targets.append((address[0], int(address[1])))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", recording)
    return seen


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    """A faulty registry of the test's own, stopped after it."""
    with FaultyServer() as running:
        yield running


@pytest.fixture
def no_cached_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bearer tokens are cached per process by URL; a reused port must not inherit one."""
    from mirror_plugin.registry import docker

    monkeypatch.setattr(docker, "_token_cache", {})
