"""A namespace's pull credentials as ``.dockerconfigjson`` and as a Kubernetes Secret.

One ``auths`` entry per registry the namespace may pull from privately: the platform Harbor
robot of its workspace (exactly the workspace's bound private projects), and the stored
credentials of its own workspace's warehouses, and a platform Docker Registry's account when the
Admin opted in on it and a private space of it is bound to the workspace. When a warehouse sits
on a platform Harbor that already has a robot entry, the robot wins: it is the narrower account,
and the rule allows that workspace nothing on the platform Harbor beyond what was bound anyway.
This is the only place robot secrets and warehouse passwords leave the database in clear.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from mirror_plugin.i18n import _
from mirror_plugin.models import Binding, Integration, Scope, Space
from mirror_plugin.models.pull import PullRobot
from mirror_plugin.registry.drivers import kinds_that
from mirror_plugin.services.registry_client import stored_password
from mirror_plugin.services.tenancy import namespace_workspace
from mirror_plugin.state import mirror_state, session

SECRET_TYPE = "kubernetes.io/dockerconfigjson"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class PullSecret:
    """What a namespace pulls with. Its ``repr`` names the registries, never the secrets."""

    namespace: str
    workspace: str | None
    _auths: dict[str, tuple[str, str]] = field(repr=False)

    @property
    def registries(self) -> list[str]:
        return sorted(self._auths)

    def __repr__(self) -> str:
        return f"PullSecret(namespace={self.namespace!r}, registries={self.registries!r})"

    def dockerconfigjson(self) -> dict[str, Any]:
        """``{"auths": {host: {username, password, auth}}}``, as kubectl writes it."""
        auths = {}
        for host, (username, password) in sorted(self._auths.items()):
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            auths[host] = {"username": username, "password": password, "auth": token}
        return {"auths": auths}

    def to_json(self) -> str:
        return json.dumps(self.dockerconfigjson(), separators=(",", ":"))

    def manifest(self, k8s_namespace: str, name: str | None = None) -> dict[str, Any]:
        """A ``kubernetes.io/dockerconfigjson`` Secret named ``name`` (default
        ``MIRROR_PULL_SECRET_NAME``) in ``k8s_namespace``; ValueError for invalid names."""
        name = name or str(current_app.config["MIRROR_PULL_SECRET_NAME"])
        if not _DNS_SUBDOMAIN.match(name):
            raise ValueError(
                _("%(name)r is not a valid Secret name (a DNS-1123 subdomain).", name=name)
            )
        if not _DNS_LABEL.match(k8s_namespace):
            raise ValueError(
                _(
                    "%(namespace)r is not a Kubernetes namespace name (a DNS-1123 label); "
                    "give the namespace the Secret goes into.",
                    namespace=k8s_namespace,
                )
            )
        data = base64.b64encode(self.to_json().encode()).decode()
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": k8s_namespace},
            "type": SECRET_TYPE,
            "data": {".dockerconfigjson": data},
        }


def pull_secret(namespace: str) -> PullSecret:
    """The namespace's credentials; raises UnknownNamespace like the host adapter."""
    workspace = namespace_workspace(namespace)
    auths: dict[str, tuple[str, str]] = {}
    if workspace is None:
        return PullSecret(namespace, None, auths)
    secrets = mirror_state().secrets
    robots = session().execute(
        select(PullRobot, Integration.registry_host)
        .join(Integration, Integration.id == PullRobot.integration_id)
        .where(
            PullRobot.workspace_id == workspace,
            PullRobot.robot_id.is_not(None),
            PullRobot.secret_encrypted.is_not(None),
        )
        .order_by(PullRobot.id)
    )
    for robot, host in robots:
        if robot.projects and robot.secret_encrypted is not None:  # always: the query says so
            auths[host] = (robot.robot_name, secrets.decrypt(robot.secret_encrypted))
    warehouses = session().scalars(
        select(Integration)
        .where(Integration.scope == Scope.WORKSPACE.value, Integration.workspace_id == workspace)
        .order_by(Integration.id)
    )
    shared = session().scalars(
        select(Integration)
        .join(Space, Space.integration_id == Integration.id)
        .join(Binding, Binding.space_id == Space.id)
        .where(
            Integration.kind.in_(kinds_that(lambda driver: driver.shares_pull_credentials)),
            Integration.scope == Scope.PLATFORM.value,
            Integration.share_pull_credentials.is_(True),
            Space.public.is_(False),
            Binding.workspace_id == workspace,
        )
        .distinct()
        .order_by(Integration.id)
    )
    for registry in shared:  # the Admin opted in: these reach the whole registry
        password = stored_password(registry)
        if registry.username and password and registry.registry_host not in auths:
            auths[registry.registry_host] = (registry.username, password)
    for warehouse in warehouses:
        password = stored_password(warehouse)
        if warehouse.username and password and warehouse.registry_host not in auths:
            auths[warehouse.registry_host] = (warehouse.username, password)
    return PullSecret(namespace, workspace, auths)


def render_yaml(manifest: dict[str, Any], indent: int = 0) -> str:
    """Block YAML of a manifest; every string a JSON (so YAML) double-quoted scalar."""
    lines = []
    for key, value in manifest.items():
        prefix = " " * indent + json.dumps(key) + ":"
        if isinstance(value, dict):
            lines.append(prefix)
            lines.append(render_yaml(value, indent + 2))
        else:
            lines.append(f"{prefix} {json.dumps(value)}")
    return "\n".join(lines)
