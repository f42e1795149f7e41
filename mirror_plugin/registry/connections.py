"""Connections to a registry that pass the SSRF guard and the request's deadline.

The requests adapter :class:`~mirror_plugin.registry.http.RegistryHTTP` mounts: every new
connection resolves the registry's name, checks each address against the network policy (plain
http only into allow-listed networks) and connects to the checked address, so DNS rebinding
between the check and the connection gains nothing; every socket, new or kept alive, is handed
to the current request's :class:`~mirror_plugin.registry.budget.SocketReaper`.
"""

from __future__ import annotations

import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from mirror_plugin.registry.budget import SocketReaper
from mirror_plugin.registry.netguard import NetworkPolicy

#: The reaper of the request this thread is making: connections register their sockets with
#: it, so the watchdog can shut them down when the request's deadline passes.
_current = threading.local()


def watch_with(reaper: SocketReaper | None) -> None:
    """Hand the sockets this thread's connections open or reuse to ``reaper`` (``None``: the
    request is over), so its watchdog can shut them down when the request's deadline passes."""
    _current.reaper = reaper


def _reaper() -> SocketReaper | None:
    return getattr(_current, "reaper", None)


def _guarded_connection(base: type[HTTPConnection], policy: NetworkPolicy) -> type[HTTPConnection]:
    plain = base is HTTPConnection

    class GuardedConnection(base):  # type: ignore[valid-type,misc]
        """Resolves, checks, and connects to the checked address; TLS still uses the name.

        Plain-http connections go only to allow-listed addresses, checked here on the addresses
        actually used (not just when the URL was saved). Every socket is handed to the
        current request's reaper, which shuts it down when the request's deadline passes.
        """

        _dns_host: str  # urllib3's, declared for mypy (the base is a variable)
        timeout: float | None

        def _new_conn(self) -> Any:
            # urllib3 connects to ``_dns_host``; ``host`` (its getter reads ``_dns_host``) is
            # what goes into the Host header, TLS SNI and the certificate check. So point it at
            # the checked address only while the socket is opened, then give the name back.
            name = self._dns_host
            error: Exception | None = None
            resolve = policy.resolve_plain_http if plain else policy.resolve
            reaper = _reaper()
            for address in resolve(name, self.port):
                if reaper is not None:
                    remaining = reaper.remaining()
                    if remaining <= 0:
                        break
                    if self.timeout is None or self.timeout > remaining:
                        self.timeout = remaining
                self._dns_host = address
                try:
                    sock = super()._new_conn()
                except (NewConnectionError, ConnectTimeoutError) as exc:
                    error = exc
                else:
                    if reaper is not None:
                        reaper.watch(sock)
                    return sock
                finally:
                    self._dns_host = name
            raise error or ConnectTimeoutError(self, "the request's deadline passed")

        def request(self, *args: Any, **kwargs: Any) -> Any:
            reaper = _reaper()
            if reaper is not None and self.sock is not None:  # a kept-alive connection
                reaper.watch(self.sock)
            return super().request(*args, **kwargs)

    return GuardedConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose every new connection passes the network policy."""

    def __init__(self, policy: NetworkPolicy, pool_size: int = 10) -> None:
        self.policy = policy
        # One kept-alive connection per concurrent request: with fewer, requests beyond the
        # pool's size open a new connection each time and throw it away afterwards.
        super().__init__(max_retries=0, pool_maxsize=max(1, pool_size))

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http_pool = type(
            "GuardedHTTPPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": _guarded_connection(HTTPConnection, self.policy)},
        )
        https_pool = type(
            "GuardedHTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _guarded_connection(HTTPSConnection, self.policy)},
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}
