"""The background worker that applies the pull-access outbox, like the health monitor.

A daemon thread per worker process (started on the first request, so it survives gunicorn's
fork) runs a round every ``MIRROR_PULL_RECONCILE_INTERVAL`` seconds and a full drift check
every ``MIRROR_PULL_DRIFT_INTERVAL``. Several processes may run it: each pair is re-read from
the bindings when applied, so applying one twice changes nothing. Off under ``app.testing``;
``flask mirror pull reconcile`` does the same for cron.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)


class PullWorker:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._last_drift = 0.0
        self._down: set[int] = set()  # integrations whose Harbor failed its last ping
        self.thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return float(self.app.config["MIRROR_PULL_RECONCILE_INTERVAL"])

    def start_once(self) -> None:
        if self._pid == os.getpid() or self.interval <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self.thread = threading.Thread(target=self._loop, name="mirror-pull", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self) -> None:
        """One round; a drift check when its interval has passed. Never raises."""
        from .integrations import session
        from .pull_reconcile import reconcile

        drift_every = float(self.app.config["MIRROR_PULL_DRIFT_INTERVAL"])
        drift = drift_every > 0 and time.monotonic() - self._last_drift >= drift_every
        with self.app.app_context():
            try:
                reconcile(drift=drift, down=self._down)
                if drift:
                    self._last_drift = time.monotonic()
            except Exception:  # noqa: BLE001 - the worker must outlive any single failure
                log.exception("mirror_plugin pull-access round failed")
                session().rollback()
            finally:
                session().remove()
