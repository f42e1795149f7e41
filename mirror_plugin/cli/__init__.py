"""``flask mirror ...``: the operator's commands (group name: ``MIRROR_CLI_GROUP``). May import
``services`` and below, never ``web``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click
from flask.cli import AppGroup

from mirror_plugin import dbmigrate
from mirror_plugin.i18n import _, use_terminal_locale
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.state import mirror_state


class TerminalLanguageGroup(AppGroup):
    """The ``flask mirror`` group: its commands' sentences and help texts (lazy msgids) in the
    terminal's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG).

    The terminal's locale is read before anything of the group is parsed, not in the group's
    callback: ``--help`` is answered while the arguments are parsed, before any callback runs,
    and ``flask --help`` lists the group by its short help without entering it at all.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        use_terminal_locale()
        return super().make_context(info_name, args, parent, **extra)

    def get_short_help_str(self, limit: int = 45) -> str:
        use_terminal_locale()
        return super().get_short_help_str(limit)


class LazyHelpOption(click.Option):
    """An option whose help is a lazy msgid, worded when ``--help`` is shown: click's
    ``Parameter`` turns its help into a plain string when the command is defined, at import,
    in no terminal's language yet."""

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = help

    @property
    def help(self) -> str | None:
        return None if self._lazy_help is None else str(self._lazy_help)

    @help.setter
    def help(self, value: str | None) -> None:
        self._lazy_help = value


def option(*param_decls: str, **attrs: Any) -> Callable[[Callable[..., Any]], Any]:
    """``click.option`` for the ``flask mirror`` commands: help texts in the terminal's
    language (``help=_l("...")``)."""
    return click.option(*param_decls, cls=LazyHelpOption, **attrs)


mirror_cli = TerminalLanguageGroup(
    "mirror", help=_l("Mirror Warehouse: migrations, registries and the deploy hook.")
)
db_cli = AppGroup("db", help=_l("The plugin's own database migrations (its own version table)."))
mirror_cli.add_command(db_cli)


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


@mirror_cli.command(
    "check", help=_l("May IMAGE be deployed into NAMESPACE? Exit 0 allowed, 1 denied, 2 bad input.")
)
@click.argument("namespace")
@click.argument("image")
@option("--json", "as_json", is_flag=True, help=_l("Print the decision as JSON."))
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
