"""The background worker that applies the pull-access outbox, like the health monitor.

A daemon thread per worker process (started on the first request, so it survives gunicorn's
fork) runs a round every ``MIRROR_PULL_RECONCILE_INTERVAL`` seconds and a full drift check
every ``MIRROR_PULL_DRIFT_INTERVAL``. Several processes may run it: each pair is re-read from
the bindings when applied, so applying one twice changes nothing. Off under ``app.testing``;
``flask mirror pull reconcile`` does the same for cron.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from .periodic import PeriodicThread

log = logging.getLogger(__name__)


class PullWorker(PeriodicThread):
    name = "mirror-pull"
    interval_key = "MIRROR_PULL_RECONCILE_INTERVAL"

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._last_drift = 0.0
        self._down: set[int] = set()  # integrations whose Harbor failed its last ping

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
