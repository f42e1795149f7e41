"""The plugin's HTML error pages: inside the host layout, with the refusal's own sentence and a
way back. JSON errors under ``/api/`` are not rendered here (see ``views._json_error``).

A bare Werkzeug page leaves the console behind: no navigation, no sign of where the user was.
The page extends ``mirror_plugin/_layout.html`` like every plugin page, so the host's layout
(``MIRROR_BASE_TEMPLATE``) frames it, and it keeps the status code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from mirror_plugin.web.redirects import safe_next


def _back() -> str | None:
    """The page the user came from, when it is on this site and is not this page."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path == request.full_path.rstrip("?"):
        return None
    return safe_next(path, "") or None


def error_page(
    error: HTTPException, context: dict[str, Any] | None = None
) -> Response | HTTPException:
    """``error`` as a page in the console; a prepared response (a redirect to sign in again)
    is passed through untouched. ``context``: the plugin's template globals, for a request no
    route of the blueprint matched (its context processor does not run then)."""
    if error.response is not None:
        return error
    code = error.code or 500
    html = render_template(
        "mirror_plugin/error.html",
        code=code,
        message=error.description or error.name,
        back=_back(),
        **(context or {}),
    )
    response = Response(html, status=code, mimetype="text/html")
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response
