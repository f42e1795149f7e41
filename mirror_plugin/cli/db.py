"""``flask mirror db upgrade|downgrade|current|check``: the plugin's own migrations."""

from __future__ import annotations

import sys

import click

from mirror_plugin import dbmigrate
from mirror_plugin.cli.base import group
from mirror_plugin.i18n import _
from mirror_plugin.i18n import lazy_gettext as _l


@group("db", help=_l("The plugin's own database migrations (its own version table)."))
def db_cli() -> None: ...


@db_cli.command("upgrade", help=_l("Upgrade the plugin's tables to REVISION (default: head)."))
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    dbmigrate.upgrade(revision)
    click.echo(_("mirror_plugin schema at %(revision)s", revision=dbmigrate.current()))


@db_cli.command(
    "downgrade", help=_l("Downgrade the plugin's tables to REVISION ('base' removes them).")
)
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    dbmigrate.downgrade(revision)
    click.echo(_("mirror_plugin schema at %(revision)s", revision=dbmigrate.current() or "base"))


@db_cli.command("current", help=_l("Print the revision the plugin's tables are at."))
def db_current() -> None:
    click.echo(dbmigrate.current() or _("base (not migrated yet)"))


@db_cli.command("check", help=_l("Exit 1 unless the tables are at head and match the models."))
def db_check() -> None:
    ok, sentence = dbmigrate.check()
    click.echo(sentence)
    if not ok:
        sys.exit(1)


def register(mirror: click.Group) -> None:
    mirror.add_command(db_cli)
