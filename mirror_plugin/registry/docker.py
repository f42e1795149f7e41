"""Docker Registry v2 (CNCF Distribution) client: catalog, tags, manifests, Basic and Bearer.

Bearer tokens are fetched from the realm the registry names in its challenge, through the same
guarded HTTP layer (a realm pointing at cloud metadata is refused like any other URL), and are
cached per (realm, service, scope) until they expire. Credentials go to the realm only when it
is the registry's own host or on the same site by the Public Suffix List (``auth.docker.io``
for ``registry-1.docker.io``; never ``attacker.co.uk`` for ``registry.example.co.uk``).

Lists follow ``Link: rel="next"`` only within the registry's own origin, and every page counts
against the conversation's :class:`~mirror_plugin.registry.budget.Budget` (a page cap and a
deadline), so an endless chain costs a bounded number of requests.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from publicsuffixlist import PublicSuffixList

from mirror_plugin.i18n import _
from mirror_plugin.registry.endpoint import Reply, origin
from mirror_plugin.registry.errors import Category, RegistryError

if TYPE_CHECKING:  # the transport imports requests: loaded when a registry is called
    from mirror_plugin.registry.http import RegistryHTTP

MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
CATALOG_PAGE = 1000  # Distribution refuses n > 1000
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')

_token_cache: dict[tuple[str, ...], tuple[str, float]] = {}
_token_lock = threading.Lock()
_PSL = PublicSuffixList()  # the list bundled with the package: no download at run time


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "basic" or "bearer"
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge | None:
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    return Challenge(scheme.lower(), dict(_CHALLENGE_PARAM.findall(rest)))


def _same_site(registry_host: str, realm_host: str) -> bool:
    """May the registry's credentials go to the realm? The same host, or the same registrable
    domain by the Public Suffix List (so ``co.uk`` or ``github.io`` neighbours never match);
    IP addresses and single-label names match only themselves."""
    registry_host, realm_host = registry_host.lower().rstrip("."), realm_host.lower().rstrip(".")
    if registry_host == realm_host:
        return True
    for host in (registry_host, realm_host):
        try:
            ipaddress.ip_address(host.strip("[]"))
            return False
        except ValueError:
            pass
    site = _PSL.privatesuffix(registry_host)
    return site is not None and site == _PSL.privatesuffix(realm_host)


def next_link(reply: Reply, base: str) -> str | None:
    """The ``rel="next"`` URL of a Link header, resolved against the registry's ``base``.

    Distribution sends a path (``</v2/_catalog?last=x&n=100>``); a link to another origin is
    refused rather than followed or silently dropped (dropping it would make a sync take a
    truncated list for the whole one and remove the rest).
    """
    header = reply.headers.get("Link")
    if not header:
        return None
    # Here, not at the top: a reply means the transport, and so requests, is loaded already.
    from requests.utils import parse_header_links

    for link in parse_header_links(header):
        if link.get("rel") == "next" and link.get("url"):
            try:
                url = urljoin(base + "/", link["url"])
            except ValueError:
                url = ""
            if origin(url) != origin(base):
                raise RegistryError(
                    Category.BAD_RESPONSE,
                    _(
                        "The registry's next-page link points to another address; the plugin "
                        "follows links within the registry only."
                    ),
                )
            return url
    return None


class DockerRegistryClient:
    def __init__(self, http: RegistryHTTP) -> None:
        self.http = http
        self.credentials = http.endpoint.credentials
        self.host = urlsplit(http.base).hostname or ""
        secret = hashlib.sha256(repr(self.credentials).encode()).hexdigest()
        self._cache_prefix = (http.base, secret)

    # -- auth -------------------------------------------------------------------------------

    def _token(self, challenge: Challenge, scope: str | None) -> str:
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        scope = scope if scope is not None else challenge.params.get("scope", "")
        key = (*self._cache_prefix, realm, service, scope)
        with _token_lock:
            cached = _token_cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        if not realm.startswith(("https://", "http://")):
            raise RegistryError(
                Category.BAD_RESPONSE, _("The registry's token challenge names no usable realm.")
            )
        realm_host = urlsplit(realm).hostname or ""
        trusted = _same_site(self.host, realm_host)
        params = {k: v for k, v in (("service", service), ("scope", scope)) if v}
        reply = self.http.request(
            "GET",
            realm,
            params=params,
            auth=self.credentials if trusted else None,
            credentials_to=realm if trusted else None,
        )
        if reply.status == 401:
            raise RegistryError(
                Category.AUTH_FAILED,
                _("The registry's token service rejected the user name or password."),
                status=401,
            )
        if reply.status != 200:
            raise RegistryError(
                Category.BAD_RESPONSE,
                _("The registry's token service answered HTTP %(status)s.", status=reply.status),
                status=reply.status,
            )
        body = reply.json()
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError(Category.BAD_RESPONSE, _("The token service sent no token."))
        lifetime = body.get("expires_in", 60)
        lifetime = lifetime if isinstance(lifetime, int) and lifetime > 0 else 60
        with _token_lock:
            _token_cache[key] = (token, time.monotonic() + max(1, lifetime - 5))
        return token

    def _get(
        self,
        path: str,
        *,
        method: str = "GET",
        scope: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Reply:
        """A call with whatever auth the registry asks for; one retry after a 401 challenge."""
        headers = dict(headers or {})
        reply = self.http.request(
            method, path, params=params, headers=headers, auth=self.credentials
        )
        if reply.status != 401:
            return reply
        challenge = parse_challenge(reply.headers.get("WWW-Authenticate", ""))
        if challenge is None or challenge.scheme != "bearer":
            if self.credentials is None:
                raise RegistryError(
                    Category.AUTH_FAILED,
                    _("The registry requires a user name and password."),
                    status=401,
                )
            raise RegistryError(
                Category.AUTH_FAILED,
                _("The registry rejected the user name or password."),
                status=401,
            )
        token = self._token(challenge, scope)
        reply = self.http.request(
            method, path, params=params, headers={**headers, "Authorization": f"Bearer {token}"}
        )
        if reply.status == 401:
            raise RegistryError(
                Category.FORBIDDEN,
                _("The registry account may not do this (insufficient scope)."),
                status=401,
            )
        return reply

    # -- API ----------------------------------------------------------------------------------

    def ping(self) -> Reply:
        """``GET /v2/`` with auth: raise unless this is a registry that accepts us."""
        reply = self._get("/v2/")
        is_registry = "Docker-Distribution-Api-Version" in reply.headers or (
            reply.status == 200 and reply.content_type == "application/json"
        )
        if reply.status == 200 and is_registry:
            return reply
        if reply.status == 404 or not is_registry:
            raise RegistryError(
                Category.NOT_A_REGISTRY,
                _(
                    "No Docker Registry API answers at this address (GET /v2/ gave "
                    "HTTP %(status)s); check the URL.",
                    status=reply.status,
                ),
                status=reply.status,
            )
        if reply.status == 403:
            raise RegistryError(
                Category.FORBIDDEN, _("The registry refused this account."), status=403
            )
        raise RegistryError(
            Category.SERVER_ERROR,
            _("The registry answered HTTP %(status)s.", status=reply.status),
            status=reply.status,
        )

    def _pages(self, path: str, key: str, scope: str, params: dict[str, Any]) -> Iterator[Any]:
        url: str | None = path
        query: dict[str, Any] | None = params
        while url:
            self.http.budget.count_page()
            reply = self._get(url, scope=scope, params=query)
            if reply.status == 404:
                raise RegistryError(
                    Category.NOT_FOUND, _("The registry does not know this name."), status=404
                )
            if reply.status != 200:
                raise RegistryError(
                    Category.SERVER_ERROR if reply.status >= 500 else Category.FORBIDDEN,
                    _("The registry answered HTTP %(status)s.", status=reply.status),
                    status=reply.status,
                )
            body = reply.json()
            items = body.get(key) if isinstance(body, dict) else None
            if items is not None and not isinstance(items, list):
                raise RegistryError(
                    Category.BAD_RESPONSE, _("The registry sent a malformed %(key)s.", key=key)
                )
            yield from items or []
            url, query = next_link(reply, self.http.base), None

    def catalog(self, on_page: Callable[[int], None] | None = None) -> list[str]:
        names: list[str] = []
        for name in self._pages(
            "/v2/_catalog", "repositories", "registry:catalog:*", {"n": CATALOG_PAGE}
        ):
            self.http.budget.count("repositories", 1)  # before holding it: the cap is a cap
            names.append(str(name))
            if on_page and len(names) % CATALOG_PAGE == 0:
                on_page(len(names))
        return names

    def catalog_sample(self, n: int = 1) -> list[str]:
        """The first ``n`` repository names: raises when the catalog is disabled or refused."""
        pages = self._pages("/v2/_catalog", "repositories", "registry:catalog:*", {"n": n})
        return [str(name) for name in itertools.islice(pages, n)]

    def tags(self, repository: str) -> list[str]:
        scope = f"repository:{repository}:pull"
        return [str(t) for t in self._pages(f"/v2/{repository}/tags/list", "tags", scope, {})]

    def manifest(self, repository: str, reference: str) -> tuple[str, dict[str, Any]]:
        """(digest, manifest JSON) of a tag or digest."""
        reply = self._get(
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull",
            headers={"Accept": MANIFEST_ACCEPT},
        )
        if reply.status == 404:
            raise RegistryError(
                Category.NOT_FOUND,
                _("%(image)s does not exist.", image=f"{repository}:{reference}"),
                status=404,
            )
        if reply.status != 200:
            raise RegistryError(
                Category.SERVER_ERROR,
                _("The registry answered HTTP %(status)s.", status=reply.status),
                status=reply.status,
            )
        digest = reply.headers.get("Docker-Content-Digest") or (
            "sha256:" + hashlib.sha256(reply.content).hexdigest()
        )
        body = reply.json()
        if not isinstance(body, dict):
            raise RegistryError(Category.BAD_RESPONSE, _("The registry sent a malformed manifest."))
        return digest, body
