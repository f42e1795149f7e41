"""Which database errors mean "the database is unreachable", as opposed to a bug.

A failover, a restart or ``pg_terminate_backend`` closes the server end of pooled
connections; the next statement on one fails with a disconnect, which SQLAlchemy flags
(``connection_invalidated``) and answers by invalidating the pool, so one retry gets a fresh
connection. A server that is down, or a network that is cut, fails at connect time with an
``OperationalError`` raised with no statement. Both are outages: the deploy hook falls back
to its last rule snapshot and the pages answer 503. Every other database error (a missing
table, a constraint) is a fault of the code or the schema and keeps its 500, so it is seen
and fixed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from mirror_plugin.i18n import N_

#: What the hook and the pages say while the database cannot be reached.
UNAVAILABLE_MESSAGE = N_(
    "The console's database cannot be reached right now, so the rule could not be checked. "
    "Try again in a moment."
)


def database_unreachable(error: BaseException) -> bool:
    """Is ``error`` a lost or refused database connection (an outage, not a bug)?"""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    # No statement: the error came from opening the connection (refused, timed out, the
    # database gone). A statement's own OperationalError (SQLite's "no such table", a
    # deadlock) is not an outage.
    return isinstance(error, OperationalError) and error.statement is None


class RuleUnavailable(Exception):
    """The rule snapshot is older than ``MIRROR_RULE_STALE_SECONDS`` and cannot be refreshed."""


def rollback_session(db: Any) -> None:
    """Roll the host's session back, tolerating a connection that is already gone.

    Used where a transaction may have died with its connection: after the host adapter's
    query lost the database (or every later call in this app context, a CLI loop or a
    worker, fails with "invalid transaction" instead of reconnecting), and at the end of the
    plugin's requests, where Flask-SQLAlchemy's own teardown would otherwise roll back on a
    connection killed after the last query and turn an answered request into a 500. Nothing
    uncommitted survives a request anyway.
    """
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
