"""What a failed exchange with a registry was, as a RegistryError a tenant may read.

urllib3 and http.client fail in many shapes: wrapped in ``MaxRetryError``, nested in ``args``
and ``reason``, or raw. :class:`~mirror_plugin.registry.http.RegistryHTTP` hands each one here
and raises what comes back: a coarse category and a sentence that names no address, library
or exception, so a tenant's registry cannot be used to scan the platform's network.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    DecodeError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from mirror_plugin.i18n import _
from mirror_plugin.registry.errors import Category, RegistryError


def send_failure(exc: BaseException) -> RegistryError:
    """A failure before the answer's headers were read: connecting, TLS, sending, waiting."""
    if isinstance(exc, MaxRetryError):  # what urllib3 met while connecting, wrapped
        reason = exc.reason or exc
        if isinstance(reason, SSLError | ConnectTimeoutError):
            return send_failure(reason)
        return _unreachable(exc)
    if isinstance(exc, SSLError):
        return RegistryError(
            Category.TLS_ERROR,
            _(
                "TLS failed: the certificate is not trusted for this host, or the port does "
                "not speak TLS. Add the registry's CA bundle, or check the URL's scheme and "
                "port."
            ),
        )
    if isinstance(exc, NewConnectionError):  # a ConnectTimeoutError to urllib3, but refused
        return _unreachable(exc)
    if isinstance(exc, ConnectTimeoutError):
        return RegistryError(
            Category.CONNECT_TIMEOUT, _("The registry did not accept a connection in time.")
        )
    if isinstance(exc, ReadTimeoutError):
        return RegistryError(
            Category.READ_TIMEOUT,
            _("The registry accepted the connection but did not answer in time."),
        )
    if isinstance(exc, ProtocolError | ClosedPoolError | OSError):
        return _unreachable(exc)
    # A URL, header or body urllib3 or http.client refuses (a header value with a newline, a
    # token the registry sent with one in it, NaN in JSON): nothing was sent.
    return RegistryError(Category.UNREACHABLE, _("The request to the registry failed."))


def read_failure(exc: BaseException) -> RegistryError:
    """A failure while the answer's body was read."""
    if isinstance(exc, DecodeError):
        return RegistryError(
            Category.BAD_RESPONSE, _("The registry's answer could not be decompressed.")
        )
    if isinstance(exc, ReadTimeoutError):
        return RegistryError(
            Category.READ_TIMEOUT, _("The registry stopped sending its answer midway.")
        )
    return RegistryError(Category.UNREACHABLE, _("The registry closed the connection mid-answer."))


def _unreachable(exc: BaseException) -> RegistryError:
    """A connection refused, reset or closed; or a peer that does not speak HTTP at all."""
    if any(_not_http(cause) for cause in _causes(exc)):
        return RegistryError(
            Category.BAD_RESPONSE,
            _("The server at this address did not answer with HTTP; check the URL's port."),
        )
    return RegistryError(
        Category.UNREACHABLE,
        _("The registry could not be reached (connection refused or closed)."),
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (urllib3 nests errors in args and reason)."""
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
