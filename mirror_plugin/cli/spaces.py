"""``flask mirror spaces|bind|unbind``: the Warehouse Space page for operators."""

from __future__ import annotations

import click
from sqlalchemy import select

from mirror_plugin.cli.base import command, option
from mirror_plugin.cli.registry import ACTOR, find_registry
from mirror_plugin.i18n import _
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.models import Space
from mirror_plugin.services import bindings, spaces
from mirror_plugin.services.errors import InvalidInput
from mirror_plugin.state import session


def _space(registry: str, name: str) -> Space:
    integration = find_registry(registry, None)
    space = session().scalar(
        select(Space).where(Space.integration_id == integration.id, Space.name == name)
    )
    if space is None:
        raise click.ClickException(
            _(
                "%(registry)s has no space %(name)r; run 'flask mirror sync'.",
                registry=registry,
                name=name,
            )
        )
    return space


@command("spaces", help=_l("List REGISTRY's spaces with their visibility and bound workspaces."))
@click.argument("registry")
@option("--private", "tab", flag_value="private", help=_l("Only private spaces."))
@option("--public", "tab", flag_value="public", help=_l("Only public spaces."))
def spaces_command(registry: str, tab: str | None) -> None:
    integration = find_registry(registry, None)
    page = spaces.list_spaces(integration, tab=tab or "all", per_page=10**6)
    for space in page.items:
        bound = ", ".join(page.bindings[space.id]) or "No binding"
        click.echo(
            f"{space.name}\t{'public' if space.public else 'private'}\t"
            f"{space.repo_count} repositories\t{bound}"
        )
    if not page.items:
        click.echo(_("No spaces (run 'flask mirror sync')."))


def _run(operation: str, registry: str, space: str, workspaces: tuple[str, ...]) -> None:
    target = _space(registry, space)
    try:
        change = (bindings.bind if operation == "bind" else bindings.unbind)(
            [target.id], workspaces, actor=ACTOR
        )[0]
    except InvalidInput as exc:
        raise click.ClickException("; ".join(exc.errors.values())) from None
    done = change.bound if operation == "bind" else change.unbound
    names = {
        "done": ", ".join(done) or _("nothing new"),
        "now": ", ".join(change.workspaces) or _("no workspace"),
    }
    sentence = (
        _("Bound %(space)s to %(done)s; now bound to %(now)s.", space=space, **names)
        if operation == "bind"
        else _("Unbound %(space)s from %(done)s; now bound to %(now)s.", space=space, **names)
    )
    click.echo(sentence)


@command(
    "bind", help=_l("Bind SPACE of REGISTRY to WORKSPACES (ids); binding twice changes nothing.")
)
@click.argument("registry")
@click.argument("space")
@click.argument("workspaces", nargs=-1, required=True)
def bind_command(registry: str, space: str, workspaces: tuple[str, ...]) -> None:
    _run("bind", registry, space, workspaces)


@command("unbind", help=_l("Unbind SPACE of REGISTRY from WORKSPACES (ids)."))
@click.argument("registry")
@click.argument("space")
@click.argument("workspaces", nargs=-1, required=True)
def unbind_command(registry: str, space: str, workspaces: tuple[str, ...]) -> None:
    _run("unbind", registry, space, workspaces)


def register(mirror: click.Group) -> None:
    mirror.add_command(spaces_command)
    mirror.add_command(bind_command)
    mirror.add_command(unbind_command)
