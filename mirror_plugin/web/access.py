"""The one gate every plugin route goes through (Flask-Admin's ``is_accessible`` habit).

Who the user is and what they may do comes from the host adapter only. 401 versus 403 is
decided here and nowhere else: anonymous users get the host's login flow (Flask-Login's
``unauthorized()`` when the host uses it) or a 401, signed-in users without the right role a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, has_request_context, request

from mirror_plugin.adapter import Principal, Role, UnknownNamespace
from mirror_plugin.i18n import _
from mirror_plugin.services.tenancy import namespace_workspace
from mirror_plugin.state import host_adapter

F = TypeVar("F", bound=Callable[..., Any])


def _per_request(key: str, compute: Callable[[], Any]) -> Any:
    """Ask the adapter once per request (``g`` can outlive a request when a host or test
    keeps an app context open, so the cache lives in the request's environ)."""
    if not has_request_context():
        return compute()
    environ = request.environ
    if key not in environ:
        environ[key] = compute()
    return environ[key]


def current_principal() -> Principal | None:
    """The adapter's user for this request."""
    principal = _per_request("mirror_plugin.principal", lambda: host_adapter().current_user())
    return cast(Principal | None, principal)


def workspace_roles(principal: Principal) -> dict[str, Role]:
    """The principal's role per workspace id."""
    return cast(
        dict[str, Role],
        _per_request(
            "mirror_plugin.roles",
            lambda: {ws: Role(r) for ws, r in host_adapter().workspace_roles(principal.id).items()},
        ),
    )


def _wants_json() -> bool:
    return request.blueprint is not None and "/api/" in request.path


def unauthenticated() -> Any:
    """Send anonymous users to the host's login page, or answer 401."""
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is not None and not _wants_json():
        return login_manager.unauthorized()
    abort(401, description=_("Sign in to use the Mirror Warehouse."))


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        unauthenticated()
        abort(401)
    return principal


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        principal = current_principal()
        if principal is None:
            return unauthenticated()
        return view(*args, **kwargs)

    return cast(F, wrapper)


def platform_admin_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        principal = current_principal()
        if principal is None:
            return unauthenticated()
        if not principal.is_platform_admin:
            abort(403, description=_("Only the platform Admin may do this."))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def may_use_namespace(principal: Principal, namespace: str) -> bool:
    """May this user look at what ``namespace`` can deploy?

    Members of the namespace's workspace and the platform Admin may; a namespace in no
    workspace is open to every signed-in user. An unknown namespace is answered like one the
    user may not see, so existence does not leak across tenants.
    """
    try:
        workspace_id = namespace_workspace(namespace)
    except UnknownNamespace:
        return principal.is_platform_admin
    if workspace_id is None or principal.is_platform_admin:
        return True
    return workspace_id in workspace_roles(principal)


def require_fresh_login() -> None:
    """Changing registry credentials needs a recent sign-in (Flask-Login's "fresh" login).

    Hosts without Flask-Login are not affected. A stale session is sent to the host's
    re-authentication view (``login_manager.refresh_view``), or answered 401 for JSON.
    """
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is None:
        return
    from flask_login import login_fresh

    if login_fresh():
        return
    if _wants_json() or not login_manager.refresh_view:
        abort(401, description=_("Sign in again to change registry credentials."))
    abort(login_manager.needs_refresh())
