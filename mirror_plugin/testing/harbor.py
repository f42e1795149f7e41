"""An in-process emulator of Harbor's v2.0 REST API, served over real HTTP.

    with HarborEmulator() as harbor:            # admin / Harbor12345 exists, as in a fresh Harbor
        harbor.add_user("alice", "secret")
        harbor.add_robot("robot$ci", "s3cret")
        harbor.add_project("team-a", public=True)
        harbor.add_repository("team-a", "tools/nginx", [{"tags": ["1.25"]}, {"tags": None}])
        requests.get(harbor.url + "/api/v2.0/projects", auth=("alice", "secret"))

It serves the endpoints the plugin uses (ping, health, systeminfo, users/current, projects,
repositories, artifacts, search, robots in :mod:`.harbor_robots`; the token service and ``/v2/``
pulls in :mod:`.harbor_registry`) and reproduces the behaviour of a real Harbor that a client
has to cope with, documented in ``shared/reference/notes/harbor-api.md``: wrong credentials
treated as anonymous, ``metadata.public`` as a string, ``page_size`` capped at 100, relative
``Link`` headers, double-encoded repository names, ``tags: null``, the ``sid`` cookie that
breaks POST/PUT/DELETE with a CSRF error, and Harbor's error bodies and messages.

Fault injection: ``latency`` (seconds slept before every request) and :meth:`fail_next`.

Only the standard library is used, so host teams can use it without any test dependency.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote

from mirror_plugin.testing.harbor_http import (
    _ANONYMOUS,
    _INTEGER,
    _ApiError,
    _bad_body,
    _Caller,
    _error,
    _fmt,
    _json,
    _matches,
    _now,
    _Paging,
    _parse_q,
    _Request,
    _Response,
    _unprocessable,
    _User,
)
from mirror_plugin.testing.harbor_registry import RegistryEndpoints
from mirror_plugin.testing.harbor_robots import RobotEndpoints

__all__ = ["HarborEmulator"]

API_PREFIX = "/api/v2.0"
ADMIN_USER, ADMIN_PASSWORD = "admin", "Harbor12345"
NEVER = "0001-01-01T00:00:00.000Z"  # Go's zero time: Harbor's pull_time for "never pulled"
_PROJECT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_UNSAFE = {"POST", "PUT", "DELETE", "PATCH"}
_METADATA_KEYS = (
    "public", "enable_content_trust", "enable_content_trust_cosign", "prevent_vul", "severity",
    "auto_scan", "auto_sbom_generation", "reuse_sys_cve_allowlist",
)  # fmt: skip
_ARTIFACT_KEYS = {"tags", "digest", "size", "push_time", "type", "index", "platforms"}
_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_CONFIG_MEDIA_TYPES = {
    "IMAGE": "application/vnd.docker.container.image.v1+json",
    "CHART": "application/vnd.cncf.helm.config.v1+json",
    "CNAB": "application/vnd.cnab.config.v1+json",
}
_DEFAULT_PLATFORMS = (
    {"architecture": "amd64", "os": "linux"},
    {"architecture": "arm64", "os": "linux"},
)
_NGINX_PHRASES = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def _parse_time(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


@dataclass
class _Tag:
    id: int
    name: str
    push_time: datetime


@dataclass
class _Artifact:
    id: int
    digest: str
    size: int
    push_time: datetime
    type: str
    tags: list[_Tag]
    references: list[dict[str, Any]] | None  # only for an index (multi-arch image)


@dataclass
class _Repository:
    id: int
    name: str  # without the "<project>/" prefix, may contain slashes
    created: datetime
    artifacts: list[_Artifact] = field(default_factory=list)
    pull_count: int = 0


@dataclass
class _Project:
    project_id: int
    name: str
    owner: _User
    created: datetime
    updated: datetime
    metadata: dict[str, str]
    repositories: dict[str, _Repository] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.metadata.get("public") == "true"


# --------------------------------------------------------------------------- the emulator

_Handler = Callable[["HarborEmulator", _Request], _Response]
_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/ping", "_ping"),
    ("GET", "/health", "_health"),
    ("GET", "/systeminfo", "_systeminfo"),
    ("GET", "/users/current", "_current_user"),
    ("GET", "/search", "_search"),
    ("GET", "/projects", "_list_projects"),
    ("HEAD", "/projects", "_head_project"),
    ("POST", "/projects", "_create_project"),
    ("GET", "/projects/{project}", "_get_project"),
    ("PUT", "/projects/{project}", "_update_project"),
    ("DELETE", "/projects/{project}", "_delete_project"),
    ("GET", "/projects/{project}/_deletable", "_project_deletable"),
    ("GET", "/projects/{project}/repositories", "_list_repositories"),
    ("GET", "/projects/{project}/repositories/{repository}", "_get_repository"),
    ("GET", "/projects/{project}/repositories/{repository}/artifacts", "_list_artifacts"),
    ("GET", "/robots", "_list_robots"),
    ("POST", "/robots", "_create_robot"),
    ("GET", "/robots/{robot_id}", "_get_robot"),
    ("PUT", "/robots/{robot_id}", "_update_robot"),
    ("PATCH", "/robots/{robot_id}", "_refresh_robot_secret"),
    ("DELETE", "/robots/{robot_id}", "_delete_robot"),
]
_COMPILED = [
    (method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"), name)
    for method, template, name in _ROUTES
]


class HarborEmulator(RobotEndpoints, RegistryEndpoints):
    """A fake Harbor v2.x on ``http://127.0.0.1:<free port>``, with state set up in Python.

    ``admin`` / ``Harbor12345`` exists from the start (Harbor's defaults). Projects are only
    those you add. Ordinary users are members of the projects they own and of nothing else.
    """

    def __init__(self, *, latency: float = 0.0, version: str = "v2.10.0", port: int = 0) -> None:
        self.latency = latency
        self.port = port  # 0: any free port
        self.version = version
        self.requests: list[tuple[str, str]] = []  # (method, path as sent, without the query)
        self._lock = threading.RLock()
        self._ids: defaultdict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._users: dict[str, _User] = {}
        self._robots: dict[str, tuple[str, frozenset[str] | None]] = {}
        self._projects: dict[int, _Project] = {}
        self._faults: deque[int] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._init_robots()
        self._init_registry()
        self.add_user(ADMIN_USER, ADMIN_PASSWORD, admin=True)

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> HarborEmulator:
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

    def __enter__(self) -> HarborEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the emulator first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ----------------------------------------------------------------- set-up

    def add_user(self, username: str, password: str, *, admin: bool = False) -> None:
        """Add a local user, or replace the password and admin flag of an existing one."""
        with self._lock:
            known = self._users.get(username)
            user_id = known.user_id if known else len(self._users) + 1
            self._users[username] = _User(user_id, username, password, admin, _now())

    def add_robot(self, name: str, secret: str, *, projects: Iterable[str] | None = None) -> None:
        """A robot account, e.g. ``robot$ci``. Without ``projects`` it is a system robot that
        sees and may create every project; with them, a project robot that sees only those
        (and public ones). ``/users/current`` answers 412 for robots (500 before Harbor 2.3)."""
        with self._lock:
            self._robots[name] = (secret, frozenset(projects) if projects is not None else None)

    def add_project(self, name: str, *, public: bool = False, owner: str = ADMIN_USER) -> int:
        """Create a project directly (no API call) and return its ``project_id``."""
        if not _PROJECT_NAME.match(name) or len(name) > 255:
            raise ValueError(f"invalid Harbor project name: {name!r}")
        with self._lock:
            if self._find_project(name) is not None:
                raise ValueError(f"project {name!r} already exists")
            if owner not in self._users:
                raise ValueError(f"unknown owner {owner!r}; add_user() first")
            return self._create(name, public, self._users[owner]).project_id

    def add_repository(
        self, project: str, name: str, artifacts: Iterable[Mapping[str, Any]] | None = None
    ) -> None:
        """Add a repository ``name`` (no ``<project>/`` prefix, may be nested: ``team/app``).

        Each artifact is a dict: ``tags`` (list or None: untagged), ``digest`` (generated when
        absent), ``size``, ``push_time`` (ISO string or datetime; by default now minus one
        second per position, so the first artifact is the newest), ``type`` ("IMAGE"), ``index``
        (True: a multi-arch index whose ``references`` list ``platforms``, by default
        linux/amd64 and linux/arm64).
        """
        with self._lock:
            target = self._find_project(project)
            if target is None:
                raise ValueError(f"unknown project {project!r}")
            if name in target.repositories:
                raise ValueError(f"repository {project}/{name} already exists")
            now = _now()
            repository = _Repository(next(self._ids["repository"]), name, now)
            for position, spec in enumerate(artifacts or []):
                repository.artifacts.append(
                    self._artifact(f"{project}/{name}", spec, now - timedelta(seconds=position))
                )
            target.repositories[name] = repository

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

    def project_names(self) -> list[str]:
        with self._lock:
            return [project.name for project in self._projects.values()]

    # ----------------------------------------------------------------- internals

    def _create(self, name: str, public: bool, owner: _User, **metadata: str) -> _Project:
        now = _now()
        project = _Project(
            next(self._ids["project"]),
            name,
            owner,
            now,
            now,
            {**metadata, "public": str(public).lower()},
        )
        self._projects[project.project_id] = project
        return project

    def _artifact(
        self, repository: str, spec: Mapping[str, Any], default_time: datetime
    ) -> _Artifact:
        unknown = set(spec) - _ARTIFACT_KEYS
        if unknown:
            raise ValueError(f"unknown artifact keys: {sorted(unknown)}")
        artifact_id = next(self._ids["artifact"])
        pushed = _parse_time(spec["push_time"]) if spec.get("push_time") else default_time
        digest = spec.get("digest") or self._digest(repository, artifact_id)
        references = None
        if spec.get("index"):
            references = [
                {
                    "parent_id": artifact_id,
                    "child_id": next(self._ids["artifact"]),
                    "child_digest": self._digest(repository, artifact_id, platform),
                    "platform": {"architecture": platform["architecture"], "os": platform["os"]},
                }
                for platform in spec.get("platforms") or _DEFAULT_PLATFORMS
            ]
        tags = [_Tag(next(self._ids["tag"]), tag, pushed) for tag in spec.get("tags") or []]
        size = int(spec.get("size", 1024 if references is None else 512))
        return _Artifact(
            artifact_id, digest, size, pushed, spec.get("type", "IMAGE"), tags, references
        )

    @staticmethod
    def _digest(*parts: object) -> str:
        return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()

    def _find_project(self, name_or_id: str | int) -> _Project | None:
        if isinstance(name_or_id, int):
            return self._projects.get(name_or_id)
        return next((p for p in self._projects.values() if p.name == name_or_id), None)

    def _authenticate(self, header: str | None) -> _Caller:
        """HTTP Basic only. Bad or unknown credentials fall back to the anonymous caller
        instead of a 401, as Harbor's basic_auth middleware does."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return _ANONYMOUS
        try:
            name, sep, secret = (
                base64.b64decode(token.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return _ANONYMOUS
        with self._lock:
            if sep and (robot := self._robot_caller(name, secret)) is not None:
                return robot
            if sep and name in self._robots and self._robots[name][0] == secret:
                return _Caller("robot", name=name, projects=self._robots[name][1])
            user = self._users.get(name)
            if sep and user is not None and user.password == secret:
                return _Caller("user", user=user, name=name)
        return _ANONYMOUS

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
            response = self._route(method, raw_path, raw_query, headers, body)
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

    def _route(
        self, method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], body: bytes
    ) -> _Response:
        """Route on the path decoded once, as Harbor's core receives it from its nginx: so a
        single-encoded ``a%2Fb`` turns into two segments and matches no route (404)."""
        path = unquote(raw_path)
        if path == "/service/token" or path == "/v2" or path.startswith("/v2/"):
            with self._lock:
                return self._registry_route(method, path, raw_query, headers)
        relative = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else None
        allowed: list[str] = []
        for route_method, pattern, name in _COMPILED:
            match = pattern.match(relative) if relative is not None else None
            if match is None:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            params = {key: unquote(value) for key, value in match.groupdict().items()}
            if "repository" in params:  # handler/util.go unescapePathParams: one decode more
                params["repository"] = unquote(params["repository"])
            request = _Request(
                method, raw_path, raw_query, headers, body,
                self._authenticate(headers.get("Authorization")), params,
            )  # fmt: skip
            handler: _Handler = getattr(HarborEmulator, name)
            try:
                with self._lock:
                    return handler(self, request)
            except _ApiError as exc:
                return _error(exc.status, exc.code, exc.message)
        if allowed:
            message = f"method {method} is not allowed, but [{','.join(allowed)}] are"
            return _error(405, "METHOD_NOT_ALLOWED", message)
        return _error(404, "NOT_FOUND", f"path {path} was not found")

    # ----------------------------------------------------------------- access rules

    def _project(self, request: _Request, name: str | None = None) -> _Project:
        """``{project_name_or_id}``: an integer is an ID unless ``X-Is-Resource-Name: true``."""
        value = request.params["project"] if name is None else name
        key: str | int = value
        by_name = name is not None or request.header_flag("X-Is-Resource-Name")
        if _INTEGER.match(value) and not by_name:
            key = int(value)
        project = self._find_project(key)
        if project is None:
            raise _ApiError(404, "NOT_FOUND", f"project {key} not found")
        return project

    @staticmethod
    def _owns(caller: _Caller, project: _Project) -> bool:
        if caller.projects is not None:
            return project.name in caller.projects
        return caller.user is not None and caller.user.username == project.owner.username

    def _visible(self, caller: _Caller, project: _Project) -> bool:
        return caller.sees_all or project.public or self._owns(caller, project)

    def _require(self, caller: _Caller, project: _Project, *, write: bool = False) -> None:
        """RequireProjectAccess: 401 for anonymous callers, 403 for authenticated ones."""
        allowed = caller.sees_all or self._owns(caller, project)
        if allowed or (not write and project.public):
            return
        if not caller.authenticated:
            raise _ApiError(401, "UNAUTHORIZED", "unauthorized")
        raise _ApiError(403, "FORBIDDEN", "forbidden")

    # ----------------------------------------------------------------- serialisation

    def _project_json(
        self, project: _Project, caller: _Caller, detail: bool = True
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "project_id": project.project_id,
            "owner_id": project.owner.user_id,
            "name": project.name,
            "creation_time": _fmt(project.created),
            "update_time": _fmt(project.updated),
            "owner_name": project.owner.username,
            "repo_count": len(project.repositories) if detail else 0,
            "metadata": dict(project.metadata),  # every value a string, "public" included
            "cve_allowlist": {
                "id": project.project_id, "project_id": project.project_id, "items": [],
                "creation_time": NEVER, "update_time": NEVER,
            },
        }  # fmt: skip
        if self._owns(caller, project):
            body["current_user_role_id"], body["current_user_role_ids"] = 1, [1]
        return body

    @staticmethod
    def _repository_json(project: _Project, repository: _Repository) -> dict[str, Any]:
        pushed = [artifact.push_time for artifact in repository.artifacts]
        return {
            "id": repository.id,
            "project_id": project.project_id,
            "name": f"{project.name}/{repository.name}",  # the full name, project included
            "description": "",
            "artifact_count": len(repository.artifacts),
            "pull_count": repository.pull_count,
            "creation_time": _fmt(repository.created),
            "update_time": _fmt(max([repository.created, *pushed])),
        }

    @staticmethod
    def _artifact_json(
        project: _Project, repository: _Repository, artifact: _Artifact, with_tag: bool
    ) -> dict[str, Any]:
        """Nil Go slices come out as ``null``: ``tags`` of an untagged artifact (or with
        ``with_tag=false``), ``labels``, and ``references`` of anything but an index."""
        index = artifact.references is not None
        body: dict[str, Any] = {
            "id": artifact.id,
            "type": artifact.type,
            "media_type": _OCI_INDEX if index else _CONFIG_MEDIA_TYPES.get(
                artifact.type, "application/vnd.oci.image.config.v1+json"
            ),
            "manifest_media_type": _OCI_INDEX if index else (
                "application/vnd.docker.distribution.manifest.v2+json"
                if artifact.type == "IMAGE" else "application/vnd.oci.image.manifest.v1+json"
            ),
            "project_id": project.project_id,
            "repository_id": repository.id,
            "repository_name": f"{project.name}/{repository.name}",
            "digest": artifact.digest,
            "size": artifact.size,
            "push_time": _fmt(artifact.push_time),
            "pull_time": NEVER,
            "references": artifact.references,
            "labels": None,
            "tags": [
                {
                    "id": tag.id, "repository_id": repository.id, "artifact_id": artifact.id,
                    "name": tag.name, "push_time": _fmt(tag.push_time), "pull_time": NEVER,
                    "immutable": False,
                }
                for tag in artifact.tags
            ] if with_tag and artifact.tags else None,
        }  # fmt: skip
        if artifact.type == "IMAGE" and not index:
            body["extra_attrs"] = {
                "architecture": "amd64", "os": "linux", "author": "",
                "created": _fmt(artifact.push_time), "config": {},
            }  # fmt: skip
            base = (
                f"{API_PREFIX}/projects/{project.name}/repositories/"
                f"{quote(quote(repository.name, safe=''), safe='')}/artifacts/{artifact.digest}"
            )
            body["addition_links"] = {
                name: {"absolute": False, "href": f"{base}/additions/{name}"}
                for name in ("build_history", "vulnerabilities")
            }
        return body

    # ----------------------------------------------------------------- endpoints

    def _ping(self, request: _Request) -> _Response:
        return _Response(200, b"Pong", "text/plain")

    def _health(self, request: _Request) -> _Response:
        names = ("core", "database", "jobservice", "portal", "redis", "registry", "registryctl")
        components = [{"name": name, "status": "healthy"} for name in names]
        return _json({"status": "healthy", "components": components})

    def _systeminfo(self, request: _Request) -> _Response:
        """Anonymous callers get only the login-page fields (handler/systeminfo.go)."""
        info: dict[str, Any] = {
            "auth_mode": "db_auth",
            "primary_auth_mode": False,
            "self_registration": False,
            "banner_message": "",
        }
        if request.caller.authenticated:
            host = self.url.removeprefix("http://")
            info.update(
                harbor_version=self.version, project_creation_restriction="adminonly",
                external_url=self.url, registry_url=host, read_only=False, has_ca_root=False,
                current_time=_fmt(_now()), registry_storage_provider_name="filesystem",
                notification_enable=True,
            )  # fmt: skip
        return _json(info)

    def _current_user(self, request: _Request) -> _Response:
        """401 for anonymous callers and wrong credentials; 412 for robots (a non-local
        security context), or 500 before Harbor 2.3, whose legacy API failed on them."""
        caller = request.caller
        if not caller.authenticated:
            raise _ApiError(401, "UNAUTHORIZED", "unauthorized")
        if caller.user is None:
            if _version(self.version) < (2, 3):
                raise _ApiError(500, "UNKNOWN", "internal server error")
            message = "get current user not available for security context: robot"
            raise _ApiError(412, "PRECONDITION", message)
        user = caller.user
        return _json(
            {
                "user_id": user.user_id,
                "username": user.username,
                "email": f"{user.username}@example.com",
                "realname": user.username,
                "comment": "",
                "sysadmin_flag": user.admin,
                "admin_role_in_auth": False,
                "creation_time": _fmt(user.created),
                "update_time": _fmt(user.created),
            }  # fmt: skip
        )

    def _search(self, request: _Request) -> _Response:
        """Not paginated; ``project_public`` is a real bool here, unlike ``metadata.public``."""
        keyword = request.arg("q")
        if not keyword:
            raise _unprocessable("q in query is required")
        caller = request.caller
        projects = [p for p in self._projects.values() if self._visible(caller, p)]
        repositories = [
            {
                "project_id": p.project_id, "project_name": p.name, "project_public": p.public,
                "repository_name": f"{p.name}/{r.name}", "pull_count": r.pull_count,
                "artifact_count": len(r.artifacts),
            }
            for p in projects
            for r in p.repositories.values()
            if keyword in f"{p.name}/{r.name}"
        ]  # fmt: skip
        found = [self._project_json(p, caller) for p in projects if keyword in p.name]
        return _json({"project": found, "repository": repositories})

    def _list_projects(self, request: _Request) -> _Response:
        """Admins and robots see every project, users public ones and their own, anonymous
        callers (wrong credentials included) only public ones. ``q``/``sort`` need 2.3+."""
        paging = _Paging.parse(request)
        public, detail = request.flag("public"), request.flag("with_detail", True)
        modern = _version(self.version) >= (2, 3)
        conditions = _parse_q(request.arg("q")) if modern else {}
        name, owner = request.arg("name") or "", request.arg("owner")
        caller = request.caller
        projects = [
            p
            for p in sorted(self._projects.values(), key=lambda p: p.name)
            if self._visible(caller, p)
            and (public is None or p.public == public)
            and name in p.name
            and (owner is None or p.owner.username == owner)
            and _matches(p.name, conditions.get("name"))
        ]
        return paging.respond(
            projects,
            lambda p: self._project_json(p, caller, bool(detail)),
            request.arg("sort") if modern else None,
        )

    def _head_project(self, request: _Request) -> _Response:
        name = request.arg("project_name")
        if not name:
            raise _unprocessable("project_name in query is required")
        self._require(request.caller, self._project(request, name))
        return _Response(200)

    def _get_project(self, request: _Request) -> _Response:
        project = self._project(request)
        self._require(request.caller, project)
        return _json(self._project_json(project, request.caller))

    def _project_req(self, request: _Request) -> dict[str, Any]:
        """Bind the ``ProjectReq`` body like go-swagger: a JSON type that does not fit the Go
        struct (e.g. ``"public": true`` inside ``metadata``) is a 400 parse error."""
        if not request.body.strip():
            raise _unprocessable("project in body is required")
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise _bad_body(str(exc)) from None
        if not isinstance(body, dict):
            raise _bad_body("json: cannot unmarshal into Go value of type models.ProjectReq")
        self._check_types(
            body,
            {"project_name": str, "public": bool, "storage_limit": int, "registry_id": int},
            {"metadata": dict},
        )
        if isinstance(body.get("metadata"), dict):
            self._check_types(body["metadata"], dict.fromkeys(_METADATA_KEYS, str), {}, "metadata.")
        if len(body.get("project_name") or "") > 255:
            raise _unprocessable("project_name in body should be at most 255 chars long")
        return body

    @staticmethod
    def _check_types(
        body: Mapping[str, Any],
        scalars: dict[str, type],
        objects: dict[str, type],
        prefix: str = "",
    ) -> None:
        go_types = {str: "string", bool: "bool", int: "int64", dict: "models.ProjectMetadata"}
        for key, expected in {**scalars, **objects}.items():
            value = body.get(key)
            wrong_bool = isinstance(value, bool) and expected is int
            if value is not None and (not isinstance(value, expected) or wrong_bool):
                kind = {bool: "bool", str: "string", list: "array", dict: "object"}
                raise _bad_body(
                    f"json: cannot unmarshal {kind.get(type(value), 'number')} into Go struct "
                    f"field ProjectReq.{prefix}{key} of type {go_types[expected]}"
                )

    @staticmethod
    def _metadata(body: Mapping[str, Any]) -> dict[str, str]:
        metadata = body.get("metadata") or {}
        return {key: metadata[key] for key in _METADATA_KEYS if metadata.get(key) is not None}

    def _create_project(self, request: _Request) -> _Response:
        """201 with an empty body and a Location header; project_creation_restriction is
        ``adminonly``, so users who are not admins get 403 while robots may create."""
        body = self._project_req(request)
        caller = request.caller
        if not caller.authenticated:
            raise _ApiError(401, "UNAUTHORIZED", "unauthorized")
        if not caller.sees_all:
            raise _ApiError(403, "FORBIDDEN", "Only system admin can create project")
        metadata = self._metadata(body)
        public = metadata.pop("public", "")
        if not public and body.get("public") is not None:  # the deprecated top-level bool
            public = str(body["public"]).lower()
        public = public or "false"
        if public not in ("true", "false"):
            raise _ApiError(
                400,
                "BAD_REQUEST",
                f"metadata.public should only be 'true' or 'false', but got: '{public}'",
            )
        name = body.get("project_name") or ""
        if not 1 <= len(name) <= 255:
            message = f"Project name {name} is illegal in length. (greater than 255 or less than 1)"
            raise _ApiError(400, "BAD_REQUEST", message)
        if not _PROJECT_NAME.match(name):
            message = "project name is not in lower case or contains illegal characters"
            raise _ApiError(400, "BAD_REQUEST", message)
        if self._find_project(name) is not None:
            raise _ApiError(409, "CONFLICT", f"The project named {name} already exists")
        owner = caller.user
        if owner is None:  # robots: the owner is the first system admin
            admins = sorted((u for u in self._users.values() if u.admin), key=lambda u: u.user_id)
            if not admins:
                raise _ApiError(500, "UNKNOWN", "internal server error")
            owner = admins[0]
        project = self._create(name, public == "true", owner, **metadata)
        location = str(project.project_id)
        if request.header_flag("X-Resource-Name-In-Location"):
            location = project.name
        return _Response(201, headers={"Location": f"{request.raw_path.rstrip('/')}/{location}"})

    def _update_project(self, request: _Request) -> _Response:
        body = self._project_req(request)
        project = self._project(request)
        self._require(request.caller, project, write=True)
        metadata = self._metadata(body)
        if metadata.get("public", "false") not in ("true", "false"):
            got = metadata["public"]
            message = f"metadata.public should only be 'true' or 'false', but got: '{got}'"
            raise _ApiError(400, "BAD_REQUEST", message)
        project.metadata.update(metadata)
        project.updated = _now()
        return _Response(200)

    def _delete_project(self, request: _Request) -> _Response:
        """412 while the project still has repositories: Harbor never deletes them for you."""
        project = self._project(request)
        self._require(request.caller, project, write=True)
        if project.repositories:
            message = "precondition failed: the project contains repositories, can not be deleted"
            raise _ApiError(412, "PRECONDITION", message)
        del self._projects[project.project_id]
        return _Response(200)

    def _project_deletable(self, request: _Request) -> _Response:
        project = self._project(request)
        self._require(request.caller, project, write=True)
        if project.repositories:
            message = "the project contains repositories, can not be deleted"
            return _json({"deletable": False, "message": message})
        return _json({"deletable": True})

    def _repositories_of(self, request: _Request) -> _Project:
        """``{project_name}`` paths take a name only, never an ID."""
        project = self._find_project(request.params["project"])
        if project is None:
            raise _ApiError(404, "NOT_FOUND", f"project {request.params['project']} not found")
        self._require(request.caller, project)
        return project

    def _list_repositories(self, request: _Request) -> _Response:
        paging = _Paging.parse(request)
        condition = _parse_q(request.arg("q")).get("name")
        project = self._repositories_of(request)
        newest_first = sorted(project.repositories.values(), key=lambda r: (r.created, r.id))
        repositories = [
            repository
            for repository in reversed(newest_first)
            if _matches(f"{project.name}/{repository.name}", condition)
        ]
        return paging.respond(
            repositories, lambda r: self._repository_json(project, r), request.arg("sort")
        )

    def _get_repository(self, request: _Request) -> _Response:
        project = self._repositories_of(request)
        repository = project.repositories.get(request.params["repository"])
        if repository is None:
            full = f"{project.name}/{request.params['repository']}"
            raise _ApiError(404, "NOT_FOUND", f"repository {full} not found")
        return _json(self._repository_json(project, repository))

    def _list_artifacts(self, request: _Request) -> _Response:
        """The repository name arrives double-encoded (``team%252Fapp``). An unknown
        repository is not a 404 but an empty list: Harbor only filters artifacts by name."""
        paging = _Paging.parse(request)
        with_tag = bool(request.flag("with_tag", True))
        tags = _parse_q(request.arg("q")).get("tags")
        project = self._repositories_of(request)
        repository = project.repositories.get(request.params["repository"])
        if repository is None:
            return paging.respond([], dict, None)

        def wanted(artifact: _Artifact) -> bool:
            names = [tag.name for tag in artifact.tags]
            if tags is None:
                return True
            if tags in (("=", "*"), ("=", "nil")):
                return bool(names) == (tags[1] == "*")
            return any(_matches(name, tags) for name in names)

        newest_first = sorted(repository.artifacts, key=lambda a: (a.push_time, a.id), reverse=True)
        return paging.respond(
            [artifact for artifact in newest_first if wanted(artifact)],
            lambda a: self._artifact_json(project, repository, a, with_tag),
            request.arg("sort"),
        )


class _RequestHandler(BaseHTTPRequestHandler):
    """Hands every request to the emulator; HTTP/1.1 so that clients can keep connections."""

    protocol_version = "HTTP/1.1"
    timeout = 60
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's
    # delayed ACK and every request takes ~40 ms, which would swamp injected latencies.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        emulator: HarborEmulator = self.server.emulator  # type: ignore[attr-defined]
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
