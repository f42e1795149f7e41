"""The one exception registry code raises, with a coarse category and a sentence for people.

Categories are deliberately coarse (the SSRF notes: never hand a tenant the remote body or a
raw exception text, which would make the plugin a port scanner's oracle).
"""

from __future__ import annotations

import enum


class Category(enum.StrEnum):
    INVALID_URL = "invalid_url"
    DNS_FAILED = "dns_failed"
    BLOCKED_ADDRESS = "blocked_address"
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    UNREACHABLE = "unreachable"
    TLS_ERROR = "tls_error"
    NOT_A_REGISTRY = "not_a_registry"
    AUTH_FAILED = "auth_failed"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PRECONDITION = "precondition"
    INVALID_INPUT = "invalid_input"
    SERVER_ERROR = "server_error"
    BAD_RESPONSE = "bad_response"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    #: The total deadline of a request or a sync passed (however the registry trickled).
    DEADLINE = "total_timeout"
    #: A cap on pages, spaces or repositories per sync was reached.
    LIMIT = "limit_exceeded"


class RegistryError(Exception):
    """A registry call failed. ``str(error)`` is safe to show to the user who made the call."""

    def __init__(self, category: Category, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.category = category
        self.message = message
        self.status = status

    def to_dict(self) -> dict[str, object]:
        return {"category": self.category.value, "message": self.message, "status": self.status}
