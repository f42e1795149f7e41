"""Who is signed in, as Flask-Login's ``current_user``: a small identity remembered for a second.

A console answers "who sent this request?" on every call, and the deploy hook is called far more
often than any page is opened. Like the namespace and membership answers in ``adapter.py``, the
identity behind a session id is kept in memory for ``CACHE_TTL`` seconds, so a burst of hook
calls costs one user query per worker per second rather than one per call. A deleted account or
a revoked platform-Admin flag therefore takes effect within that second, the same bound the
plugin gives revocations across workers. Pages that need the account's rows (memberships, for
the chrome and the deploy form) load the ``User`` itself with :func:`account`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask_login import UserMixin, current_user

from .adapter import CACHE_TTL
from .models import User, db

#: Past this many remembered users, expired answers are dropped before adding one.
MAX_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True, eq=False)
class SignedInUser(UserMixin):
    """What a request needs to know of its user; detached from any database session."""

    id: int
    username: str
    display_name: str
    is_platform_admin: bool


class IdentityCache:
    """Session user id -> :class:`SignedInUser`, each answer kept for ``CACHE_TTL`` seconds."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[SignedInUser | None, float]] = {}

    def load(self, user_id: str) -> SignedInUser | None:
        """Flask-Login's user loader: ``None`` for ids that are not, or no longer, accounts."""
        if not (user_id.isascii() and user_id.isdigit()):
            return None
        key = int(user_id)
        now = time.monotonic()
        cached = self._known.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        row = db.session.get(User, key)
        identity = (
            None
            if row is None
            else SignedInUser(row.id, row.username, row.display_name, bool(row.is_platform_admin))
        )
        if len(self._known) >= MAX_REMEMBERED:  # only signed sessions get here: a bound, not a wall
            self._known = {k: v for k, v in self._known.items() if v[1] > now}
        self._known[key] = (identity, now + CACHE_TTL)
        return identity


def account() -> User | None:
    """The signed-in user's ``User`` row, for pages that read memberships; None if signed out
    or if the account was removed since the identity was remembered."""
    if not current_user.is_authenticated:
        return None
    return db.session.get(User, current_user.id)
