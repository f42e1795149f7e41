"""CSRF protection for every state-changing request to the plugin, pages and JSON alike.

One per-session token (``session["_mirror_csrf"]``), sent back as the form field
``mirror_csrf_token`` or the ``X-Mirror-CSRF`` header, compared in constant time. The names are
the plugin's own so a host running Flask-WTF's CSRFProtect can exempt the plugin's blueprint
(``csrf.exempt(mirror_state(app).blueprint)``) without the two fighting over ``csrf_token``.

The token is replaced when a user signs in (:func:`rotate_csrf_token`, connected to
Flask-Login's ``user_logged_in`` signal by ``MirrorPlugin.init_app``): a token planted in or
read from a session before sign-in must not authorise requests made after it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import abort, request, session

from mirror_plugin.i18n import _

SESSION_KEY = "_mirror_csrf"
FORM_FIELD = "mirror_csrf_token"
HEADER = "X-Mirror-CSRF"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Routes no browser calls: the admission webhook authenticates the cluster's API server by
#: its bearer token alone and never looks at a session, so a session token means nothing there.
EXEMPT_ENDPOINTS = frozenset(
    {
        "mirror_plugin.admission_validate",
        "mirror_plugin.admission_mutate",
        "mirror_plugin.cluster_pull_secrets",
    }
)


def csrf_token() -> str:
    """The session's token, created on first use (templates call it as ``mirror_csrf()``)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def rotate_csrf_token(*_sender: Any, **_signal: Any) -> str:
    """Replace the session's token and return the new one.

    Connected to Flask-Login's ``user_logged_in`` and ``user_logged_out`` signals for every
    app the plugin is registered on, so hosts signing users in with ``login_user`` need do
    nothing. A host with its own sign-in calls it right after authenticating the user. The
    signal's arguments are accepted and ignored.
    """
    token = secrets.token_urlsafe(32)
    session[SESSION_KEY] = token
    return token


def protect() -> None:
    """``before_request`` of the blueprint: refuse unsafe methods without the right token."""
    if request.method in SAFE_METHODS or request.endpoint in EXEMPT_ENDPOINTS:
        return
    from mirror_plugin.web.access import current_principal

    if current_principal() is None:
        return  # the route's own gate answers anonymous users with 401 / the login page
    expected = session.get(SESSION_KEY)
    sent = request.headers.get(HEADER) or request.form.get(FORM_FIELD, "")
    if not sent.isascii():
        # hmac.compare_digest refuses non-ASCII str (a TypeError: a 500); tokens are ASCII.
        abort(
            400,
            description=_("The CSRF token is malformed (tokens are ASCII); reload the page."),
        )
    if (
        not isinstance(expected, str)
        or not sent
        or not hmac.compare_digest(expected.encode("ascii", "replace"), sent.encode("ascii"))
    ):
        abort(
            403,
            description=_(
                "The form expired or came from another site (CSRF token missing "
                "or wrong); reload the page and try again."
            ),
        )
