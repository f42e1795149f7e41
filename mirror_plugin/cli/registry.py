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

from mirror_plugin.cli.base import command, group, option
from mirror_plugin.i18n import _, ngettext
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.models import Integration, RegistryKind
from mirror_plugin.models.jobs import JobStatus
from mirror_plugin.services import integrations as service
from mirror_plugin.services.errors import Conflict, InvalidInput
from mirror_plugin.services.job_text import job_error_text, result_summary
from mirror_plugin.services.jobs import enqueue, run_or_wait, wait_timeout
from mirror_plugin.state import mirror_state, session

ACTOR = "cli"


@group("registry", help=_l("Connect, list, test and remove registries."))
def registry_cli() -> None: ...


def find_registry(name: str, workspace: str | None) -> Integration:
    row = session().scalar(
        select(Integration).where(
            Integration.name == name, Integration.workspace_id == (workspace or "")
        )
    )
    if row is None:
        raise click.ClickException(
            _(
                "No registry named %(name)r in workspace %(workspace)s.",
                name=name,
                workspace=workspace,
            )
            if workspace
            else _("No registry named %(name)r on the platform.", name=name)
        )
    return row


def _password(stdin: bool, env: str | None) -> str | None:
    if stdin and env:
        raise click.UsageError(_("Use either --password-stdin or --password-env, not both."))
    if stdin:
        return sys.stdin.readline().rstrip("\r\n") or None
    if env:
        if env not in os.environ:
            raise click.UsageError(_("Environment variable %(name)s is not set.", name=env))
        return os.environ[env] or None
    return None


@registry_cli.command(
    "add", help=_l("Connect the registry at URL as NAME (credentials are checked first).")
)
@click.argument("name")
@click.argument("url")
@option("--kind", type=click.Choice([kind.value for kind in RegistryKind]), required=True)
@option("--username", default="")
@option("--password-stdin", is_flag=True, help=_l("Read the password from standard input."))
@option("--password-env", metavar="VAR", help=_l("Read the password from this variable."))
@option("--workspace", metavar="ID", help=_l("Connect for this workspace only."))
@option("--ca-bundle", type=click.File("r"), help=_l("PEM file of CAs to trust."))
@option("--insecure-skip-verify", is_flag=True, help=_l("Do not verify TLS certificates."))
@option("--description", default="")
@option("--no-sync", is_flag=True, help=_l("Do not sync spaces right away."))
@option(
    "--alias",
    "aliases",
    multiple=True,
    metavar="HOST[:PORT]",
    help=_l("Another name images use for this registry (repeatable)."),
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
    click.echo(_("Connected %(name)s (%(url)s).", name=row.name, url=row.url))
    if not no_sync:
        _sync_one(row)


def _save(
    data: service.IntegrationInput, *, workspace_id: str = "", existing: Integration | None = None
) -> Integration:
    try:
        return service.save(data, actor=ACTOR, workspace_id=workspace_id, existing=existing)
    except InvalidInput as exc:
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None


@registry_cli.command(
    "edit", help=_l("Change NAME's aliases or description (the connection is checked again).")
)
@click.argument("name")
@option("--workspace", metavar="ID", help=_l("A workspace's warehouse."))
@option(
    "--alias",
    "aliases",
    multiple=True,
    metavar="HOST[:PORT]",
    help=_l("Replace the other names of the registry with these (repeatable)."),
)
@option("--no-aliases", is_flag=True, help=_l("Remove every other name."))
@option("--description", default=None)
def edit_command(
    name: str,
    workspace: str | None,
    aliases: tuple[str, ...],
    no_aliases: bool,
    description: str | None,
) -> None:
    row = find_registry(name, workspace)
    if aliases and no_aliases:
        raise click.UsageError(_("Give --alias or --no-aliases, not both."))
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
    shown = ", ".join(row.aliases) or _("none")
    click.echo(
        _(
            "Updated %(name)s; other names: %(aliases)s; addresses: %(addresses)s.",
            name=row.name,
            aliases=shown,
            addresses=", ".join(row.addresses),
        )
    )


@registry_cli.command(
    "list", help=_l("List registries with their status (passwords are never shown).")
)
@option("--workspace", metavar="ID", help=_l("Only this workspace's warehouses."))
def list_command(workspace: str | None) -> None:
    query = select(Integration).order_by(Integration.workspace_id, Integration.name)
    if workspace:
        query = query.where(Integration.workspace_id == workspace)
    rows = list(session().scalars(query))
    if not rows:
        click.echo(_("No registry connected."))
    for row in rows:
        scope = f"workspace {row.workspace_id}" if row.workspace_id else "platform"
        error = f" - {row.last_error}" if row.last_error else ""
        aliases = f" (also {', '.join(row.aliases)})" if row.aliases else ""
        click.echo(f"{row.name}\t{row.kind}\t{row.url}{aliases}\t{scope}\t{row.health}{error}")


@registry_cli.command("test", help=_l("Test the saved connection of NAME; exit 1 when it fails."))
@click.argument("name")
@option("--workspace", metavar="ID")
def test_command(name: str, workspace: str | None) -> None:
    row = find_registry(name, workspace)
    report = service.test_saved(row)
    session().commit()
    click.echo(report.message)
    if not report.ok:
        sys.exit(1)


@registry_cli.command("remove", help=_l("Remove NAME with its spaces and bindings."))
@click.argument("name")
@option("--workspace", metavar="ID")
@option("--yes", is_flag=True, help=_l("Do not ask for confirmation."))
def remove_command(name: str, workspace: str | None, yes: bool) -> None:
    row = find_registry(name, workspace)
    bindings = service.binding_count(row)
    if not yes:
        click.confirm(
            ngettext(
                "Remove %(name)s and its %(num)s binding?",
                "Remove %(name)s and its %(num)s bindings?",
                bindings,
                name=name,
            ),
            abort=True,
        )
    removed = service.delete(row, actor=ACTOR)
    click.echo(
        ngettext(
            "Removed %(name)s and its %(num)s binding.",
            "Removed %(name)s and its %(num)s bindings.",
            bindings,
            name=name,
        )
    )
    if removed.robots.warning:
        click.echo(removed.robots.warning, err=True)


def _sync_one(row: Integration) -> bool:
    """Sync through the job table, here and now (cron waits for the result); a sync already
    queued is run here, one already running elsewhere is waited for."""
    name = row.name
    job, _created = enqueue("sync", row, actor=ACTOR)
    with click.progressbar(length=1, label=_("Syncing %(name)s", name=name)) as bar:

        def progress(done: int, total: int) -> None:
            if total and bar.length != total:
                bar.length = total
            bar.update(done - bar.pos)

        finished = run_or_wait(job.id, timeout=wait_timeout(), on_progress=progress)
        if finished is not None and finished.status == JobStatus.SUCCEEDED.value:
            bar.update((bar.length or 0) - bar.pos)  # length is set (1 at the start)
    if finished is None or not finished.finished:
        click.echo(
            "\n"
            + _("%(name)s: sync still running as job %(job)s elsewhere.", name=name, job=job.id),
            err=True,
        )
        return False
    if finished.status != JobStatus.SUCCEEDED.value:
        click.echo(
            "\n" + _("%(name)s: sync failed: %(error)s", name=name, error=job_error_text(finished)),
            err=True,
        )
        return False
    click.echo(f"{name}: {result_summary(finished) or ''}")
    return True


@command("sync", help=_l("Sync the spaces of every registry (or one); exit 1 if any failed."))
@option("--registry", "name", metavar="NAME", help=_l("Only this registry."))
@option("--workspace", metavar="ID", help=_l("With --registry: a workspace's warehouse."))
def sync_command(name: str | None, workspace: str | None) -> None:
    rows = (
        [find_registry(name, workspace)]
        if name
        else list(session().scalars(select(Integration).order_by(Integration.name)))
    )
    failed = [row.name for row in rows if not _sync_one(row)]
    if failed:
        raise click.ClickException(_("Sync failed for: %(names)s.", names=", ".join(failed)))
    current_app.logger.info("mirror sync finished for %d registries", len(rows))


@command(
    "health",
    help=_l("Probe every registry once and record its health (for cron); exit 1 if any is down."),
)
def health_command() -> None:
    results = mirror_state().health.run_once()
    for name, ok in sorted(results.items()):
        click.echo(f"{name}\t{'healthy' if ok else 'unhealthy'}")
    if not all(results.values()):
        sys.exit(1)


def register(mirror: click.Group) -> None:
    mirror.add_command(registry_cli)
    mirror.add_command(sync_command)
    mirror.add_command(health_command)
