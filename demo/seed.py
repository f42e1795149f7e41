"""Demo data, loaded idempotently: running it twice changes nothing.

The plugin's rows are written with the plugin's own models through the host's ``db.session``,
the same session the plugin reads through, as a host's fixture loader would.
"""

from __future__ import annotations

from sqlalchemy import select

from mirror_plugin import dbmigrate
from mirror_plugin.models import Binding, Health, Integration, Scope, Space

from .models import Membership, Namespace, User, Workspace, db

PASSWORD = "demo"
WORKSPACES = {"alpha": "Team Alpha", "beta": "Team Beta", "gamma": "Team Gamma"}
# username: (display name, platform admin, {workspace: role})
USERS: dict[str, tuple[str, bool, dict[str, str]]] = {
    "admin": ("Ada Admin", True, {}),
    "alice": ("Alice Anders", False, {"alpha": "admin"}),
    "eddie": ("Eddie Edwards", False, {"alpha": "editor"}),
    "vera": ("Vera Viewer", False, {"alpha": "viewer"}),
    "bob": ("Bob Brown", False, {"beta": "admin"}),
}
NAMESPACES = {
    "cluster-1/alpha-web": "alpha",
    "cluster-1/alpha-jobs": "alpha",
    "cluster-1/beta-api": "beta",
    "cluster-1/sandbox": None,
}
# space: (public, repositories, bound workspaces)
HARBOR_SPACES: dict[str, tuple[bool, int, tuple[str, ...]]] = {
    "library": (True, 12, ()),
    "alpha-private": (False, 3, ("alpha",)),
    "beta-private": (False, 2, ("beta",)),
    "shared-tools": (False, 4, ("alpha", "beta")),
}


def prepare() -> None:
    """Everything ``python -m demo`` needs before serving: migrations, host tables, data."""
    dbmigrate.upgrade()
    db.create_all()
    seed()


def seed() -> None:
    _seed_host()
    _seed_plugin()
    db.session.commit()


def _seed_host() -> None:
    for ws_id, name in WORKSPACES.items():
        if db.session.get(Workspace, ws_id) is None:
            db.session.add(Workspace(id=ws_id, name=name))
    for ns_id, ws_id in NAMESPACES.items():
        if db.session.get(Namespace, ns_id) is None:
            db.session.add(Namespace(id=ns_id, workspace_id=ws_id))
    db.session.flush()
    for username, (display_name, is_admin, roles) in USERS.items():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=display_name, is_platform_admin=is_admin)
            user.set_password(PASSWORD)
            db.session.add(user)
        have = {m.workspace_id for m in user.memberships}
        for ws_id, role in roles.items():
            if ws_id not in have:
                user.memberships.append(Membership(workspace_id=ws_id, role=role))
    db.session.flush()


def _integration(name: str, workspace_id: str, **fields: object) -> Integration:
    row = db.session.scalar(
        select(Integration).where(
            Integration.workspace_id == workspace_id, Integration.name == name
        )
    )
    if row is None:
        scope = Scope.WORKSPACE if workspace_id else Scope.PLATFORM
        row = Integration(name=name, workspace_id=workspace_id, scope=scope.value, **fields)
        db.session.add(row)
        db.session.flush()
    return row


def _space(integration: Integration, name: str, public: bool, repos: int) -> Space:
    row = db.session.scalar(
        select(Space).where(Space.integration_id == integration.id, Space.name == name)
    )
    if row is None:
        row = Space(integration_id=integration.id, name=name, public=public, repo_count=repos)
        db.session.add(row)
        db.session.flush()
    return row


def _seed_plugin() -> None:
    harbor = _integration(
        "harbor-demo",
        "",
        kind="harbor",
        url="https://harbor.demo.local",
        registry_host="harbor.demo.local",
        health=Health.HEALTHY.value,
        description="The platform's Harbor (demo data, not a live registry).",
    )
    for name, (public, repos, workspaces) in HARBOR_SPACES.items():
        space = _space(harbor, name, public, repos)
        bound = set(
            db.session.scalars(select(Binding.workspace_id).where(Binding.space_id == space.id))
        )
        for ws_id in workspaces:
            if ws_id not in bound:
                db.session.add(Binding(space_id=space.id, workspace_id=ws_id, created_by="seed"))
    warehouse = _integration(
        "alpha-registry",
        "alpha",
        kind="docker",
        url="http://registry.alpha.local:5000",
        registry_host="registry.alpha.local:5000",
        description="Team Alpha's own Docker Registry.",
    )
    _space(warehouse, "apps", False, 2)
