"""The Harbor emulator itself: one class made of the resource modules, and its routing.

:class:`HarborEmulator` combines the front door (:mod:`.server`), the state and its set-up
calls (:mod:`.store`), callers and access rules (:mod:`.auth`), projects (:mod:`.projects`),
repositories and artifacts (:mod:`.repositories`), robot accounts (:mod:`.robots`) and the
registry side (:mod:`.registry`). Routing follows Harbor's core: the path is decoded once, as
nginx hands it on (so a single-encoded ``a%2Fb`` is two segments and a 404), repository names
once more (``unescapePathParams``), and a known path with another method is a 405 that lists
the methods it allows. The few system endpoints (ping, health, systeminfo) live here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from mirror_plugin.testing.harbor.projects import ProjectEndpoints
from mirror_plugin.testing.harbor.registry import RegistryEndpoints
from mirror_plugin.testing.harbor.repositories import RepositoryEndpoints
from mirror_plugin.testing.harbor.robots import RobotEndpoints
from mirror_plugin.testing.harbor.server import HarborServer
from mirror_plugin.testing.harbor.store import ADMIN_PASSWORD, ADMIN_USER
from mirror_plugin.testing.harbor.wire import (
    API_PREFIX,
    _ApiError,
    _error,
    _fmt,
    _json,
    _now,
    _Request,
    _Response,
)

__all__ = ["HarborEmulator"]

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


class HarborEmulator(
    HarborServer, ProjectEndpoints, RepositoryEndpoints, RobotEndpoints, RegistryEndpoints
):
    """A fake Harbor v2.x on ``http://127.0.0.1:<free port>``, with state set up in Python.

    ``admin`` / ``Harbor12345`` exists from the start (Harbor's defaults). Projects are only
    those you add. Ordinary users are members of the projects they own and of nothing else.
    """

    def __init__(self, *, latency: float = 0.0, version: str = "v2.10.0", port: int = 0) -> None:
        self.version = version
        self._init_server(latency, port)
        self._init_store()
        self._init_robots()
        self._init_registry()
        self.add_user(ADMIN_USER, ADMIN_PASSWORD, admin=True)

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

    # ----------------------------------------------------------------- system endpoints

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
