"""Periodic health checks that never block a request.

A daemon thread per worker process (started on the first request, so it survives gunicorn's
fork) probes every integration every ``MIRROR_HEALTH_INTERVAL`` seconds and records Healthy or
Unhealthy with the last error. Requests only read the recorded status. ``flask mirror health``
runs one round, for hosts that prefer cron.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from mirror_plugin.models import Integration
from mirror_plugin.services.periodic import PeriodicThread

log = logging.getLogger(__name__)


class HealthMonitor(PeriodicThread):
    name = "mirror-health"
    interval_key = "MIRROR_HEALTH_INTERVAL"

    def run_once(self) -> dict[str, bool]:
        """Probe every integration once; return name -> healthy. Never raises."""
        from mirror_plugin.services.integrations import test_saved
        from mirror_plugin.state import session

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
