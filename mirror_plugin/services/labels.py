"""Names people read for the plugin's stable codes: deploy reasons, audit actions, cluster modes.

Reason codes (``space_not_bound``) and audit actions (``space.made_public``) stay stable
English identifiers for hosts and scripts; pages show these names instead. All the names live
here, as lazy strings of the plugin's catalogue: each is translated when it is shown.
"""

from __future__ import annotations

from flask_babel import LazyString

from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.policy.rule import Reason

REASON_LABELS: dict[str, LazyString] = {
    Reason.PUBLIC_SPACE: _l("Public mirror space"),
    Reason.BOUND_TO_WORKSPACE: _l("Space bound to this workspace"),
    Reason.WORKSPACE_WAREHOUSE: _l("The workspace's own warehouse"),
    Reason.FOREIGN_ALLOWED: _l("Registry not integrated; allowed on this platform"),
    Reason.FOREIGN_DENIED: _l("Registry not integrated; refused on this platform"),
    Reason.INVALID_REFERENCE: _l("Not a valid image reference"),
    Reason.UNKNOWN_NAMESPACE: _l("Unknown namespace"),
    Reason.NAMESPACE_NOT_IN_WORKSPACE: _l("Namespace in no workspace"),
    Reason.SPACE_NOT_BOUND: _l("Private space not bound to this workspace"),
    Reason.UNKNOWN_SPACE: _l("No such space"),
    Reason.UNAVAILABLE: _l("Rules unavailable (the database cannot be reached)"),
}

#: One code per operation. ``binding.changed`` is written by Bind Workspace (dialog and page)
#: and by batch bind and unbind; the event's detail says who was added and who removed.
BINDING_CHANGED = "binding.changed"

#: Audit actions in the order the filter offers them, with their names.
AUDIT_ACTIONS: dict[str, LazyString] = {
    "integration.created": _l("Registry connected"),
    "integration.updated": _l("Registry changed"),
    "integration.synced": _l("Registry synced"),
    "integration.deleted": _l("Registry removed"),
    "space.created": _l("Space created"),
    "space.made_public": _l("Space made public"),
    "space.made_private": _l("Space made private"),
    "space.deleted": _l("Space deleted"),
    "space.removed_upstream": _l("Space gone from the registry"),
    BINDING_CHANGED: _l("Bindings changed"),
    "workspace.forgotten": _l("Workspace removed"),
    "admission.denied": _l("Workload refused in a cluster"),
    "admission.warned": _l("Workload admitted with warnings in a cluster"),
    # Pull access (mirror_plugin.services.pull): the Harbor robot account that follows a workspace's
    # bindings, one code per outcome ("pull.robot_<action>").
    "pull.robot_created": _l("Pull robot account created"),
    "pull.robot_updated": _l("Pull robot account's projects updated"),
    "pull.robot_rotated": _l("Pull robot account's secret renewed"),
    "pull.robot_repaired": _l("Pull robot account repaired (changed in Harbor)"),
    "pull.robot_restored": _l("Pull robot account restored (missing in Harbor)"),
    "pull.robot_deleted": _l("Pull robot account deleted"),
}

#: Codes earlier versions wrote, read as the action that replaced them (rows are never
#: rewritten: the audit log is a record).
LEGACY_ACTIONS: dict[str, str] = {
    "binding.set": BINDING_CHANGED,
    "binding.bound": BINDING_CHANGED,
    "binding.unbound": BINDING_CHANGED,
}


def reason_label(reason: object) -> str:
    """The name of a deploy reason (a :class:`~mirror_plugin.policy.rule.Reason` or its code)."""
    code = str(getattr(reason, "value", reason))
    return str(REASON_LABELS.get(code, code))


def action_label(action: str) -> str:
    """The name of an audit action, old codes included; an unknown code is shown as it is."""
    return str(AUDIT_ACTIONS.get(LEGACY_ACTIONS.get(action, action), action))


def action_codes(action: str) -> list[str]:
    """Every stored code an audit filter on ``action`` matches (the code and its old ones)."""
    return [action, *(old for old, new in LEGACY_ACTIONS.items() if new == action)]


#: A cluster's admission mode (``admission.clusters.MODES``): what it does with a refusal.
CLUSTER_MODE_LABELS: dict[str, LazyString] = {
    "enforce": _l("Enforce: refuse the workload"),
    "warn": _l("Warn: admit it with a warning"),
}


def cluster_mode_label(mode: str) -> str:
    """The name of a cluster's admission mode; an unknown one is shown as it is."""
    return str(CLUSTER_MODE_LABELS.get(mode, mode))


HEALTH_LABELS: dict[str, LazyString] = {
    "healthy": _l("Healthy"),
    "unhealthy": _l("Unhealthy"),
}


def health_label(health: str | None) -> str:
    """The name of a registry's health (``healthy``, ``unhealthy``; else not checked yet)."""
    return str(HEALTH_LABELS.get(health or "", _l("Not checked")))
