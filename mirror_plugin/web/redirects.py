"""Where a form may send the browser next: a path on this site, never another host.

The plugin's forms carry ``next`` (the page they were posted from) so an action lands back on
the same tab, search and page. It is user input, so a crafted form or link could make the
plugin redirect to ``https://evil.example`` or to ``//evil.example`` (a scheme-relative URL
browsers treat as another host) right after a trusted action: a phishing springboard. Only a
plain same-site path is followed; anything else falls back to the page the action belongs to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request
from werkzeug.wrappers import Response

#: Longer ``next`` values are not followed (a page's own path and query stay far below this).
MAX_NEXT_LENGTH = 2048


def safe_next(target: object, default: str) -> str:
    """``target`` when it is a same-site relative path, else ``default``.

    Accepted: a string starting with one ``/`` (not ``//``), without a backslash (browsers
    read ``/\\evil.example`` as ``//evil.example``), without control, format or other
    non-printable characters (browsers drop tabs and newlines, so ``/\\t/evil.example``
    would become ``//evil.example``), without a scheme or host, at most
    :data:`MAX_NEXT_LENGTH` characters.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if not target.isprintable():
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def redirect_next(default: str) -> Response:
    """Redirect to the form's ``next`` field when it is safe (see :func:`safe_next`),
    else to ``default``."""
    return redirect(safe_next(request.form.get("next"), default))
