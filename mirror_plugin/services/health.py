"""Periodic health checks that never block a request.

A daemon thread per worker process (started on the first request, so it survives gunicorn's
fork) probes every integration every ``MIRROR_HEALTH_INTERVAL`` seconds and records Healthy or
Unhealthy with the last error. Requests only read the recorded status.

The loop is leader-only (the ``health`` lease, :mod:`mirror_plugin.services.leases`): of all
the workers and replicas, only the process holding the lease probes, so each registry gets one
probe per interval for the whole deployment, not one per worker. The status is in the
database, so every process shows what the leader recorded.

``flask mirror health`` runs one round at once, for hosts that prefer cron, without asking
for the lease: an operator who asks for a probe gets one, and one probe more in an interval
harms no registry. A host that probes from cron only sets ``MIRROR_HEALTH_INTERVAL = 0``.
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
    lease = "health"

    def run_once(self) -> dict[str, bool]:
        """Probe every integration once, lease or not; return name -> healthy. Never raises."""
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
