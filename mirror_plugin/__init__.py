"""mirror_plugin: share registry mirror spaces with workspaces in a Flask container console.

The names below are loaded when first used (PEP 562), so ``import mirror_plugin`` costs
nothing until a host asks for :class:`MirrorPlugin`; Alembic and the registry HTTP stack load
later still, where a migration runs or a registry is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mirror_plugin.adapter import HostAdapter, Principal, Role, UnknownNamespace, Workspace
    from mirror_plugin.dbmigrate import exclude_from_host
    from mirror_plugin.extension import FilterResult, MenuItem, MirrorPlugin
    from mirror_plugin.models import mirror_metadata
    from mirror_plugin.policy.rule import Check, Decision, Explanation, Reason

_HOMES = {
    "Check": "mirror_plugin.policy.rule",
    "Decision": "mirror_plugin.policy.rule",
    "Explanation": "mirror_plugin.policy.rule",
    "Reason": "mirror_plugin.policy.rule",
    "FilterResult": "mirror_plugin.extension",
    "MenuItem": "mirror_plugin.extension",
    "MirrorPlugin": "mirror_plugin.extension",
    "HostAdapter": "mirror_plugin.adapter",
    "Principal": "mirror_plugin.adapter",
    "Role": "mirror_plugin.adapter",
    "UnknownNamespace": "mirror_plugin.adapter",
    "Workspace": "mirror_plugin.adapter",
    "exclude_from_host": "mirror_plugin.dbmigrate",
    "mirror_metadata": "mirror_plugin.models",
}

__all__ = [
    "Check",
    "Decision",
    "Explanation",
    "FilterResult",
    "HostAdapter",
    "MenuItem",
    "MirrorPlugin",
    "Principal",
    "Reason",
    "Role",
    "UnknownNamespace",
    "Workspace",
    "exclude_from_host",
    "mirror_metadata",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mirror_plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
