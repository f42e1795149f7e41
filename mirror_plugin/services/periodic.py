"""One daemon thread per worker process that runs a round every ``interval`` seconds.

Started on the first request (``start_once``), so it is created after gunicorn's fork and
each process has its own; ``stop`` ends it. The health monitor and the pull-access worker
are both this loop around their own ``run_once``.

A loop with a :attr:`PeriodicThread.lease` is leader-only: every process runs the thread, but a
round runs only in the process that holds the lease (:mod:`mirror_plugin.services.leases`) for
that round, so the whole deployment runs it once per interval however many workers and
replicas it has. The leader renews the lease at each round, so it keeps leading; the others
ask at each of their rounds. A leader that stops renewing (it died) loses the lease
``MIRROR_LEADER_GRACE_SECONDS`` after the round it missed, and the first process to ask after
that takes over. A loop
without a lease runs every round in every process. ``run_once`` itself ignores the lease: a
caller who asks for a round (``flask mirror health``) gets one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from mirror_plugin.models import utcnow
from mirror_plugin.services.dbfaults import database_unreachable
from mirror_plugin.services.leases import Renewing, acquire, holder_name, release

log = logging.getLogger(__name__)


class PeriodicThread:
    #: Thread name, and the config key holding the seconds between rounds (0: off).
    name = "mirror-periodic"
    interval_key = ""
    #: The lease a process must hold to run a round (None: every process runs every round).
    lease: str | None = None

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self._holder: tuple[int, str] | None = None
        #: Leases this process led its last round of -> when its next round of it is due.
        self._led: dict[str, datetime] = {}

    @property
    def interval(self) -> float:
        return float(self.app.config[self.interval_key])

    @property
    def holder(self) -> str:
        """This process's name in the lease table (a new one in a forked child)."""
        if self._holder is None or self._holder[0] != os.getpid():
            self._holder = (os.getpid(), holder_name())
        return self._holder[1]

    def start_once(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is)."""
        if self._pid == os.getpid() or self.interval <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()
        self._step_down()

    def tick(self) -> None:
        """One turn of the loop: the round, unless this loop is leader-only and another
        process leads it. Never raises."""
        if self.lease is None:
            self.run_once()
            return
        try:
            with self.app.app_context(), self.leading(self.lease, self.interval) as leader:
                if leader:
                    self.run_once()
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any single failure
            if not database_unreachable(exc):
                log.exception("mirror_plugin %s: the %r lease failed", self.name, self.lease)
            else:
                log.warning(
                    "mirror_plugin %s: the database cannot be reached; round skipped", self.name
                )

    @contextmanager
    def leading(self, lease: str, every: float) -> Iterator[bool]:
        """Whether this process leads this round of ``lease`` (a round every ``every``
        seconds). While the body runs the leader's lease is renewed, and once more at its
        end, so it lasts until the next round is due plus ``MIRROR_LEADER_GRACE_SECONDS``."""
        ttl = every + float(self.app.config["MIRROR_LEADER_GRACE_SECONDS"])
        if not acquire(lease, self.holder, ttl):
            self._led.pop(lease, None)
            yield False
            return
        self._led[lease] = utcnow() + timedelta(seconds=every)
        with Renewing(self.app, lease, self.holder, ttl):
            yield True

    def _step_down(self) -> None:
        """On stop, hand the leases over at the time this process's next round was due: the
        successor starts then, and the interval already served is not served twice."""
        for lease, due in list(self._led.items()):
            try:
                with self.app.app_context():
                    release(lease, self.holder, at=due)
            except Exception:  # noqa: BLE001 - the lease then runs out by itself
                log.warning("mirror_plugin: releasing the %r lease failed", lease, exc_info=True)
        self._led.clear()

    def run_once(self) -> Any:
        raise NotImplementedError
