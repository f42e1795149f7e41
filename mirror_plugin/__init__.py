"""mirror_plugin: share registry mirror spaces with workspaces in a Flask container console."""

from __future__ import annotations

from mirror_plugin.adapter import HostAdapter, Principal, Role, UnknownNamespace, Workspace
from mirror_plugin.dbmigrate import exclude_from_host
from mirror_plugin.extension import FilterResult, MenuItem, MirrorPlugin
from mirror_plugin.models import mirror_metadata
from mirror_plugin.policy.rule import Check, Decision, Explanation, Reason

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
