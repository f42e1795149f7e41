"""Applying the pull-access outbox: each queued (integration, workspace) once, with backoff.

Pairs are applied ``MIRROR_PULL_CONCURRENCY`` at a time, each in a worker thread with its own
app context and so its own database session: a robot change is a few Harbor round trips, and
2,000 workspaces bound in one go would otherwise wait for each other's (see ``bench/pull.py``).
A pair is only ever applied by one thread of a process at a time (a second reconcile, the CLI
beside the worker thread, waits for it), and it is re-read from the bindings when applied.

A pair that fails (Harbor down, refusing, slow) keeps its outbox rows with one more attempt,
the error, and a next attempt after an exponential backoff capped at
``MIRROR_PULL_RETRY_MAX_SECONDS``; a Harbor that answers its ping again makes its waiting rows
due at once. Rows are deleted only once their change is applied, and rows queued while a pair
was being applied stay pending for the next round, so no change is lost. Each pair commits on
its own: one broken workspace never holds back the others. A database that cannot be reached
ends the round (every pair would fail the same way); the worker reports that once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from mirror_plugin.models import Binding, Integration, Scope, Space, utcnow
from mirror_plugin.models.pull import PullOutbox, PullRobot
from mirror_plugin.registry.budget import bounded_map
from mirror_plugin.registry.drivers import kinds_that
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.registry.harbor import HarborClient
from mirror_plugin.services.dbfaults import database_unreachable
from mirror_plugin.services.pull import Outcome, _audit, apply_pair, needs_robot, notify
from mirror_plugin.services.pull_changes import count
from mirror_plugin.services.registry_client import http_for_row
from mirror_plugin.state import session

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
                Integration.kind.in_(kinds_that(lambda driver: driver.has_pull_robots)),
                Integration.scope == Scope.PLATFORM.value,
            )  # fmt: skip
            .distinct()
        )
        .all()
    )
    return {(int(i), str(w)) for i, w in pairs}


def _finish(pair: Pair, up_to: int, error: str | None) -> None:
    """Delete the pair's rows up to ``up_to`` (applied), or back them off (``error``)."""
    where = (
        PullOutbox.integration_id == pair[0],
        PullOutbox.workspace_id == pair[1],
        PullOutbox.id <= up_to,
    )
    if error is None:
        session().execute(delete(PullOutbox).where(*where))
        return
    now = utcnow()
    cap = float(current_app.config["MIRROR_PULL_RETRY_MAX_SECONDS"])
    for row in session().scalars(select(PullOutbox).where(*where, PullOutbox.done_at.is_(None))):
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=min(cap, 2.0 ** min(row.attempts, 20)))
        row.last_error = error[:2000]


class _PairLocks:
    """The pairs being applied in this process. Within a round each pair is one job; this
    keeps two rounds (the worker thread and ``flask mirror pull reconcile`` or
    ``reconcile_pull_access()``) from applying the same pair at once."""

    def __init__(self) -> None:
        self._busy: set[Pair] = set()
        self._changed = threading.Condition()

    @contextmanager
    def held(self, pair: Pair) -> Iterator[None]:
        with self._changed:
            while pair in self._busy:
                self._changed.wait()
            self._busy.add(pair)
        try:
            yield
        finally:
            with self._changed:
                self._busy.discard(pair)
                self._changed.notify_all()


_PAIRS = _PairLocks()


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
    Harbors that failed their ping. Never raises for Harbor errors; raises the database's
    error when it cannot be reached."""
    only = set(workspaces) if workspaces is not None else None
    if due_only and down is not None:
        _wake_recovered(down)
    pending = _pending(due_only)
    pairs = set(pending)
    if drift or rotate:
        pairs |= _all_pairs()
    if only is not None:
        pairs = {p for p in pairs if p[1] in only}
    session().commit()  # end this read: each pair is applied in a session of its own
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    default = "rotate" if rotate else "drift"

    def job(pair: Pair) -> Outcome | None:
        up_to, reason = pending.get(pair, (0, default))
        with app.app_context():
            with _PAIRS.held(pair):
                outcome = _apply_one(pair, up_to, reason, rotate)
            if outcome is not None and outcome.changed_credentials:
                # Outside the pair's lock: a receiver may well reconcile again.
                notify(pair[1], f"robot_{outcome.action}", counted=True)
            return outcome

    done = bounded_map(job, sorted(pairs), _workers())
    return [outcome for outcome in done if outcome is not None]


def _workers() -> int:
    """``MIRROR_PULL_CONCURRENCY``; 1 on an in-memory SQLite database, whose single
    connection every thread shares."""
    bind = session().get_bind()
    if bind.dialect.name == "sqlite" and bind.engine.url.database in (None, "", ":memory:"):
        return 1
    return max(1, int(current_app.config["MIRROR_PULL_CONCURRENCY"]))


def _apply_one(pair: Pair, up_to: int, reason: str, rotate: bool) -> Outcome | None:
    """One pair in the current (the job's own) session; None when its integration is gone."""
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
        return None
    try:
        outcome = apply_pair(integration, pair[1], rotate=rotate)
        _audit(outcome, reason)
        _finish(pair, up_to, None)
        if outcome.changed_credentials:
            count(pair[1])  # the agents' cursor moves with this commit, not one of its own
        session().commit()
    except (RegistryError, SQLAlchemyError) as exc:
        session().rollback()
        if isinstance(exc, SQLAlchemyError) and database_unreachable(exc):
            raise  # every other pair would fail alike: the round ends, the worker says so
        message = exc.message if isinstance(exc, RegistryError) else "database error"
        if not isinstance(exc, RegistryError):
            log.exception("mirror_plugin: storing pull access of %s failed", pair[1])
        integration_name = integration.name
        _finish(pair, up_to, message)
        session().commit()
        return Outcome(integration_name, pair[1], "failed", error=message)
    return outcome


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
