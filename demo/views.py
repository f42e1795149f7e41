"""The console's own pages: sign-in, Workloads and the Deploy form that calls the plugin's hook.

The deploy page is where a host meets the plugin's rule: before "deploying" it asks
``check_image(namespace, image)`` and shows the plugin's reason when the answer is no.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from mirror_plugin import Decision, MirrorPlugin
from mirror_plugin.i18n import N_, normalize_locale

from .access import is_view_only, namespaces_for
from .adapter import LANGUAGE_COOKIE
from .identity import account
from .models import User, db
from .sandbox import DEV_USER, ROBOT
from .security import check_csrf, rotate_csrf_token, safe_next

bp = Blueprint("console", __name__)

#: Kubernetes object names are DNS-1123 labels.
_APP_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DEMO_USERS = (
    ("admin", N_("Platform Admin")),
    ("alice", N_("Workspace Admin of Team Alpha")),
    ("eddie", N_("Editor in Team Alpha")),
    ("vera", N_("Viewer in Team Alpha")),
    ("bob", N_("Workspace Admin of Team Beta")),
)


def _plugin() -> MirrorPlugin:
    return current_app.extensions["mirror_plugin"].plugin  # type: ignore[no-any-return]


def _user() -> User:
    """The signed-in account's row; back to sign-in if it was removed a moment ago."""
    user = account()
    if user is None:
        abort(current_app.login_manager.unauthorized())  # type: ignore[attr-defined]
    return user


def _sandbox() -> dict[str, Any] | None:
    """What the sign-in page tells about the running registry sandbox (None: none runs)."""
    url = current_app.config.get("DEMO_HARBOR_URL")
    if not url:
        return None
    return {
        "url": url,
        "robot": ROBOT,
        "user": DEV_USER,
        "registry_url": current_app.config.get("DEMO_REGISTRY_URL") or None,
    }


def _example_image() -> str:
    """The deploy form's placeholder: a public image of the sandbox when it runs."""
    url = current_app.config.get("DEMO_HARBOR_URL") or "https://harbor.example.com"
    return f"{url.split('://', 1)[1]}/library/nginx:1.25"


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
def _error(exc: HTTPException) -> tuple[str, int]:
    """The console's pages' errors inside the console. Werkzeug's own description is English:
    the page then says it in the reader's language; a description given by our code is kept."""
    own = exc.description if exc.description != type(exc).description else None
    return render_template("console/error.html", error=exc, message=own), exc.code or 500


@bp.app_errorhandler(HTTPException)
def _elsewhere(exc: HTTPException) -> tuple[str, int] | HTTPException:
    """The same page for an address no route serves and the admission page's refusals.

    Registered for the class, not for codes: Flask tries every code handler, the app's
    included, before any class handler, so an app-wide 404 would take the plugin's own errors
    (JSON under its ``/api/``) from it. The plugin's blueprint handler still answers first for
    its routes, and it rewrites an unrouted 404 under its prefix itself."""
    if exc.code not in (400, 403, 404):
        return exc
    return _error(exc)


@bp.route("/")
def home() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("console.workloads"))
    return redirect(url_for("console.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    target = safe_next(request.values.get("next"), url_for("console.workloads"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target)
        return render_template(
            "console/login.html", next=target, demo_users=DEMO_USERS, sandbox=_sandbox()
        )
    check_csrf()
    username = request.form.get("username", "").strip()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.check_password(request.form.get("password", "")):
        return render_template(
            "console/login.html",
            next=target,
            demo_users=DEMO_USERS,
            sandbox=_sandbox(),
            username=username,
            error=gettext("Wrong username or password."),
        ), 401
    login_user(user)  # also gives the plugin a new CSRF token (its user_logged_in receiver)
    rotate_csrf_token()
    return redirect(target)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    check_csrf()
    logout_user()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("console.login"))


@bp.route("/language", methods=["POST"])
def language() -> Response:
    """The language switch: a cookie the adapter's ``locale()`` reads, for a year. Signed-out
    visitors may switch too (the sign-in page has the switch)."""
    check_csrf()
    chosen = normalize_locale(request.form.get("language"))
    response = redirect(safe_next(request.form.get("next"), url_for("console.home")))
    if chosen is None:
        response.delete_cookie(LANGUAGE_COOKIE)
    else:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="Lax"
        )
    return response


@bp.route("/workloads")
@login_required
def workloads() -> str:
    return render_template("console/workloads.html", namespaces=namespaces_for(_user()))


def _render_deploy(status: int = 200, **context: Any) -> tuple[str, int]:
    user = _user()
    visible = namespaces_for(user)
    choices = [ns for ns in visible if ns.can_deploy]
    view_only = is_view_only(user) or not choices
    form = {key: request.values.get(key, "").strip() for key in ("namespace", "name", "image")}
    context = {"decision": None, "accepted": None, "error": None, "pull": None, **context}
    return render_template(
        "console/deploy.html",
        # Viewers see their namespaces in a disabled form: what they could deploy to, if allowed.
        choices=visible if view_only else choices,
        view_only=view_only,
        form=form,
        example_image=_example_image(),
        **context,
    ), status


@bp.route("/deploy", methods=["GET", "POST"])
@login_required
def deploy() -> tuple[str, int]:
    if request.method == "GET":
        return _render_deploy()
    check_csrf()
    user = _user()
    if is_view_only(user):
        return _render_deploy(
            403, error=gettext("Viewers can browse workloads and images but not deploy.")
        )
    namespace = request.form.get("namespace", "").strip()
    allowed = {ns.id for ns in namespaces_for(user) if ns.can_deploy}
    if namespace not in allowed:
        # Unknown and foreign namespaces get the same answer: existence does not leak.
        return _render_deploy(
            403,
            error=gettext("You may not deploy into namespace %(namespace)r.", namespace=namespace),
        )
    name = request.form.get("name", "").strip()
    image = request.form.get("image", "").strip()
    if not _APP_NAME.match(name):
        return _render_deploy(
            422,
            error=gettext(
                "The app name must be a DNS label: lower-case letters, "
                "digits and '-', at most 63 characters."
            ),
        )
    if not image:
        return _render_deploy(422, error=gettext("Enter the image to deploy."))
    decision: Decision = _plugin().check_image(namespace, image)
    if not decision.allowed:
        return _render_deploy(422, decision=decision)
    # Which pull Secret the namespace's Pods use (names of registries only, never secrets).
    secret = _plugin().pull_secret(namespace)
    pull = {"name": current_app.config["MIRROR_PULL_SECRET_NAME"], "registries": secret.registries}
    return _render_deploy(200, decision=decision, accepted=name, pull=pull)
