"""Sync as a background job: answered at once, run by whoever claims it, visible everywhere.

Jobs are run here with ``jobs.run_pending()`` (the embedded runner thread is off under
``app.testing``), in a thread of their own where the test watches a job while it runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import Integration, Space
from mirror_plugin.models.jobs import Job
from mirror_plugin.services import jobs
from mirror_plugin.testing.harbor import HarborEmulator
from mirror_plugin.web.api.jobs import shown_job_error
from mirror_plugin.web.disclosure import UNREACHABLE

from .conftest import Api, make_app, world
from .factories import integration, session, space
from .test_harbor_integration import body

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens


@pytest.fixture
def harbor() -> Iterator[HarborEmulator]:
    with HarborEmulator() as emulator:
        yield emulator


def connect(api: Api, harbor: HarborEmulator) -> int:
    created = api.as_user("root").post("/api/integrations", body(harbor))
    assert created.status_code == 201, created.get_json()
    return int(created.get_json()["id"])


def run_in_background(app: Flask) -> threading.Thread:
    """A worker of its own (as another process would be): its own app context and session."""

    def work() -> None:
        with app.app_context():
            jobs.run_pending()
            session().remove()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_sync_answers_at_once_and_the_job_shows_progress_then_the_result(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    integration_id = connect(api, harbor)
    for number in range(12):
        harbor.add_project(f"new-{number:02d}", public=True)
        harbor.add_repository(f"new-{number:02d}", "app", [{"tags": ["1"]}])
    app.config.update(MIRROR_SYNC_WORKERS=1, MIRROR_JOBS_HEARTBEAT_SECONDS=0.05)

    queued = api.post(f"/api/integrations/{integration_id}/sync")
    assert queued.status_code == 202
    job = queued.get_json()
    assert job["status"] == "queued" and job["kind"] == "sync"
    assert queued.headers["Location"] == job["status_url"] == f"/mirror/api/jobs/{job['id']}"
    assert session().query(Space).filter(Space.name.like("new-%")).count() == 0  # not yet

    harbor.latency = 0.05  # each project's repository listing takes a while
    worker = run_in_background(app)
    seen: list[dict[str, Any]] = []
    while worker.is_alive():
        status = api.get(f"/api/jobs/{job['id']}").get_json()
        if status["status"] == "running" and status["progress"].get("done"):
            seen.append(status["progress"])
        time.sleep(0.05)
    worker.join()
    assert seen, "no progress was visible while the job ran"
    assert seen[0]["total"] == 12 and seen[0]["unit"] == "spaces" and seen[0]["done"] < 12

    done = api.get(f"/api/jobs/{job['id']}").get_json()
    assert done["status"] == "succeeded" and done["error"] is None
    assert done["progress"] == {"done": 12, "total": 12, "unit": "spaces"}
    assert sorted(done["result"]["added"]) == [f"new-{n:02d}" for n in range(12)]
    assert "12 new" in done["result"]["summary"]
    assert session().query(Space).filter(Space.name.like("new-%")).count() == 12


def test_a_second_request_gets_the_job_already_queued(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    integration_id = connect(api, harbor)
    first = api.post(f"/api/integrations/{integration_id}/sync").get_json()
    second = api.post(f"/api/integrations/{integration_id}/sync")
    assert second.status_code == 202 and second.get_json()["id"] == first["id"]
    assert jobs.run_pending() == 1
    # Once it finished, a new request starts a new job.
    third = api.post(f"/api/integrations/{integration_id}/sync").get_json()
    assert third["id"] != first["id"] and third["status"] == "queued"


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


def test_concurrent_refreshes_of_one_space_share_one_job(app: Flask) -> None:
    """The picker's refresh is one job per space, whichever worker or replica starts it; a
    refresh of another space of the same registry is a job of its own."""
    row = integration("reg", CLOSED, kind="docker")
    first, second = space(row, "one", public=True), space(row, "two", public=True)
    session().commit()
    row_id, first_id, second_id = row.id, first.id, second.id
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def request_refresh() -> None:
        with app.app_context():
            barrier.wait()
            owner = session().get(Integration, row_id)
            job, _ = jobs.enqueue("refresh", owner, actor="eddie", space_id=first_id)
            ids.append(job.id)
            session().remove()

    threads = [threading.Thread(target=request_refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    other, created = jobs.enqueue("refresh", row, actor="eddie", space_id=second_id)
    assert created and other.id != ids[0]
    assert jobs.run_pending() == 2
    session().expire_all()
    failed = session().get(Job, ids[0])
    assert failed.status == "failed" and failed.space_id == first_id
    assert "could not be reached" in (failed.error or "")


def test_a_refresh_of_a_space_removed_meanwhile_fails_with_a_sentence(app: Flask, api: Api) -> None:
    row = integration("reg", CLOSED, kind="docker")
    gone = space(row, "gone", public=True)
    session().commit()
    job, _ = jobs.enqueue("refresh", row, actor="root", space_id=gone.id)
    session().delete(gone)
    session().commit()
    assert jobs.run_pending() == 1
    shown = api.as_user("root").get(f"/api/jobs/{job.id}").get_json()
    assert shown["status"] == "failed" and shown["kind"] == "refresh"
    assert shown["error"]["message"] == (
        "The space was removed before its repositories could be listed again."
    )


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
    with app.test_request_context():
        shown = shown_job_error(given_up)
    assert shown is not None and f"stopped {jobs.MAX_ATTEMPTS} times" in shown.message


def test_a_failed_sync_is_recorded_and_shown_as_each_user_may_see_it(app: Flask, api: Api) -> None:
    platform = integration("down", CLOSED, kind="docker")
    warehouse = integration("own", CLOSED, kind="docker", workspace_id="ws-a")
    session().commit()
    platform_job = api.as_user("root").post(f"/api/integrations/{platform.id}/sync").get_json()
    warehouse_job = api.as_user("alice").post(f"/api/integrations/{warehouse.id}/sync").get_json()
    assert jobs.run_pending() == 2

    failed = api.as_user("root").get(f"/api/jobs/{platform_job['id']}").get_json()
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"]["category"] == "unreachable"
    assert "could not be reached" in failed["error"]["message"]
    # A Workspace Admin gets the category's sentence, never the registry's detail.
    tenant = api.as_user("alice").get(f"/api/jobs/{warehouse_job['id']}").get_json()
    assert tenant["error"] == {"category": "unreachable", "message": UNREACHABLE}
    session().expire_all()
    assert session().get(Integration, platform.id).health == "unhealthy"


def test_wait_runs_the_job_in_the_request_for_scripts(app: Flask, api: Api) -> None:
    row = integration("down", CLOSED, kind="docker")
    session().commit()
    failed = api.as_user("root").post(f"/api/integrations/{row.id}/sync?wait=true")
    assert failed.status_code == 502
    assert "could not be reached" in failed.get_json()["error"]["message"]
    assert session().query(Job).one().status == "failed"
    bad = api.post(f"/api/integrations/{row.id}/sync?wait=soon")
    assert bad.status_code == 422
    assert bad.get_json()["error"] == {
        "status": 422,
        "message": "wait must be true or false.",
        "fields": {"wait": "wait must be true or false."},
    }


def test_jobs_are_visible_only_to_who_sees_their_registry(app: Flask, api: Api) -> None:
    warehouse = integration("own", CLOSED, kind="docker", workspace_id="ws-a")
    session().commit()
    job = api.as_user("alice").post(f"/api/integrations/{warehouse.id}/sync").get_json()
    assert api.as_user("vera").get(f"/api/jobs/{job['id']}").status_code == 200  # a member
    assert api.as_user("bob").get(f"/api/jobs/{job['id']}").status_code == 404
    assert api.as_user("bob").get("/api/jobs/999999").status_code == 404
    # Another registry's page does not show this job either.
    other = integration("other", CLOSED, kind="docker", workspace_id="ws-a")
    session().commit()
    page = api.as_user("alice").get(f"/workspaces/ws-a/warehouses/{other.id}/jobs/{job['id']}")
    assert page.status_code == 404


def test_deleting_the_registry_deletes_its_jobs(app: Flask, api: Api) -> None:
    row = integration("gone", CLOSED, kind="docker")
    session().commit()
    job = api.as_user("root").post(f"/api/integrations/{row.id}/sync").get_json()
    assert api.delete(f"/api/integrations/{row.id}").status_code == 200
    session().expire_all()
    assert session().get(Job, job["id"]) is None
    assert api.get(f"/api/jobs/{job['id']}").status_code == 404


def test_the_sync_button_opens_the_job_page_until_the_result(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    integration_id = connect(api, harbor)
    harbor.add_project("fresh", public=True)
    form = {"mirror_csrf_token": Api.TOKEN}
    posted = api.client.post(f"/mirror/integrations/{integration_id}/sync", data=form)
    assert posted.status_code == 302
    job_page = posted.headers["Location"]
    assert job_page.startswith(f"/mirror/integrations/{integration_id}/jobs/")
    again = api.client.post(f"/mirror/integrations/{integration_id}/sync", data=form)
    assert again.headers["Location"] == job_page  # the same job, not a second one

    waiting = api.client.get(job_page).get_data(as_text=True)
    assert "Queued" in waiting and 'http-equiv="refresh"' in waiting
    assert "already under way" in waiting
    jobs.run_pending()
    done = api.client.get(job_page).get_data(as_text=True)
    assert "Done" in done and "Synced: 1 space: 1 new, 0 changed, 0 removed." in done
    assert 'http-equiv="refresh"' not in done


def test_an_unknown_jobs_backend_is_refused_at_start(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="MIRROR_JOBS_BACKEND must be one of database, rq"):
        make_app(database_url, world(), MIRROR_JOBS_BACKEND="celery")


def test_concurrent_runners_claim_each_job_once(app: Flask) -> None:
    """Four runners (threads, each with its own connection, as processes would) racing for
    six queued jobs: every job is claimed by exactly one of them."""
    ids = []
    for number in range(6):
        row = integration(f"reg-{number}", CLOSED, kind="docker")
        session().commit()
        ids.append(jobs.enqueue("sync", row, actor="root")[0].id)
    barrier = threading.Barrier(4)
    claimed: list[tuple[int, str]] = []

    def runner() -> None:
        with app.app_context():
            barrier.wait()
            while (job := jobs.claim()) is not None:
                claimed.append((job.id, job.worker or ""))
            session().remove()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job_id for job_id, _ in claimed) == ids
    session().expire_all()
    assert {session().get(Job, job_id).worker for job_id, _ in claimed} == {w for _, w in claimed}


def test_jobs_run_command_empties_the_queue(app: Flask) -> None:
    row = integration("reg", CLOSED, kind="docker")
    session().commit()
    job, _ = jobs.enqueue("sync", row, actor="root")
    result = app.test_cli_runner().invoke(args=["mirror", "jobs", "run"])
    assert result.exit_code == 0 and "Ran 1 job." in result.output
    session().expire_all()
    assert session().get(Job, job.id).status == "failed"  # nothing listens at the port
    assert "Ran 0 jobs." in app.test_cli_runner().invoke(args=["mirror", "jobs", "run"]).output
