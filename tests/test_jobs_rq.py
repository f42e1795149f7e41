"""The RQ backend against the real Redis at 127.0.0.1:6379: a sync handed to an RQ worker.

The worker is ``flask mirror jobs rq-worker --burst`` (RQ's SimpleWorker in the app context),
run in this process; every test has a queue of its own so runs sharing the Redis never meet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis
from rq import Queue

from mirror_plugin import dbmigrate
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api, drop_plugin_tables, make_app, world
from .factories import integration, session

pytestmark = pytest.mark.redis


@pytest.fixture
def rq_app(redis_url: str, database_url: str) -> Iterator[Flask]:
    queue = f"mirror_test_{uuid.uuid4().hex}"
    app = make_app(
        database_url,
        world(),
        MIRROR_JOBS_BACKEND="rq",
        MIRROR_JOBS_REDIS_URL=redis_url,
        MIRROR_JOBS_RQ_QUEUE=queue,
    )
    with app.app_context():
        dbmigrate.upgrade()
        yield app
        Queue(queue, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)
        db = app.extensions["mirror_plugin"].db
        db.session.remove()
        drop_plugin_tables(db.engine)
        db.engine.dispose()


def test_a_sync_is_handed_to_an_rq_worker(rq_app: Flask, redis_url: str) -> None:
    with HarborEmulator() as harbor:
        harbor.add_project("library", public=True)
        row_id = integration("harbor", harbor.url).id
        session().commit()
        api = Api(rq_app.test_client(), rq_app.extensions["mirror_plugin"].host).as_user("root")
        queued = api.post(f"/api/integrations/{row_id}/sync")
        assert queued.status_code == 202 and queued.get_json()["status"] == "queued"
        again = api.post(f"/api/integrations/{row_id}/sync").get_json()
        assert again["id"] == queued.get_json()["id"]  # one active job, one message in RQ
        queue = Queue(rq_app.config["MIRROR_JOBS_RQ_QUEUE"], connection=Redis.from_url(redis_url))
        assert queue.count == 1

        worked = rq_app.test_cli_runner().invoke(args=["mirror", "jobs", "rq-worker", "--burst"])
        assert worked.exit_code == 0, worked.output
        done = api.get(queued.get_json()["status_url"].removeprefix("/mirror")).get_json()
    assert done["status"] == "succeeded", done
    assert done["result"]["added"] == ["library"]
    assert queue.count == 0


def test_redis_down_fails_the_job_with_a_sentence(rq_app: Flask) -> None:
    rq_app.config["MIRROR_JOBS_REDIS_URL"] = "redis://127.0.0.1:9"  # nothing listens
    row_id = integration("reg", "http://127.0.0.1:9", kind="docker").id
    session().commit()
    api = Api(rq_app.test_client(), rq_app.extensions["mirror_plugin"].host).as_user("root")
    job = api.post(f"/api/integrations/{row_id}/sync").get_json()
    assert job["status"] == "failed"
    assert "job queue (Redis" in job["error"]["message"]
    # Nothing is left active: the next request queues a new job.
    assert api.post(f"/api/integrations/{row_id}/sync").get_json()["id"] != job["id"]
