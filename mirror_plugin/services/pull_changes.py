"""The change counter of pull credentials: what a cluster agent's ``since`` cursor means.

:func:`mirror_plugin.services.pull.notify` (the one place every change to a namespace's pull secret
passes, right after the change committed) calls :func:`bump`: the counter goes up by one and
the workspace remembers the new value. The reconciler counts its robot changes with
:func:`count` inside the change's own transaction instead (one commit per robot, not two).
``GET /api/clusters/<cluster>/pull-secrets?since=N`` then returns the namespaces of the
workspaces whose value is above ``N``. Keeping the last value per workspace (not a log of
changes) bounds the table by the number of workspaces.
"""

from __future__ import annotations

import logging

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from mirror_plugin.models import utcnow
from mirror_plugin.models.pull import PullChange, PullCounter
from mirror_plugin.state import session

log = logging.getLogger(__name__)


def _next_value() -> int:
    """Add one to the counter; its row stays locked until commit, so changes commit in
    counter order (an agent never passes a value whose change is not yet visible)."""
    statement = (
        update(PullCounter)
        .where(PullCounter.id == 1)
        .values(value=PullCounter.value + 1)
        .returning(PullCounter.value)
    )
    value = session().scalar(statement)
    if value is None:  # a database created without the migration's row
        session().execute(insert(PullCounter).values(id=1, value=1))
        value = 1
    return int(value)


def count(workspace_id: str) -> int:
    """Record that ``workspace_id``'s pull credentials change, in the caller's transaction
    (its commit carries the count; call it last, as the counter row stays locked till then)."""
    value = _next_value()
    row = session().get(PullChange, workspace_id)
    if row is None:
        session().add(PullChange(workspace_id=workspace_id, seq=value, changed_at=utcnow()))
    else:
        row.seq, row.changed_at = value, utcnow()
    return value


def bump(workspace_id: str) -> int | None:
    """:func:`count` a change that is committed already, and commit. ``None`` when the
    database failed: the change itself stands, so it is logged, not raised (a cluster
    agent's periodic full poll repairs what it missed)."""
    try:
        value = count(workspace_id)
        session().commit()
        return value
    except SQLAlchemyError as exc:
        session().rollback()
        log.warning("mirror_plugin: the pull change of %s was not counted: %s", workspace_id, exc)
        return None


def current() -> int:
    """The counter now: the cursor a poll hands back."""
    return int(session().scalar(select(PullCounter.value).where(PullCounter.id == 1)) or 0)


def changed_between(since: int, until: int) -> list[str]:
    """Workspaces whose last change has a counter value in ``(since, until]``."""
    return list(
        session().scalars(
            select(PullChange.workspace_id)
            .where(PullChange.seq > since, PullChange.seq <= until)
            .order_by(PullChange.workspace_id)
        )
    )
