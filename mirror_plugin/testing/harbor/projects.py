"""Harbor projects: ``/projects`` (list, head, create, get, update, delete, ``_deletable``)
and ``/search``.

Modelled on Harbor's ``handler/project.go`` and ``handler/search.go``, with the behaviour a
client has to cope with: ``metadata.public`` is a *string* ("true"/"false") while search's
``project_public`` is a bool; ``{project_name_or_id}`` takes an integer as an ID unless
``X-Is-Resource-Name: true``; the ``ProjectReq`` body is bound like go-swagger (a JSON type
that does not fit the Go struct is a 400 parse error); creation is ``adminonly`` (201 with an
empty body and a ``Location``); a project that still holds repositories cannot be deleted
(412); ``q``/``sort`` on the list need Harbor 2.3 or later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mirror_plugin.testing.harbor.auth import AccessControl, _Caller
from mirror_plugin.testing.harbor.paging import _matches, _Paging, _parse_q
from mirror_plugin.testing.harbor.store import _PROJECT_NAME, _Project
from mirror_plugin.testing.harbor.wire import (
    _INTEGER,
    NEVER,
    _ApiError,
    _bad_body,
    _fmt,
    _json,
    _now,
    _Request,
    _Response,
    _unprocessable,
    _version,
)

_METADATA_KEYS = (
    "public", "enable_content_trust", "enable_content_trust_cosign", "prevent_vul", "severity",
    "auto_scan", "auto_sbom_generation", "reuse_sys_cve_allowlist",
)  # fmt: skip


class ProjectEndpoints(AccessControl):
    """Mixed into :class:`~mirror_plugin.testing.harbor.emulator.HarborEmulator`."""

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
