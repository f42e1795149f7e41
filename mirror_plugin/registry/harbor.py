"""Harbor v2 REST client: the ten endpoints the plugin needs, with Harbor's traps handled.

Traps (harbor-api.md): ``metadata.public`` is the string "true"/"false"; bad Basic credentials
fall back to anonymous instead of 401 (so only ``/users/current`` tells the truth); ``page_size``
is capped at 100; nested repository names are double-encoded in paths; tags may be null; a
``sid`` cookie sent back turns writes into CSRF 403s (the HTTP layer keeps no cookies).

``X-Total-Count`` is a hint, not a promise (a registry is a tenant's input): it only sizes how
many pages are fetched ahead, a window of ``workers`` at most, and a short page ends a list
whatever it said. Every page, project and repository counts against the conversation's
:class:`~mirror_plugin.registry.budget.Budget`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import quote

from flask_babel import LazyString

from mirror_plugin.i18n import _
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.registry.endpoint import Reply
from mirror_plugin.registry.errors import Category, RegistryError

if TYPE_CHECKING:  # the transport imports requests: loaded when a registry is called
    from mirror_plugin.registry.http import RegistryHTTP

API = "/api/v2.0"
PAGE_SIZE = 100
ROBOT_PREFIX = "robot$"

_STATUS_CATEGORIES = {
    400: Category.INVALID_INPUT,
    401: Category.AUTH_FAILED,
    403: Category.FORBIDDEN,
    404: Category.NOT_FOUND,
    409: Category.CONFLICT,
    412: Category.PRECONDITION,
    422: Category.INVALID_INPUT,
    429: Category.RATE_LIMITED,
}


@dataclass(frozen=True)
class HarborProject:
    id: int
    name: str
    public: bool
    repo_count: int


@dataclass(frozen=True)
class HarborAccount:
    """Who the credentials are: an admin, an ordinary user, a robot, or nobody."""

    username: str
    is_admin: bool
    is_robot: bool
    anonymous: bool = False


def repository_path(project: str, repository: str) -> str:
    """Path of a repository: project prefix stripped, the rest encoded twice (a/b -> a%252Fb)."""
    short = repository[len(project) + 1 :] if repository.startswith(project + "/") else repository
    twice = quote(quote(short, safe=""), safe="")
    return f"{API}/projects/{quote(project, safe='')}/repositories/{twice}"


#: What a Harbor call was doing, for its error sentence: a lazy msgid ("list projects"),
#: translated only if the call fails, in the language of whoever reads it then.
What: TypeAlias = str | LazyString


def _error(reply: Reply, what: What) -> RegistryError:
    category = _STATUS_CATEGORIES.get(reply.status, Category.SERVER_ERROR)
    detail = ""
    if 400 <= reply.status < 500 and reply.content_type == "application/json":
        try:
            detail = str(reply.json()["errors"][0]["message"])[:200]
        except (RegistryError, KeyError, IndexError, TypeError):
            detail = ""
    if category is Category.SERVER_ERROR:
        message = _(
            "Harbor failed to %(what)s (HTTP %(status)s); try again later.",
            what=what,
            status=reply.status,
        )
    elif detail:
        message = _(
            "Harbor refused to %(what)s (HTTP %(status)s): %(detail)s",
            what=what,
            status=reply.status,
            detail=detail,
        )
    else:
        message = _("Harbor refused to %(what)s (HTTP %(status)s).", what=what, status=reply.status)
    return RegistryError(category, message, status=reply.status)


class HarborClient:
    """Calls one Harbor. Construct with a :class:`RegistryHTTP` bound to its endpoint."""

    def __init__(self, http: RegistryHTTP, *, workers: int = 8) -> None:
        self.http = http
        self.workers = workers
        self.auth = http.endpoint.credentials

    def _call(
        self, method: str, path: str, what: What, *, ok: tuple[int, ...] = (200,), **kwargs: Any
    ) -> Reply:
        reply = self.http.request(method, path, auth=self.auth, **kwargs)
        if reply.status not in ok:
            raise _error(reply, what)
        return reply

    # -- identity ---------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise NOT_A_REGISTRY unless the URL serves Harbor's API."""
        reply = self.http.request("GET", f"{API}/ping")
        if reply.status != 200 or reply.content.strip() != b"Pong":
            raise RegistryError(
                Category.NOT_A_REGISTRY,
                _(
                    "No Harbor API answers at this address (GET %(path)s gave HTTP "
                    "%(status)s); check the URL, or choose the Docker Registry type.",
                    path=f"{API}/ping",
                    status=reply.status,
                ),
                status=reply.status,
            )

    def account(self) -> HarborAccount:
        """Who the stored credentials are, via ``/users/current`` (the only honest endpoint)."""
        if self.auth is None:
            return HarborAccount("", is_admin=False, is_robot=False, anonymous=True)
        username = self.auth[0]
        reply = self.http.request("GET", f"{API}/users/current", auth=self.auth)
        if reply.status == 200:
            body = reply.json()
            return HarborAccount(
                str(body.get("username", username)),
                is_admin=bool(body.get("sysadmin_flag")),
                is_robot=False,
            )
        if reply.status == 401:
            raise RegistryError(
                Category.AUTH_FAILED, _("Harbor rejected the user name or password."), status=401
            )
        # Harbor 2.3+ answers 412 for robots, 2.0-2.2 answer 500: both mean "valid robot".
        if username.startswith(ROBOT_PREFIX) and reply.status in (412, 500):
            self._call("GET", f"{API}/projects", _l("list projects"), params={"page_size": 1})
            return HarborAccount(username, is_admin=False, is_robot=True)
        raise _error(reply, _l("tell who the account is"))

    def version(self) -> str:
        body = self._call("GET", f"{API}/systeminfo", _l("read system info")).json()
        return str(body.get("harbor_version", "")) if isinstance(body, dict) else ""

    # -- projects (mirror spaces) -------------------------------------------------------------

    def _paged(
        self,
        path: str,
        what: What,
        params: dict[str, Any] | None = None,
        on_page: Callable[[int, int], None] | None = None,
        kind: str | None = None,
    ) -> Iterator[Any]:
        """Every item of a list endpoint, ``workers`` pages at a time at most.

        Page 1's ``X-Total-Count`` says how many pages to fetch ahead; without it pages come
        one by one. A short page ends the list (so a lying total costs nothing), and the
        budget's page cap and deadline end a list of full pages that never ends. ``kind``
        ("spaces", "repositories") counts the items against the budget's caps.
        """
        budget = self.http.budget
        query = {**(params or {}), "page": 1, "page_size": PAGE_SIZE}

        def fetch(page: int) -> list[Any]:
            body = self._call("GET", path, what, params={**query, "page": page}).json()
            if not isinstance(body, list):
                raise RegistryError(
                    Category.BAD_RESPONSE, _("Harbor sent a malformed list to %(what)s.", what=what)
                )
            if kind:
                budget.count(kind, len(body))
            return body

        budget.count_page()
        first = self._call("GET", path, what, params=query)
        items = first.json()
        if not isinstance(items, list):
            raise RegistryError(
                Category.BAD_RESPONSE, _("Harbor sent a malformed list to %(what)s.", what=what)
            )
        if kind:
            budget.count(kind, len(items))
        header = first.headers.get("X-Total-Count", "").strip()
        # A hint only: ``None`` when absent or absurd, never more pages than the cap allows.
        total = int(header) if header.isdigit() and len(header) <= 18 else None
        pages = None if total is None else max(1, -(-total // PAGE_SIZE))
        if pages is not None and budget.max_pages is not None:
            pages = min(pages, budget.max_pages + 1)
        if on_page:
            on_page(1, pages or 1)
        yield from items
        if len(items) < PAGE_SIZE or pages == 1:
            return
        window = self.workers if pages is not None else 1
        pending: deque[Future[list[Any]]] = deque()
        following = 2
        pool = ThreadPoolExecutor(max_workers=max(1, window))
        try:
            while True:
                while len(pending) < window and (pages is None or following <= pages):
                    budget.count_page()
                    pending.append(pool.submit(fetch, following))
                    following += 1
                if not pending:
                    return
                page_items = pending.popleft().result()
                if on_page:
                    on_page(following - len(pending) - 1, pages or 0)
                yield from page_items
                if len(page_items) < PAGE_SIZE:
                    return
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def projects(self, on_page: Callable[[int, int], None] | None = None) -> list[HarborProject]:
        result = []
        for item in self._paged(
            f"{API}/projects", _l("list projects"), {"with_detail": "true"}, on_page, kind="spaces"
        ):
            try:
                metadata = item.get("metadata") or {}
                result.append(
                    HarborProject(
                        id=int(item["project_id"]),
                        name=str(item["name"]),
                        public=str(metadata.get("public", "false")).lower() == "true",
                        repo_count=int(item.get("repo_count") or 0),
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                raise RegistryError(
                    Category.BAD_RESPONSE, _("Harbor sent a project without a name or id.")
                ) from None
        return result

    def create_project(self, name: str, *, public: bool) -> int | None:
        body = {"project_name": name, "metadata": {"public": "true" if public else "false"}}
        reply = self._call(
            "POST",
            f"{API}/projects",
            _l("create project %(name)r", name=name),
            ok=(201,),
            json_body=body,
        )
        location = reply.headers.get("Location", "")
        tail = location.rstrip("/").rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() else None

    def set_public(self, name: str, public: bool) -> None:
        self._call(
            "PUT",
            f"{API}/projects/{quote(name, safe='')}",
            _l("change project %(name)r", name=name),
            json_body={"metadata": {"public": "true" if public else "false"}},
            headers={"X-Is-Resource-Name": "true"},
        )

    def delete_project(self, name: str) -> None:
        self._call(
            "DELETE",
            f"{API}/projects/{quote(name, safe='')}",
            _l("delete project %(name)r", name=name),
            headers={"X-Is-Resource-Name": "true"},
        )

    # -- repositories and artifacts -------------------------------------------------------------

    def repositories(self, project: str) -> list[dict[str, Any]]:
        path = f"{API}/projects/{quote(project, safe='')}/repositories"
        return list(
            self._paged(
                path, _l("list repositories of %(name)r", name=project), kind="repositories"
            )
        )

    def artifacts(self, project: str, repository: str) -> list[dict[str, Any]]:
        path = repository_path(project, repository) + "/artifacts"
        params = {"with_tag": "true"}
        items = list(self._paged(path, _l("list artifacts of %(name)r", name=repository), params))
        for item in items:
            item["tags"] = item.get("tags") or []  # Harbor sends null for untagged artifacts
        return items
