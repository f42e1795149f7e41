"""``flask mirror ...``: the operator's commands (group name: ``MIRROR_CLI_GROUP``)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from mirror_plugin import dbmigrate
from mirror_plugin.i18n import _, use_terminal_locale
from mirror_plugin.state import mirror_state

mirror_cli = AppGroup(
    "mirror",
    help="Mirror Warehouse: migrations, registries and the deploy hook.",
    # Every command's sentences in the terminal's language (LANGUAGE, LC_ALL, LANG...).
    callback=use_terminal_locale,
)
db_cli = AppGroup("db", help="The plugin's own database migrations (its own version table).")
mirror_cli.add_command(db_cli)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the plugin's tables to REVISION (default: head)."""
    dbmigrate.upgrade(revision)
    click.echo(_("mirror_plugin schema at %(revision)s", revision=dbmigrate.current()))


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the plugin's tables to REVISION ('base' removes them)."""
    dbmigrate.downgrade(revision)
    click.echo(_("mirror_plugin schema at %(revision)s", revision=dbmigrate.current() or "base"))


@db_cli.command("current")
def db_current() -> None:
    """Print the revision the plugin's tables are at."""
    click.echo(dbmigrate.current() or _("base (not migrated yet)"))


@db_cli.command("check")
def db_check() -> None:
    """Exit 1 unless the tables are at head and match the models."""
    ok, sentence = dbmigrate.check()
    click.echo(sentence)
    if not ok:
        sys.exit(1)


@mirror_cli.command("check")
@click.argument("namespace")
@click.argument("image")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def check_command(namespace: str, image: str, as_json: bool) -> None:
    """May IMAGE be deployed into NAMESPACE? Exit 0 allowed, 1 denied, 2 bad input."""
    from mirror_plugin.policy.rule import Reason

    plugin = mirror_state().plugin
    decision = plugin.check_image(namespace, image)
    if as_json:
        click.echo(json.dumps(decision.to_dict()))
    else:
        verdict = _("allowed") if decision.allowed else _("denied")
        click.echo(f"{verdict} ({decision.reason.value}): {decision.message}")
    if decision.reason in (Reason.INVALID_REFERENCE, Reason.UNKNOWN_NAMESPACE):
        sys.exit(2)
    sys.exit(0 if decision.allowed else 1)
