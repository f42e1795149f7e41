"""The background worker that applies the pull-access outbox, like the health monitor.

A daemon thread per worker process (started on the first request, so it survives gunicorn's
fork) runs a round every ``MIRROR_PULL_RECONCILE_INTERVAL`` seconds and a full drift check
every ``MIRROR_PULL_DRIFT_INTERVAL``. Off under ``app.testing``; ``flask mirror pull
reconcile`` does both at once for cron.

The two kinds of round are shared out differently across workers and replicas:

- The outbox rounds run in every process. They are cheap (a read of the outbox, nothing sent
  while it is empty) and idempotent (each pair is re-read from the bindings when applied, so
  applying one twice changes nothing), and running them everywhere keeps a bind's way into
  the pull secret within seconds even while the process that would lead them is stuck.
- The drift check asks every platform Harbor about every robot: it is leader-only (the
  ``pull-drift`` lease, :mod:`mirror_plugin.services.leases`), so the whole deployment runs
  it once per ``MIRROR_PULL_DRIFT_INTERVAL``. A process that does not hold the lease when its
  drift check is due runs an outbox round instead and asks again an interval later.

While the database cannot be reached (:func:`mirror_plugin.services.dbfaults.database_unreachable`)
every round fails the same way: the worker logs the cause once, a one-line notice per round
after that, and a line when the database answers again, instead of a traceback every
``MIRROR_PULL_RECONCILE_INTERVAL`` seconds. Any other failure is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext

from flask import Flask
from sqlalchemy.exc import DBAPIError

from mirror_plugin.services.dbfaults import database_unreachable, rollback_session
from mirror_plugin.services.periodic import PeriodicThread
from mirror_plugin.state import mirror_state

log = logging.getLogger(__name__)

#: The lease whose holder runs the drift check for the whole deployment.
DRIFT_LEASE = "pull-drift"


class PullWorker(PeriodicThread):
    name = "mirror-pull"
    interval_key = "MIRROR_PULL_RECONCILE_INTERVAL"

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._last_drift = 0.0
        self._down: set[int] = set()  # integrations whose Harbor failed its last ping
        self._outage_since: float | None = None  # monotonic time the database went away
        self._outage_rounds = 0

    def run_once(self) -> None:
        """One round; a drift check when its interval has passed and this process leads it.
        Never raises."""
        from mirror_plugin.services.pull_reconcile import reconcile
        from mirror_plugin.state import session

        drift_every = float(self.app.config["MIRROR_PULL_DRIFT_INTERVAL"])
        due = drift_every > 0 and time.monotonic() - self._last_drift >= drift_every
        with self.app.app_context():
            try:
                with self.leading(DRIFT_LEASE, drift_every) if due else nullcontext(False) as drift:
                    reconcile(drift=drift, down=self._down)
                if due:
                    self._last_drift = time.monotonic()  # ran it, or another process leads it
                self._database_answered()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive any single failure
                rollback_session(mirror_state(self.app).db)
                if database_unreachable(exc):
                    self._database_unreachable(exc)
                else:
                    log.exception("mirror_plugin pull-access round failed")
            finally:
                session().remove()

    def _database_unreachable(self, error: BaseException) -> None:
        self._outage_rounds += 1
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.error(
                "mirror_plugin pull-access worker: the database cannot be reached (%s); robot "
                "changes stay queued and are applied once it answers",
                _cause(error),
            )
        else:
            log.info(
                "mirror_plugin pull-access worker: database still unreachable (round %d)",
                self._outage_rounds,
            )

    def _database_answered(self) -> None:
        if self._outage_since is None:
            return
        log.warning(
            "mirror_plugin pull-access worker: the database answers again after %.0f s "
            "(%d failed rounds); queued robot changes resume",
            time.monotonic() - self._outage_since,
            self._outage_rounds,
        )
        self._outage_since, self._outage_rounds = None, 0


def _cause(error: BaseException) -> str:
    """The driver's first line ("connection refused", "database ... does not exist")."""
    origin = error.orig if isinstance(error, DBAPIError) else error
    return (str(origin).strip().splitlines() or [type(origin).__name__])[0]
