"""``flask mirror ...``: the operator's commands (group name: ``MIRROR_CLI_GROUP``). May import
``services`` and below, never ``web``.

Every command of an area is listed in its module's ``register(group)``, and :func:`build_group`
names the areas, as ``web.blueprint`` does for URL rules: importing a module changes no group.
"""

from __future__ import annotations

from mirror_plugin.cli import db, hook, jobs, pull, registry, spaces
from mirror_plugin.cli.base import TerminalLanguageGroup
from mirror_plugin.i18n import lazy_gettext as _l

#: The areas whose commands make up ``flask mirror``, in the order ``--help`` lists groups.
AREAS = (db, hook, registry, spaces, pull, jobs)


def build_group() -> TerminalLanguageGroup:
    """A new ``flask mirror`` group with every area's commands (``admission`` adds its own)."""
    mirror = TerminalLanguageGroup(
        "mirror", help=_l("Mirror Warehouse: migrations, registries and the deploy hook.")
    )
    for area in AREAS:
        area.register(mirror)
    return mirror
