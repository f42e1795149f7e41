"""What a registry failure may tell whom: the platform Admin sees the detail, tenants a category.

A Workspace Admin chooses the address of their warehouse, so the answer to "Test connection"
(or to create, edit or sync) is an oracle about whatever that address reaches: a refused
connection, a timeout, a service that does not speak HTTP, an HTTP server and its status code,
a registry. Told apart, they make the plugin a port scanner for every network
``MIRROR_ALLOWED_NETWORKS`` opens. So for anyone but the platform Admin every failure to talk
to a registry becomes one category, ``unreachable``, with one sentence. What a tenant still
needs to act on keeps its own answer:

- ``invalid_url`` and ``blocked_address``: decided by the plugin's URL checks and network
  policy before any connection is made;
- ``auth_failed`` and ``forbidden``: the credentials field is theirs to fix (the sentence is
  fixed, without the registry's words or status).

The registry layer's detailed sentence is still stored (``last_error``) and logged for the
platform Admin; :func:`shown_last_error` hides it from everyone else. Every sentence shown here
may have been stored in another language (by a background job, in English): it is shown in the
reader's (:func:`~mirror_plugin.services.reworded.reworded`).
"""

from __future__ import annotations

from dataclasses import replace

from mirror_plugin.i18n import N_, _
from mirror_plugin.models import Integration
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.probe import ConnectionReport
from mirror_plugin.services.reworded import reworded
from mirror_plugin.services.sync import sync
from mirror_plugin.web.access import current_principal

UNREACHABLE = N_("Could not reach a registry at that address.")
LAST_CHECK_FAILED = N_(
    "The last check of this registry failed; the platform Admin can see the reason."
)
_KEPT = {
    Category.INVALID_URL: None,  # the plugin's own sentence about the URL, no connection made
    Category.BLOCKED_ADDRESS: None,  # the network policy's sentence, no connection made
    Category.AUTH_FAILED: N_("The registry did not accept the user name or password."),
    Category.FORBIDDEN: N_("The registry account is not allowed to do this."),
}


def detailed() -> bool:
    """Does the current user see registry errors in full? Only the platform Admin does."""
    principal = current_principal()
    return principal is not None and principal.is_platform_admin


def _tenant_text(category: Category | str | None, message: str) -> tuple[str, str]:
    """(category, sentence) a tenant is shown for a registry failure."""
    try:
        known = Category(category) if category is not None else None
    except ValueError:
        known = None
    if known in _KEPT:
        assert known is not None
        kept = _KEPT[known]
        return known.value, _(kept) if kept else reworded(message)
    return Category.UNREACHABLE.value, _(UNREACHABLE)


def shown_error(error: RegistryError) -> RegistryError:
    """``error`` as the current user may see it (in full for the platform Admin)."""
    if detailed():
        return RegistryError(error.category, reworded(error.message), status=error.status)
    category, message = _tenant_text(error.category, error.message)
    return RegistryError(Category(category), message)


def shown_report(report: ConnectionReport) -> ConnectionReport:
    """A Test connection report as the current user may see it (successes are unchanged)."""
    if report.ok or detailed():
        return report
    category, message = _tenant_text(report.category, report.message)
    return replace(report, category=category, message=message, version="")


def shown_message(category: Category | str | None, message: str) -> str:
    """A failure's sentence for the current user (form fields, flash messages)."""
    return reworded(message) if detailed() else _tenant_text(category, message)[1]


def shown_last_error(last_error: str | None) -> str | None:
    """An integration's stored ``last_error``: the detail for the platform Admin only."""
    if not last_error:
        return last_error
    return reworded(last_error) if detailed() else _(LAST_CHECK_FAILED)


def first_sync_shown(row: Integration, *, actor: str) -> tuple[bool, str]:
    """Sync right after connecting (a failure keeps the connection), for the flash message or
    the API's ``sync`` field, with the failure shown as the current user may see it."""
    try:
        summary = sync(row, actor=actor).summary
        return True, _("Synced %(name)s: %(summary)s", name=row.name, summary=summary)
    except RegistryError as exc:
        return False, _(
            "Saved, but the first sync failed: %(error)s", error=shown_error(exc).message
        )
