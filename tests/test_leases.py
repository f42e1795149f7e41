"""One process of the deployment leads the background work that asks every registry.

The lease itself is tested with threads racing for it (each on its own connection, as
processes would be). The health monitor is tested as deployed: two separate processes (spawned,
each with its own app, engine and monitor thread) on one database, probing two small HTTP
registries that count what they receive; each registry must get one probe per interval, and
when the leading process is killed the other one takes over.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import utcnow
from mirror_plugin.models.leases import Lease
from mirror_plugin.services.leases import acquire, release
from mirror_plugin.services.pull_worker import PullWorker
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api, make_app, world
from .factories import integration, session
from .faulty_server import FaultyServer
from .test_pull_access import bind, harbor, robot_projects, spaces  # noqa: F401 (fixtures)

INTERVAL = 0.5  # seconds between health rounds in the worker processes
GRACE = 3.0  # MIRROR_LEADER_GRACE_SECONDS there: how late a leader may be before takeover


def race(app: Flask, contenders: int, name: str, ttl: float) -> list[str]:
    """``contenders`` threads ask for ``name`` at the same instant; who got it."""
    barrier = threading.Barrier(contenders)
    winners: list[str] = []

    def contend(who: str) -> None:
        with app.app_context():
            barrier.wait()
            if acquire(name, who, ttl):
                winners.append(who)

    threads = [threading.Thread(target=contend, args=(f"p{i}",)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return winners


def test_one_holder_at_a_time_even_when_all_ask_at_once(app: Flask) -> None:
    first = race(app, 6, "health", ttl=0.5)  # nobody held it: the row is created
    assert len(first) == 1
    assert race(app, 6, "health", ttl=0.5) in ([], first)  # alive: only its holder renews
    time.sleep(0.6)
    assert len(race(app, 6, "health", ttl=30)) == 1  # expired: one contender takes it over


def test_a_dead_holders_lease_is_taken_over_after_its_ttl(app: Flask) -> None:
    assert acquire("health", "leader", ttl=0.5)
    assert acquire("health", "leader", ttl=0.5)  # renewed
    assert not acquire("health", "follower", ttl=0.5)
    time.sleep(0.6)  # the leader stopped renewing: it died
    assert acquire("health", "follower", ttl=0.5)
    assert not acquire("health", "leader", ttl=0.5)  # back from a stall: it lost the lease


def test_a_released_lease_passes_on_when_the_next_round_was_due(app: Flask) -> None:
    assert acquire("health", "leader", ttl=30)
    release("health", "leader", at=utcnow() + timedelta(seconds=0.4))
    assert not acquire("health", "follower", ttl=30)  # the interval served stays served
    time.sleep(0.5)
    assert acquire("health", "follower", ttl=30)
    release("health", "leader")  # no longer its lease: nothing changes
    assert not acquire("health", "leader", ttl=30)


def test_cron_health_probes_although_another_process_leads(
    app: Flask, registries: list[FaultyServer]
) -> None:
    """``flask mirror health`` is an operator asking: it probes now, lease or not."""
    assert acquire("health", "another-process", ttl=60)
    result = app.test_cli_runner().invoke(args=["mirror", "health"])
    assert "registry-0" in result.output and "registry-1" in result.output
    assert [len(times) for times in probe_times(registries)] == [1, 1]


def test_one_process_checks_drift_and_every_process_applies_the_outbox(
    app: Flask,
    api: Api,
    harbor: HarborEmulator,  # noqa: F811 - the fixture imported above
    spaces: dict[str, int],  # noqa: F811
) -> None:
    """Two workers' pull threads (two holders) with their drift check due at once: only the
    one holding the lease asks Harbor about every robot; the other still applies binds."""
    first, second = PullWorker(app), PullWorker(app)
    first.run_once()  # its drift check (its first round) takes the lease; no robot yet
    bind(api, spaces["team-a"], "ws-a")
    first.run_once()
    assert list(robot_projects(harbor).values()) == [["team-a"]]

    harbor.requests.clear()
    second.run_once()  # its drift check is due too (its first round), but `first` leads
    assert harbor.requests == []
    bind(api, spaces["team-b"], "ws-b")
    second.run_once()  # the outbox round runs in every process
    assert sorted(robot_projects(harbor).values()) == [["team-a"], ["team-b"]]

    release("pull-drift", first.holder)  # `first` stopped
    harbor.requests.clear()
    PullWorker(app).run_once()  # the next one due leads, and asks Harbor about each robot
    assert harbor.requests != []


# -- the health monitor in separate processes ------------------------------------------------


def monitor_process(database_url: str, started: Any, stop: Any) -> None:
    """A console worker process: its own app on the shared database, its health thread,
    until ``stop`` (a pipe's read end) closes. Not an Event: setting one that a killed
    process was waiting on blocks forever."""
    app = make_app(
        database_url,
        world(),
        MIRROR_HEALTH_INTERVAL=INTERVAL,
        MIRROR_LEADER_GRACE_SECONDS=GRACE,
    )
    monitor = app.extensions["mirror_plugin"].health
    started.wait(60)  # both processes are up: start their threads together
    monitor.start_once()
    try:
        stop.poll(120)
    except EOFError:
        pass
    monitor.stop()


@pytest.fixture
def registries(app: Flask) -> Iterator[list[FaultyServer]]:
    """Two registries the plugin knows, each counting the probes (``GET /v2/``) it gets."""
    servers = [FaultyServer().start(), FaultyServer().start()]
    for number, server in enumerate(servers):
        server.route("/v2/", "/registry")
        integration(f"registry-{number}", server.url, kind="docker")
    session().commit()
    yield servers
    for server in servers:
        server.stop()


def probe_times(registries: list[FaultyServer], since: float = 0.0) -> list[list[float]]:
    """When each registry was probed (its ``GET /v2/``), from ``since`` on."""
    return [
        [seen.at for seen in server.seen("/v2/") if seen.path == "/v2/" and seen.at >= since]
        for server in registries
    ]


def assert_one_probe_per_interval(times: list[list[float]], window: float) -> None:
    """One leader: its rounds start a whole interval after the previous one ended, so a
    registry never sees two probes within an interval, and at most one per interval. Each
    process probing would put another process's probe inside most intervals."""
    for probed in times:
        assert 2 <= len(probed) <= window / INTERVAL + 1, (len(probed), window)
        gaps = [later - earlier for earlier, later in zip(probed, probed[1:], strict=False)]
        assert min(gaps) >= 0.9 * INTERVAL, gaps


def lease_holder_pid() -> int | None:
    row = session().get(Lease, "health", populate_existing=True)
    session().rollback()
    return None if row is None else int(row.holder.split(":")[1])


def test_two_processes_probe_each_registry_once_per_interval_and_survive_the_leader(
    app: Flask, database_url: str, registries: list[FaultyServer]
) -> None:
    spawn = multiprocessing.get_context("spawn")
    started = spawn.Barrier(3)
    stop, stopping = spawn.Pipe(duplex=False)
    workers = [
        spawn.Process(target=monitor_process, args=(database_url, started, stop), daemon=True)
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    try:
        started.wait(60)
        began = time.monotonic()
        time.sleep(8 * INTERVAL)
        assert_one_probe_per_interval(probe_times(registries, began), time.monotonic() - began)

        leader = lease_holder_pid()
        assert leader in {worker.pid for worker in workers}
        os.kill(leader, signal.SIGKILL)  # no clean shutdown: the lease is simply not renewed
        killed = time.monotonic()
        while (follower := lease_holder_pid()) == leader:
            # Its last renewal ran out an interval plus the grace after its last round; the
            # other process asks at each of its own rounds.
            assert time.monotonic() - killed < 3 * INTERVAL + GRACE + 2.0
            time.sleep(0.05)
        assert follower in {worker.pid for worker in workers} - {leader}

        took_over = time.monotonic()
        time.sleep(6 * INTERVAL)
        window = time.monotonic() - took_over
        assert_one_probe_per_interval(probe_times(registries, took_over), window)
    finally:
        stopping.close()
        stop.close()
        for worker in workers:
            worker.join(timeout=20)
            if worker.is_alive():
                worker.kill()
