"""mirror_plugin: share registry mirror spaces with workspaces in a Flask container console."""

from __future__ import annotations

from .adapter import HostAdapter, Principal, Role, UnknownNamespace, Workspace
from .dbmigrate import exclude_from_host
from .extension import FilterResult, MenuItem, MirrorPlugin
from .models import mirror_metadata
from .rule import Check, Decision, Explanation, Reason

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
