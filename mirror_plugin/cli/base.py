"""What every ``flask mirror`` command is made with: the group that speaks the terminal's
language, options whose help is translated when shown, and the command and group decorators
that run a command inside the app's context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from mirror_plugin.i18n import use_terminal_locale


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


def command(name: str, **attrs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """A command of the ``flask mirror`` group, run inside the app's context (as
    ``AppGroup.command`` does); its module's ``register(group)`` adds it."""

    def decorate(function: Callable[..., Any]) -> click.Command:
        in_context: Callable[..., Any] = with_appcontext(function)
        # click.command's overloads leave the decorator untyped when given **attrs.
        made: click.Command = click.command(name, **attrs)(in_context)  # type: ignore[no-untyped-call]
        return made

    return decorate


def group(name: str, **attrs: Any) -> Callable[[Callable[..., Any]], AppGroup]:
    """A sub-group of ``flask mirror`` whose commands run inside the app's context."""

    def decorate(function: Callable[..., Any]) -> AppGroup:
        made: AppGroup = click.group(name, cls=AppGroup, **attrs)(function)
        return made

    return decorate
