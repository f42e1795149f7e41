"""The RQ backend (``MIRROR_JOBS_BACKEND = "rq"``): jobs handed to RQ workers through Redis.

For platforms that already run RQ and want registry work in worker processes of its own,
pushed rather than polled. The job table stays the truth (status, progress, result, the one
active job per registry, retaking): RQ only carries "run job N" to a worker, which claims job
N like any runner, so a message delivered twice runs the job once. A worker is started with
``flask mirror jobs rq-worker`` (RQ's ``SimpleWorker`` inside the app context, so the job
code finds the app, its database and its configuration). Needs ``pip install rq``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from mirror_plugin.i18n import N_

log = logging.getLogger(__name__)

QUEUE_DOWN = N_(
    "The job queue (Redis at MIRROR_JOBS_REDIS_URL) cannot be reached, so the job was not "
    "started. Try again in a moment."
)


def queue() -> Any:
    """The RQ queue of this app (``MIRROR_JOBS_RQ_QUEUE`` on ``MIRROR_JOBS_REDIS_URL``)."""
    from redis import Redis
    from rq import Queue

    config = current_app.config
    connection = Redis.from_url(
        config["MIRROR_JOBS_REDIS_URL"], socket_connect_timeout=3, socket_timeout=10
    )
    return Queue(config["MIRROR_JOBS_RQ_QUEUE"], connection=connection)


def dispatch(job_id: int) -> bool:
    """Hand job ``job_id`` to RQ; False when Redis cannot be reached (logged)."""
    from redis.exceptions import RedisError

    timeout = int(float(current_app.config["MIRROR_SYNC_DEADLINE"])) + 60
    try:
        queue().enqueue_call(perform, args=(job_id,), timeout=timeout, result_ttl=0)
    except RedisError:
        log.exception("mirror_plugin: could not hand job %s to RQ", job_id)
        return False
    return True


def perform(job_id: int) -> None:
    """What an RQ worker runs: claim job ``job_id`` (unless another runner has it) and run
    it, then whatever else is queued or was abandoned by a worker that died."""
    from mirror_plugin.services.jobs import run_or_wait, run_pending

    run_or_wait(job_id, timeout=0)
    run_pending()


def work(*, burst: bool) -> None:
    """Run an RQ worker on this app's queue in this process (``burst``: until it is empty)."""
    from rq import SimpleWorker

    jobs_queue = queue()
    SimpleWorker([jobs_queue], connection=jobs_queue.connection).work(burst=burst)
