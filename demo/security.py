"""The console's small request-safety helpers: a per-session CSRF token and safe redirects.

The demo avoids a CSRF library on purpose: one random token per session, sent back in a hidden
field and compared in constant time, is all a handful of forms need.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import abort, request, session
from flask_babel import gettext

CSRF_FIELD = "csrf_token"
_SESSION_KEY = "console_csrf"


def csrf_token() -> str:
    """The session's token, created on first use (templates call it as ``csrf_token()``)."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


def rotate_csrf_token() -> None:
    """A new console token at sign-in: one from before it (planted in the session cookie,
    or seen on a shared machine) must not carry over. The Mirror Warehouse rotates its own
    token by itself at the same moment (it listens to Flask-Login's ``user_logged_in``)."""
    session[_SESSION_KEY] = secrets.token_urlsafe(32)


def check_csrf() -> None:
    """Abort with 400 unless the form carries this session's token."""
    expected = session.get(_SESSION_KEY)
    sent = request.form.get(CSRF_FIELD, "")
    if (
        not isinstance(expected, str)
        or not expected
        or not hmac.compare_digest(expected.encode(), sent.encode())
    ):
        abort(
            400,
            description=gettext("The form expired or did not come from this console; reload it."),
        )


def safe_next(target: str | None, default: str) -> str:
    """Follow ``?next=`` only to a path on this site, never to another host."""
    if not target or target.startswith(("//", "\\")) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return default
    return target
