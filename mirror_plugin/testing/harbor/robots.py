"""Robot accounts of the Harbor emulator: ``/robots`` and ``/robots/{robot_id}``.

Modelled on Harbor's ``handler/robot.go`` and ``controller/robot``: names are lower case
(``^[a-z0-9]+(?:[._-][a-z0-9]+)*$``) and come back with the ``robot$`` prefix; the secret is
shown once (on create and on refresh) and only its hash is kept; ``duration`` is in days
(``-1``: never expires) and ``expires_at`` a Unix time (``-1`` for never); only system admins
(and system robots) manage them. A disabled or expired robot authenticates as nobody.

The plugin's pull-access reconciler (``mirror_plugin.registry.harbor_robots``) creates, reads,
updates, refreshes and deletes such robots, so the emulator has to hold them as Harbor does.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from typing import Any

from mirror_plugin.testing.harbor.auth import _Caller
from mirror_plugin.testing.harbor.paging import _Paging, _parse_q
from mirror_plugin.testing.harbor.store import ROBOT_PREFIX, HarborStore, Robot, _hash
from mirror_plugin.testing.harbor.wire import _ApiError, _fmt, _json, _now, _Request
from mirror_plugin.testing.harbor.wire import _Response as Response

_ROBOT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_LEVELS = ("system", "project")


def _generated_secret() -> str:
    """32 characters with upper, lower and digits, as Harbor's utils.GenerateRandomString."""
    alphabet = string.ascii_letters + string.digits
    while True:
        secret = "".join(secrets.choice(alphabet) for _ in range(32))
        if _strong(secret):
            return secret


def _strong(secret: str) -> bool:
    """Harbor's IsValidSec: 8-128 characters with at least one upper, one lower, one digit."""
    return (
        8 <= len(secret) <= 128
        and any(c.isupper() for c in secret)
        and any(c.islower() for c in secret)
        and any(c.isdigit() for c in secret)
    )


def _bad(message: str) -> _ApiError:
    return _ApiError(400, "BAD_REQUEST", message)


def _body(request: _Request) -> dict[str, Any]:
    if not request.body.strip():
        raise _ApiError(
            422, "UNPROCESSABLE_ENTITY", "validation failure list:\nrobot in body is required"
        )
    try:
        body = json.loads(request.body)
    except ValueError as exc:
        raise _bad(f'parsing robot body from "" failed, because {exc}') from None
    if not isinstance(body, dict):
        raise _bad('parsing robot body from "" failed, because json: cannot unmarshal')
    return body


def _validate(duration: Any, level: Any, permissions: Any) -> None:
    """handler/robot.go ``validate``: duration, level, and at least one access per permission."""
    if (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or not (duration == -1 or duration > 0)
    ):
        raise _bad(
            f"bad request error duration input: {duration}, duration must be either -1(Never) "
            "or a positive integer"
        )
    if level not in _LEVELS:
        raise _bad(f"bad request error level input: {level}")
    if not isinstance(permissions, list) or not permissions:
        raise _bad("bad request empty permission")
    for perm in permissions:
        if not isinstance(perm, dict) or not perm.get("access"):
            raise _bad("bad request empty access")
    if level == "project" and len(permissions) > 1:
        raise _bad("bad request permission")


class RobotEndpoints(HarborStore):
    """Mixed into :class:`~mirror_plugin.testing.harbor.emulator.HarborEmulator`."""

    def _init_robots(self) -> None:
        self._robot_accounts = {}
        self._robot_ids = iter(range(1, 1 << 62))

    # ----------------------------------------------------------------- for tests and auth

    def robot_accounts(self) -> list[dict[str, Any]]:
        """Robots made through the API, as ``GET /robots`` shows them (no secrets)."""
        with self._lock:
            return [self._robot_json(r) for r in self._robot_accounts.values()]

    def edit_robot(self, robot_id: int, **changes: Any) -> None:
        """Change a robot behind the API's back (a Harbor admin's hand): ``permissions``,
        ``disable``, ``duration``, ``created``."""
        with self._lock:
            robot = self._robot_accounts[robot_id]
            for key, value in changes.items():
                setattr(robot, key, value)

    def delete_robot(self, robot_id: int) -> None:
        """Delete a robot behind the API's back."""
        with self._lock:
            self._robot_accounts.pop(robot_id, None)

    def _api_robot(self, name: str, secret: str) -> Robot | None:
        """The usable robot with this full name and secret, if any."""
        if not name.startswith(ROBOT_PREFIX):
            return None
        for robot in self._robot_accounts.values():
            if robot.full_name == name and robot.secret_hash == _hash(secret):
                return None if robot.disable or robot.expired() else robot
        return None

    def _robot_caller(self, name: str, secret: str) -> _Caller | None:
        robot = self._api_robot(name, secret)
        if robot is None:
            return None
        return _Caller("robot", name=robot.full_name, projects=robot.namespaces())

    # ----------------------------------------------------------------- endpoints

    @staticmethod
    def _manage(request: _Request) -> None:
        caller = request.caller
        if not caller.authenticated:
            raise _ApiError(401, "UNAUTHORIZED", "unauthorized")
        if not caller.sees_all:
            raise _ApiError(403, "FORBIDDEN", "forbidden")

    def _robot(self, request: _Request) -> Robot:
        raw = request.params["robot_id"]
        if not raw.isdigit():
            raise _ApiError(
                422,
                "UNPROCESSABLE_ENTITY",
                f'validation failure list:\nrobot_id in path must be of type int64: "{raw}"',
            )
        robot = self._robot_accounts.get(int(raw))
        if robot is None:
            raise _ApiError(404, "NOT_FOUND", f"robot {raw} not found")
        return robot

    def _check_projects(self, permissions: list[dict[str, Any]]) -> None:
        for perm in permissions:
            namespace = perm.get("namespace")
            if perm.get("kind") == "project" and namespace != "*":
                if self._find_project(str(namespace)) is None:
                    raise _ApiError(404, "NOT_FOUND", f"project {namespace} not found")

    def _list_robots(self, request: _Request) -> Response:
        paging = _Paging.parse(request)
        conditions = _parse_q(request.arg("q"))
        self._manage(request)
        robots = [
            robot
            for robot in sorted(self._robot_accounts.values(), key=lambda r: r.id)
            if _matches_robot(robot, conditions)
        ]
        return paging.respond(robots, self._robot_json, request.arg("sort"))

    def _create_robot(self, request: _Request) -> Response:
        body = _body(request)
        self._manage(request)
        name = body.get("name")
        if not isinstance(name, str) or not _ROBOT_NAME.match(name) or len(name) > 255:
            raise _bad("robot name is not in lower case or contains illegal characters")
        # Values of the JSON body, of whatever type until _validate has checked them.
        duration: Any = body.get("duration", -1)
        level: Any = body.get("level")
        permissions: Any = body.get("permissions")
        _validate(duration, level, permissions)
        self._check_projects(permissions)
        if any(robot.name == name for robot in self._robot_accounts.values()):
            raise _ApiError(409, "CONFLICT", f"robot account {ROBOT_PREFIX}{name} already exists")
        secret = body.get("secret") or _generated_secret()
        if not _strong(secret):
            raise _bad("the password or secret must be longer than 8 chars with at least 1 "
                       "uppercase letter, 1 lowercase letter and 1 number")  # fmt: skip
        now = _now()
        robot = Robot(
            next(self._robot_ids), name, _hash(secret), level, duration, now, now,
            permissions, str(body.get("description") or ""), bool(body.get("disable")),
            request.caller.user.user_id if request.caller.user else 1,
        )  # fmt: skip
        self._robot_accounts[robot.id] = robot
        location = f"{request.raw_path.rstrip('/')}/{robot.id}"
        return _json(
            {
                "id": robot.id,
                "name": robot.full_name,
                "secret": secret,
                "creation_time": _fmt(robot.created),
                "expires_at": robot.expires_at,
            },
            201,
            {"Location": location},
        )

    def _get_robot(self, request: _Request) -> Response:
        self._manage(request)
        return _json(self._robot_json(self._robot(request)))

    def _update_robot(self, request: _Request) -> Response:
        """PUT replaces description, duration, disable and permissions; name and level stay."""
        body = _body(request)
        self._manage(request)
        robot = self._robot(request)
        if body.get("level") != robot.level or body.get("name") != robot.full_name:
            raise _bad("cannot update the level or name of robot")
        duration = body.get("duration", robot.duration)
        _validate(duration, body.get("level"), body.get("permissions"))
        self._check_projects(body["permissions"])
        robot.duration, robot.permissions = duration, body["permissions"]
        robot.description = str(body.get("description") or "")
        robot.disable = bool(body.get("disable"))
        robot.updated = _now()
        return Response(200)

    def _refresh_robot_secret(self, request: _Request) -> Response:
        """An empty secret asks Harbor to generate one; the new secret is returned once."""
        body = _body(request)
        self._manage(request)
        robot = self._robot(request)
        secret = body.get("secret") or _generated_secret()
        if not isinstance(secret, str) or not _strong(secret):
            raise _bad("the password or secret must be longer than 8 chars with at least 1 "
                       "uppercase letter, 1 lowercase letter and 1 number")  # fmt: skip
        robot.secret_hash, robot.updated = _hash(secret), _now()
        return _json({"secret": secret})

    def _delete_robot(self, request: _Request) -> Response:
        self._manage(request)
        del self._robot_accounts[self._robot(request).id]
        return Response(200)

    @staticmethod
    def _robot_json(robot: Robot) -> dict[str, Any]:
        return {
            "id": robot.id, "name": robot.full_name, "description": robot.description,
            "level": robot.level, "duration": robot.duration, "editable": True,
            "disable": robot.disable, "expires_at": robot.expires_at,
            "permissions": robot.permissions, "creator_type": "local",
            "creator_ref": robot.creator_ref, "creation_time": _fmt(robot.created),
            "update_time": _fmt(robot.updated),
        }  # fmt: skip


def _matches_robot(robot: Robot, conditions: dict[str, tuple[str, str]]) -> bool:
    """``q``: ``name`` (without the prefix, exact or ``~`` fuzzy) and ``Level``."""
    name, level = conditions.get("name"), conditions.get("Level") or conditions.get("level")
    if name is not None:
        op, value = name
        if (op == "~" and value not in robot.name) or (op == "=" and value != robot.name):
            return False
    return level is None or level[1] == robot.level
