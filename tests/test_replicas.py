"""Issue 14's proof: state holds across replicas of the console, not just across threads.

Two separate gunicorn instances of the demo console (A and B, two workers each) share one
PostgreSQL database and one Redis; an RQ worker process runs the background jobs, and the web
instances run none (tests/replicas.py builds it all). Against that deployment:

- a sync started on A is visible on B while it runs, with its progress growing, and it is
  the worker process that runs it;
- a binding made (and removed) on A is enforced by B's deploy hook within one second;
- the 11th test connection of one user in a minute is refused on whichever instance it
  reaches, because the limiter counts in the shared Redis;
- in each health interval every registry is probed once, whatever the number of workers.

Every test signs in through the console's own login form and calls the JSON API as the
console's pages do (the plugin's CSRF header included). The deployment is started once for
the module (about 10 s) by the ``replicas`` fixture; a further cross-replica assertion is
one more test function taking that fixture.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.conftest import POSTGRES_URL, require_tool
from tests.replicas import (
    HEALTH_INTERVAL,
    SLOW_INTEGRATION,
    SLOW_PROJECTS,
    Console,
    Deployment,
    deployment,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

#: How fast a binding change must reach the other replica (issue 14: "within 1 s").
REVOCATION_BOUND = 1.0


@pytest.fixture(scope="module")
def replicas(postgres_url: str, redis_url: str) -> Iterator[Deployment]:
    """The running deployment; ``postgres_url`` and ``redis_url`` skip (or, under CI, fail)
    when their servers do not answer. Its database is its own, beside the session's."""
    require_tool(importlib.util.find_spec("gunicorn") is not None, "gunicorn (pip install)")
    require_tool(importlib.util.find_spec("rq") is not None, "rq (pip install)")
    with deployment(POSTGRES_URL, redis_url) as running:
        yield running


@pytest.fixture(autouse=True)
def no_server_errors(replicas: Deployment) -> Iterator[None]:
    """Fail the test during which an instance or the worker logged a traceback."""
    before = replicas.tracebacks()
    yield
    assert replicas.tracebacks() == before, replicas.logs()


def test_a_sync_started_on_a_shows_its_progress_on_b_and_runs_on_the_worker(
    replicas: Deployment,
) -> None:
    admin = replicas.sign_in("admin")
    row = replicas.integration_id(SLOW_INTEGRATION)
    queued = admin.post(replicas.a, f"/mirror/api/integrations/{row}/sync")
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["status"] == "queued"  # answered at once: nobody on A runs it
    status_path = job["status_url"]

    seen: list[tuple[str, int, int]] = []  # (status, done, total) as B reports them
    deadline = time.monotonic() + 40
    while job["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"the job never finished: {seen}\n{replicas.logs()}"
        time.sleep(0.1)
        reply = admin.get(replicas.b, status_path)
        assert reply.status_code == 200, reply.text
        job = reply.json()
        progress = job["progress"]
        seen.append((job["status"], progress.get("done", 0), progress.get("total", 0)))

    assert job["status"] == "succeeded", f"{job}\n{replicas.logs()}"
    assert len(job["result"]["added"]) == SLOW_PROJECTS
    running = [(done, total) for status, done, total in seen if status == "running" and total]
    steps = [done for done, _ in running]
    assert len(set(steps)) >= 2, f"B never saw the progress grow: {seen}"
    assert steps == sorted(steps), f"progress went backwards: {seen}"
    assert all(total == SLOW_PROJECTS for _, total in running), seen

    # The job table names the process that ran it ("host:pid:claim"): the RQ worker's.
    with replicas.engine.connect() as conn:
        worker = conn.exec_driver_sql(
            "SELECT worker FROM mirror_jobs WHERE id = %(id)s", {"id": job["id"]}
        ).scalar()
    assert worker is not None and worker.split(":")[1] == str(replicas.worker.pid), (
        f"job ran in {worker!r}, not in the RQ worker (pid {replicas.worker.pid}); web "
        f"instances' masters: {[p.pid for p in replicas.instances]}"
    )
    # Its outcome is the deployment's, not B's view of a cache: B lists the new spaces.
    spaces = admin.get(replicas.b, f"/mirror/api/integrations/{row}/spaces")
    assert spaces.status_code == 200 and spaces.json()["total"] == SLOW_PROJECTS, spaces.text


def _watch_b(replicas: Deployment, admin: Console, check: str, want: bool) -> None:
    """Ask B's deploy hook again and again for 1.5 s from now: every answer to a request
    sent more than :data:`REVOCATION_BOUND` seconds after the change must be ``want``."""
    answers: list[tuple[float, bool]] = []
    start = time.monotonic()
    while (sent := time.monotonic() - start) < REVOCATION_BOUND + 0.5:
        reply = admin.get(replicas.b, check)
        assert reply.status_code == 200, reply.text
        answers.append((sent, reply.json()["allowed"]))
        time.sleep(0.01)
    late = [t for t, allowed in answers if t > REVOCATION_BOUND]
    wrong = [round(t, 3) for t, allowed in answers if t > REVOCATION_BOUND and allowed is not want]
    assert late and not wrong, (
        f"B answered allowed={not want} to {len(wrong)} of {len(late)} requests sent more than "
        f"{REVOCATION_BOUND} s after the change, the last at {wrong[-1:]} s"
    )


def test_a_bind_on_a_is_enforced_on_b_within_one_second(replicas: Deployment) -> None:
    admin = replicas.sign_in("admin")
    host = replicas.sandbox.url.split("//")[1]
    image = f"{host}/beta-private/api:3.1"  # a private space the seed bound to Team Beta only
    check = f"/mirror/api/check?namespace=cluster-1/alpha-web&image={quote(image)}"
    before = admin.get(replicas.b, check)
    assert before.status_code == 200 and before.json()["allowed"] is False, before.text
    with replicas.engine.connect() as conn:
        space = conn.exec_driver_sql(
            "SELECT id FROM mirror_spaces WHERE name = 'beta-private'"
        ).scalar()

    for action, want in (("bind", True), ("unbind", False)):
        change = {"action": action, "spaces": [space], "workspaces": ["alpha"]}
        reply = admin.post(replicas.a, "/mirror/api/bindings", change)
        assert reply.status_code == 200, reply.text
        _watch_b(replicas, admin, check, want)


def test_the_eleventh_test_connection_in_a_minute_is_refused_on_either_instance(
    replicas: Deployment,
) -> None:
    from demo.sandbox import ROBOT

    alice = replicas.sign_in("alice")  # Team Alpha's Workspace Admin: tests a warehouse
    path = "/mirror/api/workspaces/alpha/integrations/test"
    body = {
        "name": "alpha-robot",
        "kind": "harbor",
        "url": replicas.sandbox.url,
        "username": ROBOT[0],
        "password": ROBOT[1],
    }
    for n in range(10):  # five on each instance: per process, no limit would be near
        reply = alice.post(replicas.b if n % 2 else replicas.a, path, body)
        assert reply.status_code == 200, (n, reply.text)
        assert reply.json()["ok"] is True, reply.text
    for instance in (replicas.a, replicas.b):
        refused = alice.post(instance, path, body)
        assert refused.status_code == 429, refused.text
        message = refused.json()["error"]["message"]
        assert "Too many connection tests: at most 10 per minute" in message


def _pings(replicas: Deployment) -> list[int]:
    """How many health pings each registry has had (the probe's first call)."""
    return [
        sum(1 for _, path in registry.requests if path == "/api/v2.0/ping")
        for registry in (replicas.sandbox, replicas.slow)
    ]


def test_each_registry_is_probed_once_per_health_interval(replicas: Deployment) -> None:
    """Every web worker runs a health loop (started by its first request); only the one
    holding the lease probes. Four probing workers would ping each registry about four times
    per interval."""
    admin = replicas.sign_in("admin")
    for n in range(40):  # requests to both instances, so every worker's loop is started
        assert admin.get(replicas.b if n % 2 else replicas.a, "/mirror/").status_code == 200
    time.sleep(HEALTH_INTERVAL)  # the loops' first rounds are due
    before = _pings(replicas)
    rounds = 4
    time.sleep(rounds * HEALTH_INTERVAL)
    probed = [after - then for after, then in zip(_pings(replicas), before, strict=True)]
    assert all(rounds - 2 <= n <= rounds + 1 for n in probed), (probed, replicas.logs())
