"""Demo data, loaded idempotently: running it twice changes nothing.

The console's own rows (users, workspaces, namespaces) are written directly. The plugin's are
made the way an operator would make them: the platform integration ``harbor-sandbox`` through
the plugin's service (which checks the credentials against the registry) and a sync, which
brings in the sandbox's projects as spaces. Bindings are rows written with the plugin's model,
since the binding feature has no service yet. No workspace warehouse is seeded: connecting one
through the pages is what the sandbox's robot account is for.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from mirror_plugin import dbmigrate
from mirror_plugin.models import Binding, Integration, Space
from mirror_plugin.services import integrations as service
from mirror_plugin.services.sync import sync

from .admission import register_cluster
from .models import Membership, Namespace, User, Workspace, db
from .sandbox import HARBOR_ADMIN

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
SANDBOX_INTEGRATION = "harbor-sandbox"
SANDBOX_DESCRIPTION = "The demo's registry sandbox: a Harbor emulator on loopback."
# private space of the sandbox: the workspaces it is bound to
BINDINGS: dict[str, tuple[str, ...]] = {
    "alpha-private": ("alpha",),
    "beta-private": ("beta",),
    "shared-tools": ("alpha", "beta"),
}
#: Registries of earlier demo versions, seeded as unreachable fake rows: removed on upgrade.
_LEGACY_HOSTS = ("harbor.demo.local", "registry.alpha.local:5000")


def prepare(harbor_url: str | None = None) -> None:
    """Everything ``python -m demo`` needs before serving: migrations, host tables, data.

    ``harbor_url`` is the running sandbox (default: the app's ``DEMO_HARBOR_URL``); without one
    only the console's own rows are seeded.
    """
    dbmigrate.upgrade()
    db.create_all()
    seed(harbor_url)


def seed(harbor_url: str | None = None) -> None:
    _seed_host()
    db.session.commit()
    _drop_legacy_rows()
    url = harbor_url or current_app.config.get("DEMO_HARBOR_URL")
    if url:
        row = _sandbox_integration(url)
        sync(row, actor="seed")
        _bind(row)
    db.session.commit()
    register_cluster(url)


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


def _drop_legacy_rows() -> None:
    legacy = db.session.scalars(
        select(Integration).where(Integration.registry_host.in_(_LEGACY_HOSTS))
    ).all()
    for row in legacy:
        service.delete(row, actor="seed")


def _sandbox_integration(url: str) -> Integration:
    """``harbor-sandbox`` at ``url``: created, or re-pointed when the sandbox moved port."""
    row = db.session.scalar(
        select(Integration).where(
            Integration.workspace_id == "", Integration.name == SANDBOX_INTEGRATION
        )
    )
    if row is not None and row.url == url.rstrip("/"):
        return row
    username, password = HARBOR_ADMIN
    data = service.IntegrationInput(
        name=SANDBOX_INTEGRATION,
        kind="harbor",
        url=url,
        username=username,
        # Given again on update too: the service wants the password whenever the URL changes.
        password=password,
        description=SANDBOX_DESCRIPTION,
    )
    return service.save(data, actor="seed", existing=row)


def _bind(row: Integration) -> None:
    spaces = {
        space.name: space
        for space in db.session.scalars(select(Space).where(Space.integration_id == row.id))
    }
    for name, workspaces in BINDINGS.items():
        space = spaces.get(name)
        if space is None:  # the sandbox always has it; a stale sync would not
            continue
        bound = set(
            db.session.scalars(select(Binding.workspace_id).where(Binding.space_id == space.id))
        )
        for ws_id in workspaces:
            if ws_id not in bound:
                db.session.add(Binding(space_id=space.id, workspace_id=ws_id, created_by="seed"))
