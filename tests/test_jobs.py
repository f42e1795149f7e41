"""Background jobs: one active job per registry, claimed safely, retaken when a worker dies.

Jobs are run here with ``jobs.run_pending()`` (the embedded runner thread is off under
``app.testing``).
"""

from __future__ import annotations

import threading
import time

from flask import Flask

from mirror_plugin import jobs
from mirror_plugin.jobs_models import Job
from mirror_plugin.models import Integration

from .factories import integration, session

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens


def test_concurrent_requests_from_two_workers_share_one_job(app: Flask) -> None:
    row_id = integration("reg", CLOSED, kind="docker").id
    session().commit()
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def request_sync() -> None:
        with app.app_context():
            row = session().get(Integration, row_id)
            barrier.wait()
            job, _ = jobs.enqueue("sync", row, actor="root")
            ids.append(job.id)
            session().remove()

    threads = [threading.Thread(target=request_sync) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    assert session().query(Job).count() == 1


def test_a_job_whose_worker_died_is_taken_over(app: Flask) -> None:
    row = integration("reg", CLOSED, kind="docker")
    session().commit()
    job, _ = jobs.enqueue("sync", row, actor="root")
    dead = jobs.claim()  # a worker claims it, then its process is killed: no heartbeat again
    assert dead is not None and dead.status == "running"
    dead_worker = dead.worker
    assert jobs.claim() is None  # while its heartbeat is fresh, nobody else takes it

    app.config["MIRROR_JOBS_STALE_SECONDS"] = 0.2
    time.sleep(0.3)
    assert jobs.run_pending() == 1
    session().expire_all()
    retaken = session().get(Job, job.id)
    assert retaken.status == "failed" and retaken.attempts == 2  # it ran (the port is closed)
    assert retaken.worker != dead_worker and retaken.active_key is None
    assert "could not be reached" in (retaken.error or "")


def test_a_job_that_keeps_losing_its_worker_is_given_up(app: Flask) -> None:
    row = integration("reg", CLOSED, kind="docker")
    session().commit()
    job, _ = jobs.enqueue("sync", row, actor="root")
    app.config["MIRROR_JOBS_STALE_SECONDS"] = 0.05
    for _ in range(jobs.MAX_ATTEMPTS):
        assert jobs.claim() is not None
        time.sleep(0.1)
    assert jobs.claim() is None
    session().expire_all()
    given_up = session().get(Job, job.id)
    assert given_up.status == "failed" and given_up.active_key is None
    assert f"stopped {jobs.MAX_ATTEMPTS} times" in (given_up.error or "")
