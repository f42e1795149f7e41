"""``flask mirror check NAMESPACE IMAGE``: the deploy hook's decision, for scripts and CI."""

from __future__ import annotations

import json
import sys

import click

from mirror_plugin.cli.base import command, option
from mirror_plugin.i18n import _
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.state import mirror_state


@command(
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


def register(mirror: click.Group) -> None:
    mirror.add_command(check_command)
