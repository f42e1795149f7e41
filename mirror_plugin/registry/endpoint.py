"""What a registry call is and where it may go, without the transport that makes it.

An :class:`Endpoint` (where and how to reach a registry), the :class:`Reply` it gives, the
validation of a registry URL an Admin or a tenant types, and the HTTP layer's limits. Nothing
here imports ``requests``: a host process loads the requests-based transport
(:mod:`mirror_plugin.registry.http`) the first time it talks to a registry, not when it checks
an image, validates a form or renders a page that talks to none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mirror_plugin.i18n import _
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.netguard import NetworkPolicy

USER_AGENT = "mirror_plugin/0.1 (+registry client)"
MAX_BODY = 8 * 1024 * 1024
MAX_REDIRECTS = 3
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD"})
#: Request headers that carry credentials; they never follow a redirect to another origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
#: Seconds one logical request may take in total when the caller names no deadline.
DEFAULT_DEADLINE = 60.0


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one registry. ``password`` is plaintext only in memory."""

    url: str
    username: str = ""
    password: str | None = field(default=None, repr=False)
    verify_tls: bool = True
    ca_bundle: str | None = None

    @property
    def credentials(self) -> tuple[str, str] | None:
        if self.username and self.password is not None:
            return (self.username, self.password)
        return None


@dataclass
class Reply:
    """A fully read, size-capped response."""

    status: int
    #: Case-insensitive (the transport hands over urllib3's ``HTTPHeaderDict``).
    headers: Mapping[str, str]
    content: bytes
    url: str

    def json(self) -> Any:
        try:
            return json.loads(self.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RegistryError(
                Category.BAD_RESPONSE,
                _(
                    "The registry answered with something that is not JSON; check the URL "
                    "points at the registry itself."
                ),
                status=self.status,
            ) from None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def normalize_registry_url(url: str, policy: NetworkPolicy) -> str:
    """Validate a user-supplied registry URL and return ``scheme://host[:port]``.

    https is required, except inside networks the platform Admin allow-listed, where plain
    http is accepted (internal registries often have no certificate).
    """
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise RegistryError(
            Category.INVALID_URL, _("Enter the registry's address as https://host[:port].")
        ) from None
    try:
        port = parts.port
    except ValueError:
        raise RegistryError(
            Category.INVALID_URL, _("The URL's port is not a number from 1 to 65535.")
        ) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RegistryError(
            Category.INVALID_URL, _("Enter the registry's address as https://host[:port].")
        )
    if parts.username or parts.password or "@" in parts.netloc:
        raise RegistryError(
            Category.INVALID_URL,
            _("Put the user name and password in their own fields, not in the URL."),
        )
    if parts.query or parts.fragment or parts.path not in {"", "/"}:
        raise RegistryError(
            Category.INVALID_URL,
            _("The registry URL must be just https://host[:port], without a path or query."),
        )
    if port == 0:
        raise RegistryError(Category.INVALID_URL, _("The URL's port must be from 1 to 65535."))
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise RegistryError(
            Category.INVALID_URL, _("The host name is not a valid domain.")
        ) from None
    default = 443 if parts.scheme == "https" else 80
    if parts.scheme == "http" and not policy.all_allow_listed(host, port or default):
        raise RegistryError(
            Category.INVALID_URL,
            _(
                "Plain http is only allowed for registries inside networks the platform Admin "
                "allow-listed; use https."
            ),
        )
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL; anything else is a BAD_RESPONSE (such URLs
    come from the registry: a redirect's ``Location`` or a token realm)."""
    invalid = RegistryError(
        Category.BAD_RESPONSE, _("The registry pointed to an address that is not a valid URL.")
    )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise invalid from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise invalid
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)
