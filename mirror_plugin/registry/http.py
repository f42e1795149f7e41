"""The HTTP layer both registry clients share.

One place decides how the plugin talks to a registry: connect and read timeouts, bounded
retries for idempotent reads only, no cookies (Harbor's ``sid`` cookie turns later writes into
CSRF 403s), a cap on response bodies, TLS verification on by default (or a CA bundle, or an
explicit skip), a ``User-Agent`` naming the plugin, and the SSRF guard applied to every
connection, redirects included, at the address actually connected to (plain http only into
allow-listed networks, checked there too). Every call has a total deadline
(:mod:`mirror_plugin.registry.budget`), retries and redirects included, and the registry's
credentials go to its own origin only: never to another host a path, redirect or link names.

Requests go out through urllib3's connection pools directly (the guarded pools of
:mod:`mirror_plugin.registry.connections`), not through ``requests.Session``, whose per-request
preparation and response wrapping cost twice what urllib3 does and held the GIL while doing it:
in a concurrent sync that was the bottleneck. No cookie jar exists at all, and no proxy is read
from the environment (it would bypass the guard).

This module, ``connections`` and ``failures`` (what a failed exchange was) load the HTTP stack
(requests, urllib3), and only code that talks to a registry imports them. What a call is
(:class:`~mirror_plugin.registry.endpoint.Endpoint`,
:class:`~mirror_plugin.registry.endpoint.Reply`, the URL check) lives in
:mod:`mirror_plugin.registry.endpoint`, so a host that never calls a registry never loads it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

from requests.utils import DEFAULT_CA_BUNDLE_PATH, default_headers
from urllib3 import BaseHTTPResponse, HTTPHeaderDict, Timeout
from urllib3.exceptions import HTTPError
from urllib3.util import Retry, parse_url

from mirror_plugin.i18n import _
from mirror_plugin.registry.budget import Budget, SocketReaper
from mirror_plugin.registry.connections import GuardedAdapter, watch_with
from mirror_plugin.registry.endpoint import (
    CREDENTIAL_HEADERS,
    DEFAULT_DEADLINE,
    IDEMPOTENT,
    MAX_BODY,
    MAX_REDIRECTS,
    RETRY_STATUSES,
    USER_AGENT,
    Endpoint,
    Reply,
    origin,
)
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.failures import read_failure, send_failure
from mirror_plugin.registry.netguard import NetworkPolicy


def _ca_file(bundle: str) -> str:
    """requests wants a path: keep each distinct bundle once in a private temp folder."""
    folder = Path(tempfile.gettempdir()) / "mirror_plugin_ca"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / (hashlib.sha256(bundle.encode()).hexdigest() + ".pem")
    if not path.exists():
        path.write_text(bundle)
    return str(path)


class RegistryHTTP:
    """Sends requests to one registry endpoint and turns every failure into a RegistryError."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        policy: NetworkPolicy,
        timeout: float = 10.0,
        retries: int = 2,
        max_body: int = MAX_BODY,
        deadline: float | None = DEFAULT_DEADLINE,
        budget: Budget | None = None,
        concurrency: int = 10,
    ) -> None:
        """``deadline``: seconds one :meth:`request` may take in total (retries, redirects
        and slow bodies included); ``budget``: the whole conversation's deadline and page cap,
        which every request is held to as well; ``concurrency``: how many requests the
        caller runs at once (connections kept alive for reuse)."""
        self.endpoint = endpoint
        self.base = endpoint.url.rstrip("/")
        self.origin = origin(self.base)
        self.timeout = (min(3.05, timeout), timeout)
        self.retries = retries
        self.max_body = max_body
        self.deadline = deadline
        self.budget = budget or Budget()
        headers = default_headers()  # what requests sends: Accept, Accept-Encoding, keep-alive
        headers["User-Agent"] = USER_AGENT
        self._headers: dict[str, str] = dict(headers)
        self._timeout = Timeout(connect=self.timeout[0], read=self.timeout[1])
        # The transport is urllib3's pool, driven directly; requests only builds the guarded
        # pools (GuardedAdapter). No cookie jar (Harbor's ``sid`` must never come back), no
        # proxies from the environment (they would bypass the guard), no retries of its own.
        self._adapter = GuardedAdapter(policy, concurrency)
        self._pools = self._adapter.poolmanager
        if not endpoint.verify_tls:
            self._tls: dict[str, Any] = {"cert_reqs": "CERT_NONE", "ca_certs": None}
        else:
            bundle = _ca_file(endpoint.ca_bundle) if endpoint.ca_bundle else DEFAULT_CA_BUNDLE_PATH
            self._tls = {"cert_reqs": "CERT_REQUIRED", "ca_certs": bundle}

    def close(self) -> None:
        self._adapter.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        credentials_to: str | None = None,
    ) -> Reply:
        """One logical call: retried when idempotent, redirects followed through the guard.

        ``path`` is a path under the registry, or an absolute URL (a token realm, a next-page
        link). ``auth`` and credential headers go only to the registry's own origin, or to
        ``credentials_to`` (an absolute URL whose origin the caller vetted, e.g. a token realm
        on the registry's site); anywhere else they stay behind.
        """
        method = method.upper()
        url = urljoin(self.base + "/", path.lstrip("/"))  # an absolute URL stays itself
        trusted = origin(credentials_to) if credentials_to else self.origin
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        self.budget.check()
        at = self.budget.expires
        if self.deadline is not None:
            mine = time.monotonic() + self.deadline
            at = mine if at is None else min(at, mine)
        reaper = SocketReaper(at) if at is not None else None
        watch_with(reaper)
        try:
            for attempt in range(attempts):
                try:
                    reply = self._follow(method, url, params, json_body, headers, auth, trusted)
                except RegistryError as exc:
                    if reaper is not None and (reaper.fired or reaper.remaining() <= 0):
                        raise self._late() from None
                    retryable = exc.category in {
                        Category.UNREACHABLE,
                        Category.READ_TIMEOUT,
                        Category.CONNECT_TIMEOUT,
                    }
                    if not retryable or attempt == attempts - 1:
                        raise
                else:
                    if reaper is not None and reaper.fired:  # a body cut short by the reaper
                        raise self._late()
                    if reply.status not in RETRY_STATUSES or attempt == attempts - 1:
                        return reply
                pause = 0.1 * 2**attempt
                if reaper is not None and reaper.remaining() <= pause:
                    raise self._late()
                time.sleep(pause)
            raise AssertionError("unreachable")
        finally:
            watch_with(None)
            if reaper is not None:
                reaper.done()

    def _late(self) -> RegistryError:
        """The deadline passed: the budget's message when it was the budget's, else ours."""
        remaining = self.budget.remaining()
        if remaining is not None and remaining <= 0:
            return self.budget.expired()
        return RegistryError(
            Category.DEADLINE,
            _(
                "The registry did not finish answering within %(seconds)s s "
                "(MIRROR_REGISTRY_DEADLINE).",
                seconds=f"{self.deadline:g}",
            ),
        )

    def _follow(
        self,
        method: str,
        url: str,
        params: Any,
        json_body: Any,
        headers: Mapping[str, str] | None,
        auth: Any,
        trusted: tuple[str, str, int],
    ) -> Reply:
        for _attempt in range(MAX_REDIRECTS + 1):
            if self._origin_of(url) != trusted:
                # Another scheme, host or port: the registry's credentials stay behind, in
                # ``auth`` and in headers alike (a Bearer token travels in ``headers``).
                auth = None
                headers = {
                    k: v for k, v in (headers or {}).items() if k.lower() not in CREDENTIAL_HEADERS
                }
            reply = self._send(method, url, params, json_body, headers, auth)
            if reply.status not in {301, 302, 303, 307, 308} or method not in IDEMPOTENT:
                return reply
            location = reply.headers.get("Location")
            if not location:
                return reply
            try:
                url = urljoin(url, location)
            except ValueError:
                url = ""  # _origin refuses it below
            params = None
        raise RegistryError(Category.BAD_RESPONSE, _("The registry redirected too many times."))

    def _origin_of(self, url: str) -> tuple[str, str, int]:
        """:func:`origin`, without parsing the common case: a URL under the registry's own
        base (``base`` ends at the port, so what follows its slash is only path and query)."""
        if url.startswith(self.base + "/"):
            return self.origin
        return origin(url)

    def _send(
        self,
        method: str,
        url: str,
        params: Any,
        json_body: Any,
        headers: Mapping[str, str] | None,
        auth: Any,
    ) -> Reply:
        """One HTTP exchange through the guarded pool, every failure a RegistryError.

        urllib3 directly, not ``requests.Session.send``: requests' preparation, hooks and
        response wrapping cost about twice what urllib3 itself does per request, with the GIL
        held, and in a concurrent sync that, not the network, set the pace.
        """
        try:
            parsed = parse_url(url)
            target = parsed.request_uri
            if params:
                query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
                if query:
                    target += ("&" if parsed.query else "?") + query
            pool = self._pools.connection_from_host(
                parsed.host, parsed.port, parsed.scheme or "http", pool_kwargs=self._tls
            )
            body = None if json_body is None else json.dumps(json_body, allow_nan=False).encode()
            response = pool.urlopen(
                method,
                target,
                body=body,
                headers=self._prepare(method, body, headers, auth),
                retries=_NO_RETRIES,
                redirect=False,
                assert_same_host=False,
                timeout=self._timeout,
                preload_content=False,
                decode_content=False,
            )
        except RegistryError:
            raise
        except (HTTPError, OSError, ValueError) as exc:
            raise send_failure(exc) from None
        read = False
        try:
            body = self._read_capped(response)
            read = True
            return Reply(response.status, response.headers, body, url)
        finally:
            if not read:  # the rest of the body is still on the wire: never reuse it
                response.close()
            response.release_conn()

    def _prepare(
        self, method: str, body: bytes | None, headers: Mapping[str, str] | None, auth: Any
    ) -> HTTPHeaderDict:
        """The headers requests would have sent: the defaults, the caller's, the body's type
        and length, and Basic credentials (which replace any ``Authorization`` given)."""
        merged = HTTPHeaderDict(self._headers)
        for name, value in (headers or {}).items():
            merged[name] = value
        if body is not None:  # JSON, the only body the clients send
            if "Content-Type" not in merged:
                merged["Content-Type"] = "application/json"
            merged["Content-Length"] = str(len(body))
        elif method not in IDEMPOTENT and "Content-Length" not in merged:
            merged["Content-Length"] = "0"
        if auth is not None:
            merged["Authorization"] = _basic(*auth)
        return merged

    def _read_capped(self, response: BaseHTTPResponse) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise RegistryError(Category.TOO_LARGE, _("The registry's answer is too large."))
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > self.max_body:
                    raise RegistryError(
                        Category.TOO_LARGE, _("The registry's answer is too large.")
                    )
                chunks.append(chunk)
        except (HTTPError, OSError) as exc:
            raise read_failure(exc) from None
        return b"".join(chunks)


#: urllib3 retries nothing and raises what it met (``RegistryHTTP.request`` retries): the
#: policy requests' adapter used, so errors arrive in the same shapes.
_NO_RETRIES = Retry(0, read=False)


def _basic(username: str, password: str) -> str:
    """HTTP Basic credentials, Latin-1 as requests encoded them, UTF-8 when Latin-1 cannot."""

    def encode(text: str) -> bytes:
        try:
            return text.encode("latin1")
        except UnicodeEncodeError:
            return text.encode("utf-8")

    return "Basic " + base64.b64encode(encode(username) + b":" + encode(password)).decode()
