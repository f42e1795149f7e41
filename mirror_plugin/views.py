"""The plugin's pages. Every route passes through a gate of :mod:`mirror_plugin.auth`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request, session
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from .auth import (
    current_principal,
    known_workspaces,
    login_required,
    may_use_namespace,
    workspace_roles,
)
from .csrf import EXEMPT_ENDPOINTS, FORM_FIELD, csrf_token, protect
from .dbfaults import database_unreachable, rollback_session
from .display import visible
from .integrations import Conflict, InvalidInput
from .models import Binding, Integration, Space
from .params import has_nul
from .registry.errors import RegistryError
from .resources import templates_dir

blueprint = Blueprint(
    "mirror_plugin",
    __name__,
    template_folder=str(templates_dir()),
    static_folder="static",
    static_url_path="/static",
)


@blueprint.before_request
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
            description=f"The request body is larger than this endpoint accepts ({limit} bytes).",
        )


blueprint.before_request(protect)


@blueprint.before_request
def _refuse_nul() -> None:
    """A NUL character is never meaningful in a query or a form, and PostgreSQL refuses it in
    the text filters they feed (a 500). JSON bodies are checked field by field where their
    text is stored (integrations._validated)."""
    values = [v for _, vs in request.args.lists() for v in vs]
    values += [v for _, vs in request.form.lists() for v in vs]
    if any(has_nul(v) for v in values):
        abort(400, description="The request contains a NUL character; remove it.")


def json_routing_errors(response: Any) -> Any:
    """App-level ``after_request``: the 404/405 werkzeug answers for paths under the plugin's
    API that no route serves (a non-numeric id, a missing method) come out in the API's JSON
    error shape. Only those paths are touched; the host's own error pages stay as they are."""
    if (
        request.url_rule is None
        and response.status_code in (404, 405)
        and response.mimetype == "text/html"
        and request.path.startswith(f"{current_app.config['MIRROR_URL_PREFIX']}/api/")
    ):
        message = (
            "No such API endpoint."
            if response.status_code == 404
            else f"{request.method} is not allowed here; use {response.headers.get('Allow')}."
        )
        body, _ = _json_error(response.status_code, message)
        response.set_data(body.get_data())
        response.mimetype = "application/json"
    return response


@blueprint.after_request
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


# Templates pass registry-supplied text through it: ``{{ space.name | mirror_visible }}``.
blueprint.add_app_template_filter(visible, "mirror_visible")


@blueprint.after_request
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


@blueprint.context_processor
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
    host = current_app.extensions["mirror_plugin"].host
    return [ws for ws in host.list_workspaces() if ws.id in roles]


def wants_json() -> bool:
    return request.path.startswith(f"{current_app.config['MIRROR_URL_PREFIX']}/api/")


def _json_error(status: int, message: str, **extra: Any) -> Any:
    return jsonify({"error": {"status": status, "message": message, **extra}}), status


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    if not wants_json():
        return error
    return _json_error(error.code or 500, error.description or error.name)


@blueprint.errorhandler(InvalidInput)
def _invalid_input(error: InvalidInput) -> Any:
    return _json_error(422, "Fix the fields named in 'fields'.", fields=error.errors)


@blueprint.errorhandler(Conflict)
def _conflict(error: Conflict) -> Any:
    return _json_error(409, str(error))


@blueprint.errorhandler(RegistryError)
def _registry_error(error: RegistryError) -> Any:
    status = 504 if error.category.value.endswith("timeout") else 502
    return _json_error(status, error.message, category=error.category.value)


@blueprint.errorhandler(DBAPIError)
def _database_unreachable(error: DBAPIError) -> Any:
    """A lost or refused database connection is an outage: 503 with a sentence (JSON under
    /api/), through the app's HTTP error handling so a host's 503 page applies to pages.
    Any other database error is a bug and is raised on, to the host's 500."""
    if not database_unreachable(error):
        raise error
    return current_app.handle_http_exception(
        ServiceUnavailable(
            "The console's database cannot be reached right now. Try again in a moment."
        )
    )


@blueprint.teardown_request
def _end_transaction(error: BaseException | None) -> None:
    """End the plugin request's transaction before Flask-SQLAlchemy removes the session,
    so a connection killed after the last query (a failover) is not a 500 at teardown."""
    db = current_app.extensions["mirror_plugin"].db
    if db.session.registry.has():  # no session used, nothing to end (the hook's API calls)
        rollback_session(db)


def _session() -> Any:
    return current_app.extensions["mirror_plugin"].db.session


@blueprint.route("/")
@login_required
def index() -> str:
    """Mirror Warehouse overview: the registries this user may see and their spaces."""
    principal = current_principal()
    assert principal is not None
    roles = workspace_roles(principal)
    session = _session()
    query = (
        select(
            Integration,
            func.count(Space.id.distinct()).label("spaces"),
            func.coalesce(func.sum(Space.repo_count), 0).label("repositories"),
        )
        .outerjoin(Space, Space.integration_id == Integration.id)
        .group_by(Integration.id)
        .order_by(Integration.scope, Integration.name)
    )
    if not principal.is_platform_admin:
        # Platform registries serve every workspace (public spaces at least); a workspace's
        # own warehouses are for its members only.
        query = query.where(Integration.workspace_id.in_([*roles, ""]))
    integrations = session.execute(query).all()
    bindings = session.scalar(select(func.count(Binding.id))) or 0
    names = known_workspaces()
    return render_template(
        "mirror_plugin/index.html",
        integrations=integrations,
        binding_count=bindings,
        roles=roles,
        workspace_names=names,
    )


@blueprint.route("/explain")
@login_required
def explain_page() -> str:
    """ "Can't find your image?": the FAQ checks for one namespace and image, as a page."""
    namespace = request.args.get("namespace", "").strip()
    image = request.args.get("image", "").strip()
    explanation = None
    if namespace and image:
        principal = current_principal()
        assert principal is not None
        if not may_use_namespace(principal, namespace):
            abort(404, description=f"You have no namespace {namespace!r}.")
        explanation = current_app.extensions["mirror_plugin"].plugin.explain(namespace, image)
    return render_template(
        "mirror_plugin/explain.html", namespace=namespace, image=image, explanation=explanation
    )
