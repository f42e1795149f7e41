"""Leases in the database: one process of the whole deployment leads a piece of background work.

Why a lease and not a thread per worker: every gunicorn worker of every replica runs the
plugin's background threads (they start on a worker's first request, after the fork). For
the pull-access outbox that is what we want: its rounds are cheap and idempotent. For work
that asks every registry something (the health probes, the pull worker's drift check of every
robot), N processes would ask N times per interval, and a registry would see its load grow with
the console's worker count. A lock held by one process (a ``threading.Lock``, a file lock)
cannot see other machines; a lock in Redis would make Redis a requirement. The database is the
one thing every process of the deployment already shares, so the leader is decided there.

A lease rather than a lock held for the process's life: a lock tied to a connection
(PostgreSQL's ``pg_try_advisory_lock``) does not exist on SQLite, and a leader that hangs
without dying would keep it forever. A lease is a row, ``mirror_leases`` (name, holder,
expires_at): the holder renews it while it works, and when it stops renewing (it died, it was
killed, its machine vanished) the lease runs out and the next process that asks takes it over.

How only one process can win, on SQLite and PostgreSQL alike:

- the first time, the row does not exist: an ``INSERT``, which the primary key refuses to all
  but one process;
- after that, a conditional ``UPDATE ... WHERE name = :name AND (holder = :me OR expires_at <=
  :now)``: it renews the holder's own lease or takes over an expired one, and the database
  applies concurrent updates of a row one after the other (PostgreSQL re-checks the ``WHERE``
  against the row the first writer committed; SQLite has one writer at a time), so the second
  one matches nothing. A process that sees the lease held and alive (a plain read) writes
  nothing at all: followers cost one ``SELECT`` per attempt.

Expiry is compared with the process's clock (``utcnow``), as the job heartbeats are: the
machines of one deployment must agree on the time to well within the lease's margin
(``MIRROR_LEADER_GRACE_SECONDS``, 30 s by default), which NTP gives.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from mirror_plugin.models import utcnow
from mirror_plugin.models.leases import Lease
from mirror_plugin.state import mirror_state

log = logging.getLogger(__name__)


def holder_name() -> str:
    """Who holds a lease: the host and process for people, a random part so that a process
    forked from a holder (or a pid reused after a restart) is never taken for it."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(name: str, holder: str, ttl: float) -> bool:
    """Take or renew the lease ``name`` for ``ttl`` seconds from now; True if ``holder`` has it.

    Only one holder can get True for a lease at a time, whatever the number of processes and
    machines asking. Commits on a connection of its own (never the caller's session), so the
    lease is visible to the others at once. Raises the database's error when it cannot be
    reached: the caller decides whether a round runs without knowing who leads (it does not).
    """
    engine = mirror_state().db.engine
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    with engine.connect() as conn:
        current = conn.execute(
            select(Lease.holder, Lease.expires_at > now).where(Lease.name == name)
        ).first()
    if current is None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(Lease).values(name=name, holder=holder, expires_at=expires))
        except IntegrityError:
            return False  # another process created the lease first: it holds it
        return True
    other, alive = current
    if alive and other != holder:
        return False
    with engine.begin() as conn:
        won = conn.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
            .values(holder=holder, expires_at=expires)
        ).rowcount
    return won == 1


def release(name: str, holder: str, *, at: datetime | None = None) -> None:
    """Let the lease run out at ``at`` (now when None) if ``holder`` still holds it and it
    would last longer. A leader that stops passes the time its next round was due, so its
    successor takes over then, not in the middle of the interval the leader already served."""
    until = at or utcnow()
    with mirror_state().db.engine.begin() as conn:
        conn.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder, Lease.expires_at > until)
            .values(expires_at=until)
        )


class Renewing:
    """Renews a lease from a thread of its own while the work that needs it runs, and once
    more when it ends (so the lease lasts ``ttl`` from the end of the work).

    The work may take longer than the lease (a health round over many slow registries); a
    renewal every third of ``ttl`` keeps it from running out under a holder that is alive. A
    renewal that fails (the database is down, the lease was taken over after a stall) is
    logged and the work goes on: it is idempotent, the next round asks again.
    """

    def __init__(self, app: Flask, name: str, holder: str, ttl: float) -> None:
        self.app, self.name, self.holder, self.ttl = app, name, holder, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mirror-lease", daemon=True)

    def __enter__(self) -> Renewing:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.renew()

    def renew(self) -> bool:
        with self.app.app_context():
            try:
                if acquire(self.name, self.holder, self.ttl):
                    return True
                log.warning("mirror_plugin: lost the %r lease to another process", self.name)
            except Exception:  # noqa: BLE001 - a missed renewal must not stop the work
                log.warning("mirror_plugin: renewing the %r lease failed", self.name, exc_info=True)
        return False

    def _loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self.renew()
