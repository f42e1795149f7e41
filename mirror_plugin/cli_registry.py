"""``flask mirror registry ...`` and ``flask mirror sync``: operators' commands.

Passwords come from standard input (``--password-stdin``) or an environment variable
(``--password-env NAME``), never from an argument, which would land in shell history and
``ps`` output.
"""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from sqlalchemy import select

from . import integrations as service
from .cli import mirror_cli
from .labels import counted
from .models import Integration
from .registry.errors import RegistryError
from .sync import sync

ACTOR = "cli"


@mirror_cli.group("registry")
def registry_cli() -> None:
    """Connect, list, test and remove registries."""


def find_registry(name: str, workspace: str | None) -> Integration:
    row = service.session().scalar(
        select(Integration).where(
            Integration.name == name, Integration.workspace_id == (workspace or "")
        )
    )
    if row is None:
        where = f"workspace {workspace}" if workspace else "the platform"
        raise click.ClickException(f"No registry named {name!r} in {where}.")
    return row


def _password(stdin: bool, env: str | None) -> str | None:
    if stdin and env:
        raise click.UsageError("Use either --password-stdin or --password-env, not both.")
    if stdin:
        return sys.stdin.readline().rstrip("\r\n") or None
    if env:
        if env not in os.environ:
            raise click.UsageError(f"Environment variable {env} is not set.")
        return os.environ[env] or None
    return None


@registry_cli.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(["harbor", "docker"]), required=True)
@click.option("--username", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--password-env", metavar="VAR", help="Read the password from this variable.")
@click.option("--workspace", metavar="ID", help="Connect for this workspace only.")
@click.option("--ca-bundle", type=click.File("r"), help="PEM file of CAs to trust.")
@click.option("--insecure-skip-verify", is_flag=True, help="Do not verify TLS certificates.")
@click.option("--description", default="")
@click.option("--no-sync", is_flag=True, help="Do not sync spaces right away.")
@click.option(
    "--alias",
    "aliases",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Another name images use for this registry (repeatable).",
)
def add_command(
    name: str,
    url: str,
    kind: str,
    username: str,
    password_stdin: bool,
    password_env: str | None,
    workspace: str | None,
    ca_bundle: click.File | None,
    insecure_skip_verify: bool,
    description: str,
    no_sync: bool,
    aliases: tuple[str, ...],
) -> None:
    """Connect the registry at URL as NAME (credentials are checked first)."""
    data = service.IntegrationInput(
        name=name,
        kind=kind,
        url=url,
        username=username,
        password=_password(password_stdin, password_env),
        verify_tls=not insecure_skip_verify,
        ca_bundle=ca_bundle.read() if ca_bundle else "",  # type: ignore[attr-defined]
        description=description,
        aliases=list(aliases),
    )
    row = _save(data, workspace_id=workspace or "")
    click.echo(f"Connected {row.name} ({row.url}).")
    if not no_sync:
        _sync_one(row)


def _save(
    data: service.IntegrationInput, *, workspace_id: str = "", existing: Integration | None = None
) -> Integration:
    try:
        return service.save(data, actor=ACTOR, workspace_id=workspace_id, existing=existing)
    except service.InvalidInput as exc:
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
    except service.Conflict as exc:
        raise click.ClickException(str(exc)) from None


@registry_cli.command("edit")
@click.argument("name")
@click.option("--workspace", metavar="ID", help="A workspace's warehouse.")
@click.option(
    "--alias",
    "aliases",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Replace the other names of the registry with these (repeatable).",
)
@click.option("--no-aliases", is_flag=True, help="Remove every other name.")
@click.option("--description", default=None)
def edit_command(
    name: str,
    workspace: str | None,
    aliases: tuple[str, ...],
    no_aliases: bool,
    description: str | None,
) -> None:
    """Change NAME's aliases or description (the connection is checked again)."""
    row = find_registry(name, workspace)
    if aliases and no_aliases:
        raise click.UsageError("Give --alias or --no-aliases, not both.")
    data = service.IntegrationInput(
        name=row.name,
        kind=row.kind,
        url=row.url,
        username=row.username,
        verify_tls=row.verify_tls,
        ca_bundle=row.ca_bundle or "",
        description=row.description if description is None else description,
        aliases=[] if no_aliases else (list(aliases) if aliases else None),
    )
    row = _save(data, existing=row)
    shown = ", ".join(row.aliases) or "none"
    click.echo(f"Updated {row.name}; other names: {shown}; addresses: {', '.join(row.addresses)}.")


@registry_cli.command("list")
@click.option("--workspace", metavar="ID", help="Only this workspace's warehouses.")
def list_command(workspace: str | None) -> None:
    """List registries with their status (passwords are never shown)."""
    query = select(Integration).order_by(Integration.workspace_id, Integration.name)
    if workspace:
        query = query.where(Integration.workspace_id == workspace)
    rows = list(service.session().scalars(query))
    if not rows:
        click.echo("No registry connected.")
    for row in rows:
        scope = f"workspace {row.workspace_id}" if row.workspace_id else "platform"
        error = f" - {row.last_error}" if row.last_error else ""
        aliases = f" (also {', '.join(row.aliases)})" if row.aliases else ""
        click.echo(f"{row.name}\t{row.kind}\t{row.url}{aliases}\t{scope}\t{row.health}{error}")


@registry_cli.command("test")
@click.argument("name")
@click.option("--workspace", metavar="ID")
def test_command(name: str, workspace: str | None) -> None:
    """Test the saved connection of NAME; exit 1 when it fails."""
    row = find_registry(name, workspace)
    report = service.test_saved(row)
    service.session().commit()
    click.echo(report.message)
    if not report.ok:
        sys.exit(1)


@registry_cli.command("remove")
@click.argument("name")
@click.option("--workspace", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_command(name: str, workspace: str | None, yes: bool) -> None:
    """Remove NAME with its spaces and bindings."""
    row = find_registry(name, workspace)
    bindings = service.binding_count(row)
    if not yes:
        what = counted(bindings, "binding", "bindings")
        click.confirm(f"Remove {name} and its {what}?", abort=True)
    removed = service.delete(row, actor=ACTOR)
    click.echo(f"Removed {name} and its {counted(bindings, 'binding', 'bindings')}.")
    if removed.robots.warning:
        click.echo(removed.robots.warning, err=True)


def _sync_one(row: Integration) -> bool:
    with click.progressbar(length=1, label=f"Syncing {row.name}") as bar:

        def progress(done: int, total: int) -> None:
            if total and bar.length != total:
                bar.length = total
            bar.update(done - bar.pos)

        try:
            report = sync(row, actor=ACTOR, progress=progress)
        except RegistryError as exc:
            click.echo(f"\n{row.name}: sync failed: {exc.message}", err=True)
            return False
        bar.update(bar.length - bar.pos)
    click.echo(f"{row.name}: {report.summary}")
    return True


@mirror_cli.command("sync")
@click.option("--registry", "name", metavar="NAME", help="Only this registry.")
@click.option("--workspace", metavar="ID", help="With --registry: a workspace's warehouse.")
def sync_command(name: str | None, workspace: str | None) -> None:
    """Sync the spaces of every registry (or one); exit 1 if any failed."""
    rows = (
        [find_registry(name, workspace)]
        if name
        else list(service.session().scalars(select(Integration).order_by(Integration.name)))
    )
    failed = [row.name for row in rows if not _sync_one(row)]
    if failed:
        raise click.ClickException(f"Sync failed for: {', '.join(failed)}.")
    current_app.logger.info("mirror sync finished for %d registries", len(rows))


@mirror_cli.command("health")
def health_command() -> None:
    """Probe every registry once and record its health (for cron); exit 1 if any is down."""
    results = current_app.extensions["mirror_plugin"].health.run_once()
    for name, ok in sorted(results.items()):
        click.echo(f"{name}\t{'healthy' if ok else 'unhealthy'}")
    if not all(results.values()):
        sys.exit(1)
