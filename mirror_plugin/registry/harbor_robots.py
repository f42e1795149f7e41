"""Harbor's system robot accounts (``/robots``), as the pull-access reconciler needs them.

A pull robot holds one permission per project: ``kind: project``, ``namespace: <project>``,
``access: [{resource: repository, action: pull}]``. Harbor shows a secret once (on create and
on a refresh); this module hands it to the caller and never keeps, logs or formats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mirror_plugin.i18n import _
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.harbor import API, HarborClient, _error


@dataclass(frozen=True)
class RobotState:
    """What Harbor says about a robot (no secret: Harbor never returns it)."""

    id: int
    name: str
    disabled: bool
    expires_at: datetime | None
    pull_projects: frozenset[str]
    #: Anything beyond ``repository:pull`` on a project (an edit by hand to undo).
    extra_permissions: bool
    raw: dict[str, Any]


def pull_permissions(projects: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "kind": "project",
            "namespace": project,
            "access": [{"resource": "repository", "action": "pull", "effect": "allow"}],
        }
        for project in sorted(projects)
    ]


def _expiry(value: Any) -> datetime | None:
    if not isinstance(value, int) or value < 0:
        return None
    return datetime.fromtimestamp(value, UTC)


def _state(body: Any) -> RobotState:
    if not isinstance(body, dict) or not isinstance(body.get("id"), int):
        raise RegistryError(Category.BAD_RESPONSE, _("Harbor sent a malformed robot account."))
    pulls, extra = set(), False
    for perm in body.get("permissions") or []:
        access = perm.get("access") or [] if isinstance(perm, dict) else []
        for item in access:
            if (
                perm.get("kind") == "project"
                and isinstance(perm.get("namespace"), str)
                and perm.get("namespace") != "*"
                and item.get("resource") == "repository"
                and item.get("action") == "pull"
                and item.get("effect", "allow") != "deny"
            ):
                pulls.add(perm["namespace"])
            else:
                extra = True
    return RobotState(
        body["id"],
        str(body.get("name", "")),
        bool(body.get("disable")),
        _expiry(body.get("expires_at")),
        frozenset(pulls),
        extra,
        body,
    )


class RobotClient:
    """Robot calls on one Harbor, through its :class:`HarborClient` (admin credentials)."""

    def __init__(self, harbor: HarborClient) -> None:
        self.harbor = harbor

    def create(
        self, name: str, projects: list[str], *, days: int, description: str
    ) -> tuple[int, str, str, datetime | None]:
        """A new system robot; returns (id, full name, secret, expiry)."""
        body = {
            "name": name,
            "description": description,
            "level": "system",
            "duration": days,
            "disable": False,
            "permissions": pull_permissions(projects),
        }
        reply = self.harbor._call(
            "POST",
            f"{API}/robots",
            _l("create robot %(name)r", name=name),
            ok=(201,),
            json_body=body,
        )
        created = reply.json()
        if not isinstance(created, dict) or not isinstance(created.get("id"), int):
            raise RegistryError(Category.BAD_RESPONSE, _("Harbor sent a malformed robot account."))
        secret = created.get("secret")
        if not isinstance(secret, str) or not secret:
            raise RegistryError(
                Category.BAD_RESPONSE, _("Harbor created a robot without a secret.")
            )
        return (
            created["id"],
            str(created.get("name", "")),
            secret,
            _expiry(created.get("expires_at")),
        )

    def get(self, robot_id: int) -> RobotState | None:
        """The robot, or None when Harbor has no robot with this id."""
        reply = self.harbor.http.request("GET", f"{API}/robots/{robot_id}", auth=self.harbor.auth)
        if reply.status == 404:
            return None
        if reply.status != 200:
            raise _error(reply, _l("read robot %(id)s", id=robot_id))
        return _state(reply.json())

    def find(self, name: str) -> RobotState | None:
        """The system robot named ``name`` (without the prefix), if Harbor has one."""
        reply = self.harbor._call(
            "GET",
            f"{API}/robots",
            _l("find robot %(name)r", name=name),
            params={"q": f"name={name}"},
        )
        found = reply.json()
        for body in found if isinstance(found, list) else []:
            if isinstance(body, dict) and str(body.get("name", "")).endswith("$" + name):
                return _state(body)
        return None

    def update(self, state: RobotState, projects: list[str], *, days: int) -> None:
        """Replace the robot's permissions (and enable it); name and level stay."""
        body = {
            **state.raw,
            "disable": False,
            "duration": state.raw.get("duration") or days,
            "permissions": pull_permissions(projects),
        }
        self.harbor._call(
            "PUT",
            f"{API}/robots/{state.id}",
            _l("update robot %(name)r", name=state.name),
            json_body=body,
        )

    def refresh_secret(self, robot_id: int) -> str:
        """A new secret generated by Harbor (the old one stops working)."""
        reply = self.harbor._call(
            "PATCH",
            f"{API}/robots/{robot_id}",
            _l("refresh the secret of robot %(id)s", id=robot_id),
            json_body={"secret": ""},
        )
        secret = reply.json().get("secret") if isinstance(reply.json(), dict) else None
        if not isinstance(secret, str) or not secret:
            raise RegistryError(
                Category.BAD_RESPONSE, _("Harbor refreshed a robot without a secret.")
            )
        return secret

    def delete(self, robot_id: int) -> None:
        """Delete the robot; one that is already gone is fine."""
        reply = self.harbor.http.request(
            "DELETE", f"{API}/robots/{robot_id}", auth=self.harbor.auth
        )
        if reply.status not in (200, 404):
            raise _error(reply, _l("delete robot %(id)s", id=robot_id))
