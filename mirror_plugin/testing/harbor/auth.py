"""Who calls the emulator and what they may see: Basic auth, ``/users/current``, access rules.

Harbor's ``basic_auth`` middleware treats wrong or unknown credentials as the anonymous
caller rather than answering 401, so a client that sends a bad password sees public projects
only; this module reproduces that, and Harbor's ``RequireProjectAccess`` (401 for anonymous
callers, 403 for authenticated ones). Sysadmins and system robots see every project, users
the public ones and those they own, project robots the public ones and their own projects.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Literal, cast

from mirror_plugin.testing.harbor.store import HarborStore, _Project, _User
from mirror_plugin.testing.harbor.wire import _ApiError, _fmt, _json, _Request, _Response, _version


@dataclass(frozen=True)
class _Caller:
    """Who sent a request. Wrong credentials give the anonymous caller, as in Harbor."""

    kind: Literal["anonymous", "user", "robot"]
    user: _User | None = None
    name: str = ""
    projects: frozenset[str] | None = None  # a project robot's projects; None: system robot

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def sees_all(self) -> bool:
        """Sysadmins and system robots (robots not limited to some projects)."""
        if self.kind == "robot":
            return self.projects is None
        return self.user is not None and self.user.admin


_ANONYMOUS = _Caller("anonymous")


class AccessControl(HarborStore):
    """Mixed into :class:`~mirror_plugin.testing.harbor.emulator.HarborEmulator`."""

    version: str

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
            if sep and (robot := self._robot_caller(name, secret)) is not None:  # type: ignore[attr-defined]
                return cast(_Caller, robot)
            if sep and name in self._robots and self._robots[name][0] == secret:
                return _Caller("robot", name=name, projects=self._robots[name][1])
            user = self._users.get(name)
            if sep and user is not None and user.password == secret:
                return _Caller("user", user=user, name=name)
        return _ANONYMOUS

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
