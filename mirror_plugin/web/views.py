"""The plugin's pages. Every route passes through a gate of :mod:`mirror_plugin.web.access`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, session
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, ServiceUnavailable
from werkzeug.wrappers import Response

from mirror_plugin.display import visible
from mirror_plugin.i18n import TEMPLATE_FILTERS, _
from mirror_plugin.i18n import template_globals as i18n_globals
from mirror_plugin.params import has_nul
from mirror_plugin.registry.drivers import driver_for
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.services.dbfaults import RuleUnavailable, database_unreachable, rollback_session
from mirror_plugin.services.errors import Conflict, InvalidInput
from mirror_plugin.services.labels import (
    action_label,
    cluster_mode_label,
    health_label,
    reason_label,
)
from mirror_plugin.state import mirror_state
from mirror_plugin.web.access import (
    current_principal,
    workspace_roles,
)
from mirror_plugin.web.csrf import EXEMPT_ENDPOINTS, FORM_FIELD, csrf_token, protect
from mirror_plugin.web.errorpages import error_page
from mirror_plugin.web.schemas.base import HAS_NUL, RequestRefused


def _limit_body() -> None:
    """Bound what the plugin's routes read: ``MIRROR_MAX_REQUEST_BYTES`` (or the host's
    ``MAX_CONTENT_LENGTH`` when smaller) for this request only, so host routes keep their own
    limit. Registered before the CSRF check, which parses forms: a declared oversized body is
    refused (413) before a byte of it is read; on Flask >= 3.1, which sets the limit per
    request, a body without a length is also cut off at the limit while it is read. The
    admission webhook bounds its own body (``MIRROR_ADMISSION_MAX_REQUEST_BYTES``: a review
    carries an object and its old version, and an oversized review is a 400 there)."""
    if request.endpoint in EXEMPT_ENDPOINTS:
        return
    limit = int(current_app.config["MIRROR_MAX_REQUEST_BYTES"])
    host_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if host_limit is not None:
        limit = min(limit, int(host_limit))
    try:
        request.max_content_length = limit
    except AttributeError:  # Flask 3.0: read-only; the declared length is still checked
        pass
    if request.content_length is not None and request.content_length > limit:
        abort(
            413,
            description=_(
                "The request body is larger than this endpoint accepts (%(limit)s bytes).",
                limit=limit,
            ),
        )


def _refuse_nul() -> None:
    """A NUL character is never meaningful in a query or a form, and PostgreSQL refuses it in
    the text filters they feed (a 500). JSON bodies are checked field by field where their
    text is stored (integrations._validated)."""
    values = [v for _, vs in request.args.lists() for v in vs]
    values += [v for _, vs in request.form.lists() for v in vs]
    if any(has_nul(v) for v in values):
        abort(400, description=_(HAS_NUL))


def json_routing_errors(response: Any) -> Any:
    """App-level ``after_request``: the 404/405 werkzeug answers for paths under the plugin's
    prefix that no route serves (a non-numeric id, a missing method) come out in the API's JSON
    error shape under ``/api/`` and as the plugin's error page (inside the host layout) for
    pages. Only those paths are touched; the host's own error pages stay as they are."""
    prefix = current_app.config["MIRROR_URL_PREFIX"]
    if (
        request.url_rule is not None
        or response.status_code not in (404, 405)
        or response.mimetype != "text/html"
        or not request.path.startswith(f"{prefix}/")
    ):
        return response
    if request.path.startswith(f"{prefix}/api/"):
        message = (
            _("No such API endpoint.")
            if response.status_code == 404
            else _(
                "%(method)s is not allowed here; use %(allowed)s.",
                method=request.method,
                allowed=response.headers.get("Allow"),
            )
        )
        body, _status = _json_error(response.status_code, message)
        response.set_data(body.get_data())
        response.mimetype = "application/json"
        return response
    if request.path.startswith(f"{prefix}/static/"):
        return response
    error: HTTPException = (
        NotFound(_("There is no such page in the Mirror Warehouse; check the address."))
        if response.status_code == 404
        else MethodNotAllowed(description=_("This page cannot be used that way."))
    )
    page = error_page(error, _template_globals())
    if isinstance(page, Response):
        response.set_data(page.get_data())
    return response


def _security_headers(response: Any) -> Any:
    """CSP (no inline script: the widget and pages load theirs from static files), no MIME
    sniffing, no framing. setdefault: a host's own after_request (run later) may override."""
    policy = current_app.config["MIRROR_CONTENT_SECURITY_POLICY"]
    if policy:
        response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _visible_flashes(response: Any) -> Any:
    """The plugin's flash messages quote registry text (space names, registry errors) and are
    often shown by the host's layout, outside the plugin's templates: escape hidden characters
    in them before they are stored for the next page (a host's own Markup flashes are left
    alone)."""
    flashes = session.get("_flashes") if "_flashes" in session else None
    if flashes:
        cleaned = [
            (category, message if isinstance(message, Markup) else visible(message))
            for category, message in flashes
        ]
        if cleaned != list(flashes):
            session["_flashes"] = cleaned
    return response


def _template_globals() -> dict[str, Any]:
    return {
        "mirror_base_template": current_app.config["MIRROR_BASE_TEMPLATE"],
        "mirror_user": current_principal(),
        "mirror_csrf": csrf_token,
        "mirror_csrf_field": FORM_FIELD,
        "mirror_workspaces": _my_workspaces,
    }


def _my_workspaces() -> list[Any]:
    """Workspaces whose warehouses the current user may open (for the tabs)."""
    principal = current_principal()
    if principal is None:
        return []
    roles = workspace_roles(principal)
    host = mirror_state().host
    return [ws for ws in host.list_workspaces() if ws.id in roles]


def wants_json() -> bool:
    return request.path.startswith(f"{current_app.config['MIRROR_URL_PREFIX']}/api/")


def _json_error(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": {"status": status, "message": message, **extra}}), status


def _http_error(error: HTTPException) -> Any:
    if not wants_json():
        return error_page(error)
    return _json_error(error.code or 500, error.description or error.name)


def _refused(error: RequestRefused) -> Any:
    """A request its model refused (``web.schemas``): a 422 names the fields."""
    extra = {"fields": error.fields} if error.fields else {}
    return _json_error(error.code or 400, error.description or error.name, **extra)


def _invalid_input(error: InvalidInput) -> Any:
    return _json_error(422, _("Fix the fields named in 'fields'."), fields=error.errors)


def _conflict(error: Conflict) -> Any:
    return _json_error(409, str(error))


def _registry_error(error: RegistryError) -> Any:
    status = 504 if error.category.value.endswith("timeout") else 502
    return _json_error(status, error.message, category=error.category.value)


def _database_unreachable(error: DBAPIError) -> Any:
    """A lost or refused database connection is an outage: 503 with a sentence (JSON under
    /api/), through the app's HTTP error handling so a host's 503 page applies to pages.
    Any other database error is a bug and is raised on, to the host's 500."""
    if not database_unreachable(error):
        raise error
    return _unavailable()


def _snapshot_too_old(error: RuleUnavailable) -> Any:
    """The picker's search index follows the rule snapshot: past its staleness bound, the
    same 503 as any page whose database is away."""
    return _unavailable()


def _unavailable() -> Any:
    return current_app.handle_http_exception(
        ServiceUnavailable(
            "The console's database cannot be reached right now. Try again in a moment."
        )
    )


def _end_transaction(error: BaseException | None) -> None:
    """End the plugin request's transaction before Flask-SQLAlchemy removes the session,
    so a connection killed after the last query (a failover) is not a 500 at teardown."""
    db = mirror_state().db
    if db.session.registry.has():  # no session used, nothing to end (the hook's API calls)
        rollback_session(db)


def register(bp: Blueprint) -> None:
    """What every route of the plugin shares: body limit, CSRF, NUL refusal, security headers,
    flashes, template globals and filters, error pages, and the end of the transaction."""
    bp.before_request(_limit_body)
    bp.before_request(protect)
    bp.before_request(_refuse_nul)
    bp.after_request(_security_headers)
    bp.after_request(_visible_flashes)
    bp.context_processor(_template_globals)
    # Templates pass registry-supplied text through it: ``{{ space.name | mirror_visible }}``.
    bp.add_app_template_filter(visible, "mirror_visible")
    # Names for stable codes, for the plugin's pages and the host's (a deploy result's reason).
    bp.add_app_template_filter(reason_label, "mirror_reason")
    bp.add_app_template_filter(action_label, "mirror_action")
    bp.add_app_template_filter(cluster_mode_label, "mirror_cluster_mode")
    bp.add_app_template_global(health_label, "mirror_health")
    # What a registry kind is called and can do: ``mirror_driver(row.kind).manages_spaces``.
    bp.add_app_template_global(driver_for, "mirror_driver")
    for name, function in TEMPLATE_FILTERS.items():
        bp.add_app_template_filter(function, name)
    for name, function in i18n_globals().items():
        bp.add_app_template_global(function, name)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(RequestRefused, _refused)
    bp.register_error_handler(InvalidInput, _invalid_input)
    bp.register_error_handler(Conflict, _conflict)
    bp.register_error_handler(RegistryError, _registry_error)
    bp.register_error_handler(DBAPIError, _database_unreachable)
    bp.register_error_handler(RuleUnavailable, _snapshot_too_old)
    bp.teardown_request(_end_transaction)
