"""Applying the pull-access outbox: each queued (integration, workspace) once, with backoff.

A pair that fails (Harbor down, refusing, slow) keeps its outbox rows with one more attempt,
the error, and a next attempt after an exponential backoff capped at
``MIRROR_PULL_RETRY_MAX_SECONDS``; a Harbor that answers its ping again makes its waiting rows
due at once. Rows queued while a pair was being applied stay pending for
the next round, so no change is lost. Each pair commits on its own: one broken workspace never
holds back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from .integrations import http_for_row, session
from .models import Binding, Integration, Scope, Space, utcnow
from .pull import Outcome, _audit, apply_pair, needs_robot, notify
from .pull_models import PullOutbox, PullRobot
from .registry.errors import RegistryError
from .registry.harbor import HarborClient

log = logging.getLogger(__name__)
Pair = tuple[int, str]


def _pending(due_only: bool) -> dict[Pair, tuple[int, str]]:
    """(integration, workspace) -> (highest pending row id, first reason)."""
    query = select(PullOutbox.id, PullOutbox.integration_id, PullOutbox.workspace_id,
                   PullOutbox.reason).where(PullOutbox.done_at.is_(None))  # fmt: skip
    if due_only:
        query = query.where(PullOutbox.next_attempt_at <= utcnow())
    pairs: dict[Pair, tuple[int, str]] = {}
    for row_id, integration_id, workspace_id, reason in session().execute(
        query.order_by(PullOutbox.id)
    ):
        first = pairs.get((integration_id, workspace_id), (0, reason))[1]
        pairs[(integration_id, workspace_id)] = (row_id, first)
    return pairs


def _all_pairs() -> set[Pair]:
    """Every pair that has a robot or should have one (the drift check's scope)."""
    pairs = set(session().execute(select(PullRobot.integration_id, PullRobot.workspace_id)).all())
    pairs |= set(
        session()
        .execute(
            select(Space.integration_id, Binding.workspace_id)
            .join(Binding, Binding.space_id == Space.id)
            .join(Integration, Integration.id == Space.integration_id)
            .where(
                Space.public.is_(False),
                Integration.kind == "harbor",
                Integration.scope == Scope.PLATFORM.value,
            )  # fmt: skip
            .distinct()
        )
        .all()
    )
    return {(int(i), str(w)) for i, w in pairs}


def _finish(pair: Pair, up_to: int, error: str | None) -> None:
    where = (
        PullOutbox.integration_id == pair[0],
        PullOutbox.workspace_id == pair[1],
        PullOutbox.done_at.is_(None),
        PullOutbox.id <= up_to,
    )
    now = utcnow()
    if error is None:
        session().execute(update(PullOutbox).where(*where).values(done_at=now, last_error=None))
        return
    cap = float(current_app.config["MIRROR_PULL_RETRY_MAX_SECONDS"])
    for row in session().scalars(select(PullOutbox).where(*where)):
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=min(cap, 2.0 ** min(row.attempts, 20)))
        row.last_error = error[:2000]


def _wake_recovered(down: set[int]) -> None:
    """Make backed-off changes due at once on a Harbor that answers its ping again after
    failing it (``down``, kept by the worker between rounds), so access follows within a
    round of Harbor coming back rather than after the longest backoff. A Harbor that answers
    but refuses the change keeps its backoff."""
    now = utcnow()
    waiting = session().scalars(
        select(PullOutbox.integration_id)
        .where(PullOutbox.done_at.is_(None), PullOutbox.next_attempt_at > now)
        .distinct()
    )
    for integration_id in list(waiting):
        integration = session().get(Integration, integration_id)
        if integration is None:
            continue
        try:
            HarborClient(http_for_row(integration)).ping()
        except RegistryError:
            down.add(integration_id)
            continue
        if integration_id not in down:
            continue
        down.discard(integration_id)
        session().execute(
            update(PullOutbox)
            .where(PullOutbox.integration_id == integration_id, PullOutbox.done_at.is_(None))
            .values(next_attempt_at=now)
        )
    session().commit()


def reconcile(
    *,
    drift: bool = False,
    due_only: bool = True,
    rotate: bool = False,
    workspaces: Iterable[str] | None = None,
    down: set[int] | None = None,
) -> list[Outcome]:
    """Apply the outbox (and with ``drift`` check every robot; with ``rotate`` refresh the
    secrets of the robots of ``workspaces``, all when None). ``down``: the worker's memory of
    Harbors that failed their ping. Never raises for Harbor errors."""
    only = set(workspaces) if workspaces is not None else None
    if due_only and down is not None:
        _wake_recovered(down)
    pending = _pending(due_only)
    pairs = set(pending)
    if drift or rotate:
        pairs |= _all_pairs()
    if only is not None:
        pairs = {p for p in pairs if p[1] in only}
    outcomes: list[Outcome] = []
    for pair in sorted(pairs):
        up_to, reason = pending.get(pair, (0, "rotate" if rotate else "drift"))
        integration = session().get(Integration, pair[0])
        if integration is None or not needs_robot(integration):
            # Its integration is gone (SQLite may not cascade): nothing left to reach.
            session().execute(
                delete(PullRobot).where(
                    PullRobot.integration_id == pair[0], PullRobot.workspace_id == pair[1]
                )
            )
            _finish(pair, up_to, None)
            session().commit()
            continue
        try:
            outcome = apply_pair(integration, pair[1], rotate=rotate)
            _audit(outcome, reason)
            _finish(pair, up_to, None)
            session().commit()
        except (RegistryError, SQLAlchemyError) as exc:
            session().rollback()
            message = exc.message if isinstance(exc, RegistryError) else "database error"
            if not isinstance(exc, RegistryError):
                log.exception("mirror_plugin: storing pull access of %s failed", pair[1])
            integration_name = integration.name
            _finish(pair, up_to, message)
            session().commit()
            outcomes.append(Outcome(integration_name, pair[1], "failed", error=message))
            continue
        outcomes.append(outcome)
        if outcome.changed_credentials:
            notify(pair[1], f"robot_{outcome.action}")
    return outcomes


def pending_by_workspace(integration_id: int) -> dict[str, datetime]:
    """Workspace -> when its oldest robot change still pending on this integration was queued
    (the Warehouse Space page says "pull access pending since ...")."""
    rows = session().execute(
        select(PullOutbox.workspace_id, func.min(PullOutbox.created_at))
        .where(PullOutbox.integration_id == integration_id, PullOutbox.done_at.is_(None))
        .group_by(PullOutbox.workspace_id)
        .order_by(PullOutbox.workspace_id)
    )
    return {workspace: since for workspace, since in rows}
