"""Long registry work as background jobs: queue, claim, run, report, retake.

A request never syncs a registry itself any more (1,000 Harbor projects at real latencies is
minutes, far past a gunicorn worker's timeout): it queues a :class:`~.jobs_models.Job` and
answers at once with its id. Whoever runs jobs claims it:

- the embedded runner (:class:`JobRunner`), a thread in every worker process that needs
  nothing but the database, so ``make demo`` stays one command;
- ``flask mirror jobs work`` (a dedicated worker process) or ``flask mirror jobs run`` (once);
- the request itself when the caller asked to wait (``?wait=true``), and ``flask mirror sync``
  (cron), which runs the same job code synchronously.

Claiming is safe across processes and replicas: ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, and on every database a conditional ``UPDATE`` that only one claimer can win. The
worker holding a job writes a heartbeat (with the job's progress) every
``MIRROR_JOBS_HEARTBEAT_SECONDS``; a running job whose heartbeat is older than
``MIRROR_JOBS_STALE_SECONDS`` belonged to a worker that died and is retaken, at most
:data:`MAX_ATTEMPTS` times. Two jobs of one kind never run at once for one integration (or one
space, for a job of a space): ``active_key`` is unique (see :mod:`.jobs_models`), and a second
request gets the first job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from mirror_plugin.i18n import N_
from mirror_plugin.models import Integration, utcnow
from mirror_plugin.models.jobs import Job, JobStatus
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.services.leases import holder_name
from mirror_plugin.services.periodic import PeriodicThread
from mirror_plugin.signals import integration_changed
from mirror_plugin.state import mirror_state, session

log = logging.getLogger(__name__)

#: A job is retaken after its worker died at most this many times in all; then it fails, so
#: a job that kills its worker (out of memory, say) does not take every worker down in turn.
MAX_ATTEMPTS = 3
#: The job's own failures are stored as these English msgids (a job runs outside any
#: request, so in no user's language) and translated when shown (:func:`.api_jobs.shown_job_error`).
UNEXPECTED = N_("The job failed unexpectedly; nothing was changed. The server log has the details.")
REMOVED = N_("The registry was removed before the job could run.")
DIED = N_(
    "The worker running this job stopped %(num)s times (restarts or crashes); the job was given "
    "up. Start it again."
)

Progress = Callable[[int, int], None]
#: A kind of job: given the job, its integration and a progress callback ``(done, total)``,
#: does the work and returns the result to store (JSON), or raises RegistryError.
Handler = Callable[[Job, Integration, Progress], dict[str, Any]]
KINDS: dict[str, Handler] = {}


class JobFailed(Exception):
    """``JobFailed(msgid)``: a failure that is not the registry's (what the job works on is
    gone); the job fails with the msgid, stored untranslated like :data:`REMOVED`."""


def kind(name: str) -> Callable[[Handler], Handler]:
    """Register a job kind (see :mod:`.jobs_kinds`)."""

    def register(handler: Handler) -> Handler:
        KINDS[name] = handler
        return handler

    return register


def _stale_seconds() -> float:
    return float(current_app.config["MIRROR_JOBS_STALE_SECONDS"])


# -- queueing ------------------------------------------------------------------------------


def enqueue(
    job_kind: str, row: Integration, *, actor: str, space_id: int | None = None
) -> tuple[Job, bool]:
    """Queue ``job_kind`` for ``row`` (for its space ``space_id``, if the job is about one
    space); ``(job, True)``, or ``(the active job, False)`` when one of that kind is already
    queued or running for it (in any process: the unique key decides).
    """
    if job_kind not in KINDS:
        raise ValueError(f"unknown job kind {job_kind!r}")
    key = f"{job_kind}:{row.id if space_id is None else space_id}"
    active = select(Job).where(Job.active_key == key)
    for _ in range(3):  # the active job may finish between our insert and our look-up
        existing = session().scalar(active)
        if existing is not None:
            return existing, False
        job = Job(
            kind=job_kind,
            integration_id=row.id,
            space_id=space_id,
            active_key=key,
            actor=actor,
            status=JobStatus.QUEUED.value,
            progress={},
            attempts=0,
        )
        session().add(job)
        try:
            session().commit()
        except IntegrityError:
            session().rollback()
            continue
        if current_app.config["MIRROR_JOBS_BACKEND"] == "rq":
            _hand_to_rq(job)
        return job, True
    raise RuntimeError(f"could not queue {key}: the active job kept changing")


def _hand_to_rq(job: Job) -> None:
    """Push the job to RQ; if Redis cannot be reached, fail it with a sentence now rather
    than leave it queued with nobody told to run it."""
    from mirror_plugin.services.jobs_rq import QUEUE_DOWN, dispatch

    if dispatch(job.id):
        return
    session().execute(
        update(Job)
        .where(Job.id == job.id, Job.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.FAILED.value, active_key=None, error=QUEUE_DOWN, finished_at=utcnow()
        )
    )
    session().commit()
    session().refresh(job)


def _forget_integration(app: Flask, *, integration: Any, action: str, **_: Any) -> None:
    """A deleted integration's jobs go with it: SQLite may give its id to the next one, whose
    owner must not see the old registry's job results."""
    if action != "deleted":
        return
    with app.app_context():
        session().execute(delete(Job).where(Job.integration_id == integration.id))
        session().commit()


def connect_signals(app: Flask) -> None:
    integration_changed.connect(_forget_integration, sender=app, weak=False)


# -- claiming ------------------------------------------------------------------------------


def claim(job_id: int | None = None) -> Job | None:
    """Take the oldest queued (or abandoned) job, or ``job_id`` only; None if there is none or
    another worker won it. Committed: the job is ``running`` and ours when this returns."""
    now = utcnow()
    cutoff = now - timedelta(seconds=_stale_seconds())
    abandoned = and_(Job.status == JobStatus.RUNNING.value, Job.heartbeat_at < cutoff)
    _give_up(abandoned, now)
    claimable = or_(
        Job.status == JobStatus.QUEUED.value, and_(abandoned, Job.attempts < MAX_ATTEMPTS)
    )
    query = select(Job.id).where(claimable).order_by(Job.id).limit(1)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    # SKIP LOCKED: concurrent claimers on PostgreSQL take different rows instead of queueing
    # behind each other. SQLite has no row locks (SQLAlchemy leaves the clause out there);
    # the conditional UPDATE below is what makes one claimer win on every database.
    candidate = session().scalar(query.with_for_update(skip_locked=True))
    if candidate is None:
        session().rollback()
        return None
    worker = holder_name()  # who claims: a lease holder's name, unique per claim
    won = (
        session()  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        .execute(
            update(Job)
            .where(Job.id == candidate, claimable)
            .values(
                status=JobStatus.RUNNING.value,
                worker=worker,
                attempts=Job.attempts + 1,
                started_at=now,
                heartbeat_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        .rowcount
    )
    session().commit()
    if won != 1:
        return None
    return session().get(Job, candidate, populate_existing=True)


def _give_up(abandoned: Any, now: Any) -> None:
    """Fail the abandoned jobs that already used their attempts."""
    for job in session().scalars(select(Job).where(abandoned, Job.attempts >= MAX_ATTEMPTS)):
        _finish(
            job.id,
            job.worker,
            now,
            status=JobStatus.FAILED.value,
            error=DIED,
        )
    session().commit()


def _finish(job_id: int, worker: str | None, now: Any, **values: Any) -> bool:
    """Record an outcome if ``worker`` still holds the job (not committed)."""
    return bool(
        session()  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        .execute(
            update(Job)
            .where(Job.id == job_id, Job.worker == worker, Job.status == JobStatus.RUNNING.value)
            .values(active_key=None, finished_at=now, heartbeat_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        .rowcount
    )


# -- running -------------------------------------------------------------------------------


class _Heartbeat:
    """Writes the job's progress and heartbeat from a thread of its own while the work runs.

    Its own connection, never the work's session: a sync holds that session's transaction
    until it commits everything at once, and progress must be visible before that.
    """

    def __init__(self, app: Flask, job_id: int, worker: str, on_progress: Progress | None) -> None:
        self.engine = mirror_state(app).db.engine
        self.every = float(app.config["MIRROR_JOBS_HEARTBEAT_SECONDS"])
        self.job_id, self.worker, self.on_progress = job_id, worker, on_progress
        self.progress: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mirror-job-beat", daemon=True)

    def update(self, done: int, total: int) -> None:
        """The work's progress callback. A Harbor sync counts spaces whose repositories are
        listed, of ``total``; a Docker Registry's catalog has no total (0) and counts the
        repositories listed so far."""
        unit = "spaces" if total else "repositories"
        self.progress = {"done": done, "total": total, "unit": unit}
        if self.on_progress:
            self.on_progress(done, total)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.worker == self.worker)
                        .values(heartbeat_at=utcnow(), progress=dict(self.progress))
                    )
            except Exception:  # noqa: BLE001 - a missed beat must not stop the work
                log.warning("mirror_plugin: job %s heartbeat failed", self.job_id, exc_info=True)


def execute(job: Job, on_progress: Progress | None = None) -> Job:
    """Run a job this process claimed, and record its outcome. Never raises for the work's
    failures: they are the job's result (a registry error's category and sentence)."""
    job_id, worker = job.id, job.worker or ""
    outcome: dict[str, Any]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _Heartbeat(app, job_id, worker, on_progress) as beat:
        try:
            row = session().get(Integration, job.integration_id)
            if row is None:
                raise JobFailed(REMOVED)
            result = KINDS[job.kind](job, row, beat.update)
            outcome = {"status": JobStatus.SUCCEEDED.value, "result": result}
        except RegistryError as exc:
            session().rollback()
            outcome = {
                "status": JobStatus.FAILED.value,
                "error_category": exc.category.value,
                "error": exc.message,
            }
        except JobFailed as exc:
            session().rollback()
            outcome = {"status": JobStatus.FAILED.value, "error": str(exc.args[0])}
        except Exception:  # noqa: BLE001 - recorded as the job's failure, logged in full
            session().rollback()
            log.exception("mirror_plugin: job %s (%s) failed", job_id, job.kind)
            outcome = {"status": JobStatus.FAILED.value, "error": UNEXPECTED}
    if not _finish(job_id, worker, utcnow(), progress=beat.progress, **outcome):
        log.warning("mirror_plugin: job %s was retaken by another worker meanwhile", job_id)
    session().commit()
    return session().get(Job, job_id, populate_existing=True) or job


def run_pending(limit: int | None = None) -> int:
    """Claim and run queued jobs until none is left (or ``limit``); how many ran. What the
    runner thread does each round, ``flask mirror jobs run`` once, and tests to run the
    queue deterministically."""
    ran = 0
    while limit is None or ran < limit:
        job = claim()
        if job is None:
            break
        execute(job)
        ran += 1
    return ran


def run_or_wait(
    job_id: int, *, timeout: float, on_progress: Progress | None = None, background: bool = False
) -> Job | None:
    """Run ``job_id`` here if nobody has claimed it, else wait for whoever did (at most
    ``timeout`` seconds); the job as it then is (None if it was deleted).

    ``background``: run it in a thread of this process and wait for that at most ``timeout``
    too, so the caller answers within its bound while the job goes on (the picker's refresh:
    as fast as in the request when the registry is, a job to poll when it is slow).
    """
    deadline = time.monotonic() + timeout
    while True:
        claimed = claim(job_id)
        if claimed is not None and background:
            _execute_in_thread(claimed.id).join(max(0.0, deadline - time.monotonic()))
        elif claimed is not None:
            return execute(claimed, on_progress)
        job = session().get(Job, job_id, populate_existing=True)
        session().rollback()  # end the read: the next look must see other workers' commits
        if job is None or job.finished or time.monotonic() >= deadline:
            return job
        time.sleep(0.25)


def _execute_in_thread(job_id: int) -> threading.Thread:
    """Run a job this process claimed in a thread with an app context and session of its own.
    It outlives the request; if the process dies first, the job is retaken like any other."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            try:
                job = session().get(Job, job_id)
                if job is not None:
                    execute(job)
            finally:
                session().remove()

    thread = threading.Thread(target=work, name=f"mirror-job-{job_id}", daemon=True)
    thread.start()
    return thread


def wait_timeout() -> float:
    """How long a caller who asked to wait may wait: a sync's deadline and a margin."""
    return float(current_app.config["MIRROR_SYNC_DEADLINE"]) + 30.0


class JobRunner(PeriodicThread):
    """The embedded runner: every ``MIRROR_JOBS_POLL_INTERVAL`` seconds, run what is queued."""

    name = "mirror-jobs"
    interval_key = "MIRROR_JOBS_POLL_INTERVAL"

    def run_once(self) -> int:
        """One round; never raises (a runner must outlive any single failure)."""
        with self.app.app_context():
            try:
                return run_pending()
            except Exception:  # noqa: BLE001
                log.exception("mirror_plugin job runner round failed")
                session().rollback()
                return 0
            finally:
                session().remove()
