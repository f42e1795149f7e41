"""``flask mirror pull-secret`` and ``flask mirror pull status|rotate|reconcile``.

``pull-secret`` is the only command that prints credentials (for ``kubectl apply -f -``);
``status`` shows robot names, projects and expiry, never secrets.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from mirror_plugin.adapter import UnknownNamespace
from mirror_plugin.cli.base import command, option
from mirror_plugin.i18n import _, ngettext
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.models import Integration
from mirror_plugin.models.pull import PullOutbox, PullRobot
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.registry.harbor import HarborClient
from mirror_plugin.registry.harbor_robots import RobotClient
from mirror_plugin.services.pull import Outcome
from mirror_plugin.services.pull_reconcile import reconcile
from mirror_plugin.services.pull_secret import pull_secret, render_yaml
from mirror_plugin.services.registry_client import http_for_row
from mirror_plugin.state import session

pull_cli = AppGroup("pull", help=_l("Pull access: Harbor robots that follow the bindings."))


@command(
    "pull-secret",
    help=_l(
        "Print NAMESPACE's pull Secret (kubernetes.io/dockerconfigjson) for kubectl apply -f -."
    ),
)
@click.argument("namespace")
@option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml")
@option(
    "--k8s-namespace",
    default=None,
    help=_l("Kubernetes namespace of the Secret (default: NAMESPACE)."),
)
@option("--name", default=None, help=_l("Secret name (default: MIRROR_PULL_SECRET_NAME)."))
def pull_secret_command(
    namespace: str, output: str, k8s_namespace: str | None, name: str | None
) -> None:
    try:
        secret = pull_secret(namespace)
    except UnknownNamespace:
        click.echo(
            _("Unknown namespace %(namespace)r: the host does not know it.", namespace=namespace),
            err=True,
        )
        sys.exit(2)
    try:
        manifest = secret.manifest(k8s_namespace or namespace, name)
    except ValueError as exc:
        click.echo(_("%(error)s Use --k8s-namespace NS / --name NAME.", error=exc), err=True)
        sys.exit(2)
    if output == "json":
        click.echo(json.dumps(manifest, indent=2))
    else:
        click.echo(render_yaml(manifest))


@pull_cli.command(
    "status", help=_l("Each workspace's robot, its projects, expiry, and whether Harbor agrees.")
)
def status_command() -> None:
    rows = (
        session()
        .execute(
            select(PullRobot, Integration)
            .join(Integration, Integration.id == PullRobot.integration_id)
            .order_by(Integration.name, PullRobot.workspace_id)
        )
        .all()
    )
    clients: dict[int, RobotClient] = {}
    for robot, integration in rows:
        client = clients.setdefault(
            integration.id, RobotClient(HarborClient(http_for_row(integration)))
        )
        try:
            state = client.get(robot.robot_id) if robot.robot_id is not None else None
            if state is None:
                agrees = "no: missing in Harbor"
            elif (
                state.disabled
                or state.extra_permissions
                or state.pull_projects != set(robot.projects)
            ):
                agrees = f"no: Harbor has {', '.join(sorted(state.pull_projects)) or 'nothing'}"
            else:
                agrees = "yes"
        except RegistryError as exc:
            agrees = f"unknown: {exc.message}"
        expiry = robot.expires_at.isoformat() if robot.expires_at else "never"
        click.echo(
            f"{integration.name}\t{robot.workspace_id}\t{robot.robot_name or '-'}\t"
            f"{', '.join(robot.projects) or '-'}\texpires {expiry}\tHarbor agrees: {agrees}"
        )
    pending = (
        session()
        .execute(
            select(
                PullOutbox.workspace_id,
                func.count(),
                func.min(PullOutbox.created_at),
                func.max(PullOutbox.last_error),
            )
            .where(PullOutbox.done_at.is_(None))
            .group_by(PullOutbox.workspace_id)
            .order_by(PullOutbox.workspace_id)
        )
        .all()
    )
    for workspace, count, since, error in pending:
        click.echo(
            f"pending\t{workspace}\t{count} change(s) since {since.isoformat()}"
            + (f"\tlast error: {error}" if error else "")
        )
    if not rows and not pending:
        click.echo(_("No pull robots: no private space is bound to a workspace."))


def _report(outcomes: list[Outcome]) -> None:
    failed = 0
    for outcome in outcomes:
        if outcome.error:
            failed += 1
            click.echo(f"{outcome.integration}\t{outcome.workspace}\tfailed: {outcome.error}")
        elif outcome.action != "ok":
            click.echo(
                f"{outcome.integration}\t{outcome.workspace}\t{outcome.action}\t"
                + ", ".join(outcome.projects)
            )
    click.echo(
        ngettext(
            "%(num)s robot checked, %(failed)s failed.",
            "%(num)s robots checked, %(failed)s failed.",
            len(outcomes),
            failed=failed,
        )
    )
    if failed:
        sys.exit(1)


@pull_cli.command(
    "reconcile",
    help=_l("Apply queued robot changes now and repair robots changed in Harbor (for cron)."),
)
def reconcile_command() -> None:
    _report(reconcile(drift=True, due_only=False))


@pull_cli.command(
    "rotate", help=_l("Refresh the secret of WORKSPACE's robots (every robot without WORKSPACE).")
)
@click.argument("workspace", required=False)
def rotate_command(workspace: str | None) -> None:
    _report(reconcile(rotate=True, due_only=False, workspaces=[workspace] if workspace else None))


def register(mirror: click.Group) -> None:
    mirror.add_command(pull_cli)
    mirror.add_command(pull_secret_command)
