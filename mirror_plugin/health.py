"""Periodic health checks that never block a request.

A daemon thread per worker process (started on the first request, so it survives gunicorn's
fork) probes every integration every ``MIRROR_HEALTH_INTERVAL`` seconds and records Healthy or
Unhealthy with the last error. Requests only read the recorded status. ``flask mirror health``
runs one round, for hosts that prefer cron.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from sqlalchemy import select

from .models import Integration

log = logging.getLogger(__name__)


class HealthMonitor:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return float(self.app.config["MIRROR_HEALTH_INTERVAL"])

    def start_once(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is)."""
        if self._pid == os.getpid() or self.interval <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self.thread = threading.Thread(target=self._loop, name="mirror-health", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self) -> dict[str, bool]:
        """Probe every integration once; return name -> healthy. Never raises."""
        from .integrations import session, test_saved

        results: dict[str, bool] = {}
        with self.app.app_context():
            try:
                ids = list(session().scalars(select(Integration.id)))
                for integration_id in ids:
                    row = session().get(Integration, integration_id)
                    if row is None:
                        continue
                    report = test_saved(row)
                    session().commit()
                    results[row.name] = report.ok
            except Exception:  # noqa: BLE001 - a monitor must outlive any single failure
                log.exception("mirror_plugin health check round failed")
                session().rollback()
            finally:
                session().remove()
        return results
