"""The emulator's front door: a real HTTP server, and what Harbor's proxy adds to every call.

A threaded ``http.server`` on ``127.0.0.1`` (HTTP/1.1, Nagle off) hands each request to
:meth:`HarborServer._handle`, which does what happens before Harbor's core routes a call:
the injected ``latency``, the request log, faults queued with :meth:`~HarborServer.fail_next`
(502/503/504 as the HTML page of the nginx in front of Harbor, other codes as Harbor's error
body), the ``sid`` session cookie Harbor sets even for Basic-auth calls, and the CSRF error
(403) that cookie causes when a client sends it back on POST/PUT/DELETE/PATCH. Routing to the
resource endpoints is :meth:`~.emulator.HarborEmulator._route`.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from mirror_plugin.testing.harbor.store import HarborStore
from mirror_plugin.testing.harbor.wire import _error, _Response

_UNSAFE = {"POST", "PUT", "DELETE", "PATCH"}
_NGINX_PHRASES = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class HarborServer(HarborStore):
    """Mixed into :class:`~mirror_plugin.testing.harbor.emulator.HarborEmulator`."""

    def _init_server(self, latency: float, port: int) -> None:
        self.latency = latency
        self.port = port  # 0: any free port
        self.requests: list[tuple[str, str]] = []  # (method, path as sent, without the query)
        self._faults: deque[int] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _RequestHandler)
        self._server.emulator = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits at most
            name="harbor-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the emulator first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ----------------------------------------------------------------- faults

    def fail_next(self, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` requests (any path) with ``status`` instead of serving them.

        500 gets Harbor's own error body; 502, 503 and 504 get the HTML page of the nginx in
        front of Harbor, since that is what a client sees when the core is down or restarting.
        """
        with self._lock:
            self._faults.extend([status] * times)

    def clear_faults(self) -> None:
        """Serve every request again: drop the faults :meth:`fail_next` queued and not used."""
        with self._lock:
            self._faults.clear()

    # ----------------------------------------------------------------- one request

    def _handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> _Response:
        """Serve one request: latency, log, faults, the session cookie and CSRF, routing."""
        if self.latency:
            time.sleep(self.latency)
        raw_path, _, raw_query = target.partition("?")
        with self._lock:
            self.requests.append((method, raw_path))
            fault = self._faults.popleft() if self._faults else None
        sid = self._sid(headers.get("Cookie"))
        if fault is not None:
            response = self._fault(fault)
        elif sid and method in _UNSAFE:
            # Harbor skips its CSRF check for API calls only when no session cookie comes back.
            response = _error(403, "FORBIDDEN", "CSRF token invalid")
        else:
            response = self._route(method, raw_path, raw_query, headers, body)  # type: ignore[attr-defined]
        if response.from_harbor:
            # Harbor opens a session even for Basic-auth API calls, hence the CSRF trap above.
            response.headers["Set-Cookie"] = f"sid={sid or secrets.token_hex(16)}; Path=/; HttpOnly"
            response.headers["X-Request-Id"] = headers.get("X-Request-Id") or str(uuid.uuid4())
        return response

    @staticmethod
    def _sid(cookie_header: str | None) -> str | None:
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(cookie_header or "")
        except CookieError:
            return None
        return cookies["sid"].value if "sid" in cookies else None

    @staticmethod
    def _fault(status: int) -> _Response:
        if status in _NGINX_PHRASES:
            title = f"{status} {_NGINX_PHRASES[status]}"
            page = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            return _Response(status, page.encode(), "text/html", from_harbor=False)
        if status >= 500:
            return _error(status, "UNKNOWN", "internal server error")
        phrase = HTTPStatus(status).phrase
        return _error(status, phrase.upper().replace(" ", "_"), phrase.lower())


class _RequestHandler(BaseHTTPRequestHandler):
    """Hands every request to the emulator; HTTP/1.1 so that clients can keep connections."""

    protocol_version = "HTTP/1.1"
    timeout = 60
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's
    # delayed ACK and every request takes ~40 ms, which would swamp injected latencies.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        emulator: HarborServer = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        # An HTTPMessage: a (case-insensitive) mapping, though typeshed does not call it a Mapping.
        response = emulator._handle(self.command, self.path, self.headers, body)  # type: ignore[arg-type]
        payload = b"" if self.command == "HEAD" else response.body
        self.send_response(response.status)
        if response.content_type and payload:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""
