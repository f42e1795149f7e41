"""The HTTP layer both registry clients share.

One place decides how the plugin talks to a registry: connect and read timeouts, bounded
retries for idempotent reads only, no cookies (Harbor's ``sid`` cookie turns later writes into
CSRF 403s), a cap on response bodies, TLS verification on by default (or a CA bundle, or an
explicit skip), a ``User-Agent`` naming the plugin, and the SSRF guard applied to every
connection, redirects included, at the address actually connected to (plain http only into
allow-listed networks, checked there too). Every call has a total deadline
(:mod:`mirror_plugin.registry.budget`), retries and redirects included, and the registry's
credentials go to its own origin only: never to another host a path, redirect or link names.

This is the one module that imports ``requests``, and only code that talks to a registry
imports it; what a call is (:class:`~mirror_plugin.registry.endpoint.Endpoint`,
:class:`~mirror_plugin.registry.endpoint.Reply`, the URL check) lives in
:mod:`mirror_plugin.registry.endpoint`, so a host that never calls a registry never loads it.
"""

from __future__ import annotations

import hashlib
import http.client
import http.cookiejar
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ReadTimeoutError

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
from mirror_plugin.registry.netguard import NetworkPolicy


class _DiscardCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class _NoCookieJar(requests.cookies.RequestsCookieJar):
    """The session's jar: keeps nothing, and does not even parse ``Set-Cookie`` (Harbor sends
    one with every answer; parsing it to throw it away cost a sync real time)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


class _Session(requests.Session):
    """A session that never looks at redirects: :class:`RegistryHTTP` follows them itself.

    Even with ``allow_redirects=False``, ``Session.send`` prepares the next hop of a redirect,
    and to do so reads the redirect's whole body (uncapped) and parses its ``Location`` (a
    malformed one raised a raw ``ValueError``).
    """

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


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
        session = _Session()
        session.trust_env = False  # proxies from the environment would bypass the guard
        session.cookies = _NoCookieJar(policy=_DiscardCookies())
        session.headers["User-Agent"] = USER_AGENT
        adapter = GuardedAdapter(policy, concurrency)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        if not endpoint.verify_tls:
            session.verify = False
        elif endpoint.ca_bundle:
            session.verify = _ca_file(endpoint.ca_bundle)
        self.session = session

    def close(self) -> None:
        self.session.close()

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
            if origin(url) != trusted:
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

    def _send(
        self,
        method: str,
        url: str,
        params: Any,
        json_body: Any,
        headers: Mapping[str, str] | None,
        auth: Any,
    ) -> Reply:
        try:
            response = self.session.send(
                self._prepare(method, url, params, json_body, headers, auth),
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
        except RegistryError:
            raise
        except requests.exceptions.SSLError:
            raise RegistryError(
                Category.TLS_ERROR,
                _(
                    "TLS failed: the certificate is not trusted for this host, or the port does "
                    "not speak TLS. Add the registry's CA bundle, or check the URL's scheme and "
                    "port."
                ),
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise RegistryError(
                Category.CONNECT_TIMEOUT, _("The registry did not accept a connection in time.")
            ) from None
        except requests.exceptions.ReadTimeout:
            raise RegistryError(
                Category.READ_TIMEOUT,
                _("The registry accepted the connection but did not answer in time."),
            ) from None
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            if any(_not_http(cause) for cause in _causes(exc)):
                raise RegistryError(
                    Category.BAD_RESPONSE,
                    _("The server at this address did not answer with HTTP; check the URL's port."),
                ) from None
            raise RegistryError(
                Category.UNREACHABLE,
                _("The registry could not be reached (connection refused or closed)."),
            ) from None
        except requests.exceptions.RequestException:
            raise RegistryError(
                Category.UNREACHABLE, _("The request to the registry failed.")
            ) from None
        with response:
            body = self._read_capped(response)
            return Reply(response.status_code, response.headers, body, url)

    def _prepare(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
        auth: Any,
    ) -> requests.PreparedRequest:
        """The request as ``Session.request`` would prepare it, minus its setting merges.

        Those merges test dicts against requests' runtime-checkable protocols, some 50 us
        each on Python 3.11 with the GIL held, eight times a request: in a concurrent sync
        that, not the network, was the bottleneck. This session has no cookies, proxies,
        netrc or default params to merge; its headers are merged here, and the query is
        encoded here (a string goes through requests untouched).
        """
        merged = CaseInsensitiveDict(self.session.headers)
        merged.update(headers or {})
        query = None
        if params:
            query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
        return requests.Request(
            method, url, params=query, json=json_body, headers=merged, auth=auth
        ).prepare()

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise RegistryError(Category.TOO_LARGE, _("The registry's answer is too large."))
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_body:
                    raise RegistryError(
                        Category.TOO_LARGE, _("The registry's answer is too large.")
                    )
                chunks.append(chunk)
        except requests.exceptions.ContentDecodingError:
            raise RegistryError(
                Category.BAD_RESPONSE, _("The registry's answer could not be decompressed.")
            ) from None
        except requests.exceptions.RequestException as exc:
            if any(isinstance(cause, ReadTimeoutError) for cause in _causes(exc)):
                raise RegistryError(
                    Category.READ_TIMEOUT, _("The registry stopped sending its answer midway.")
                ) from None
            raise RegistryError(
                Category.UNREACHABLE, _("The registry closed the connection mid-answer.")
            ) from None
        return b"".join(chunks)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (requests and urllib3 nest errors in args and reason)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for nested in (getattr(current, "reason", None), current.__cause__, current.__context__):
            if isinstance(nested, BaseException):
                todo.append(nested)


def _not_http(exc: BaseException) -> bool:
    """The peer sent bytes that are no HTTP status line (but did not just hang up)."""
    not_http = http.client.BadStatusLine | http.client.LineTooLong | http.client.UnknownProtocol
    return isinstance(exc, not_http) and not isinstance(exc, ConnectionError)
