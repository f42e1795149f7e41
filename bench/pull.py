"""Pull access at scale: one private space bound to 2,000 workspaces, Harbor 10 ms away.

The Harbor emulator runs in its own process (as in ``bench/sync.py``) and sleeps 10 ms before
every answer. On SQLite and on PostgreSQL (when reachable), each figure beside a baseline
measured in the same run:

- **The bind**: ``PUT /api/spaces/<id>/workspaces`` with 2,000 workspaces, the request the
  Bind Workspace dialog sends, for a private space of a platform Harbor (the binding commits
  with 2,000 robot changes queued in the outbox) against the same bind of a public space of
  the same Harbor (no robot needed, nothing queued): what pull access adds to a bind. Median
  of several rounds, alternating the two, bindings and outbox cleared between rounds.
- **Convergence**: the pull worker's own rounds (``PullWorker.run_once``, what the background
  thread runs) from the queued bind until the outbox is empty, with
  ``MIRROR_PULL_CONCURRENCY=8`` against 1 (one robot at a time), each against a fresh
  emulator; afterwards (untimed) the emulator's robots are listed and each of the 2,000 must
  hold exactly the private project.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.models import Binding, Integration, Space, mirror_metadata
from mirror_plugin.models.pull import PullChange, PullOutbox, PullRobot
from mirror_plugin.services.pull_worker import PullWorker
from mirror_plugin.services.sync import sync
from mirror_plugin.testing import FakeHostAdapter

from .apps import LOOPBACK_REGISTRY, plugin_app
from .bindings import databases
from .sync import LATENCY, add_emulated_harbor, harbor_process

ROUNDS = 5
CONCURRENCY = 8


def _app(url: str, workspaces: list[str]) -> tuple[Flask, Any]:
    adapter = FakeHostAdapter(
        workspaces={w: w for w in workspaces},
        namespaces={f"prod/{w}": w for w in workspaces},
        platform_admins={"root"},
    )
    adapter.login("root")
    # No worker thread of its own (TESTING): the benchmark runs the worker's rounds.
    return plugin_app("bench_pull", url, adapter, **LOOPBACK_REGISTRY), adapter


def _clear(db: Any) -> None:
    for model in (Binding, PullOutbox, PullRobot, PullChange):
        db.session.execute(sa.delete(model))
    db.session.commit()


def _robots(url: str) -> list[dict[str, Any]]:
    """Every robot the emulator holds, through its API (untimed)."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = requests.get(
            f"{url}/api/v2.0/robots",
            params={"page": page, "page_size": 100},
            auth=("admin", "Harbor12345"),
            timeout=30,
        )
        answer.raise_for_status()
        found += answer.json()
        if len(answer.json()) < 100:
            return found
        page += 1


def _converge(app: Flask, worker: PullWorker, db: Any) -> float:
    """Seconds of worker rounds until the outbox is empty."""
    started = time.perf_counter()
    while True:
        worker.run_once()
        left = db.session.scalar(sa.select(sa.func.count()).select_from(PullOutbox))
        db.session.commit()
        if not left:
            return time.perf_counter() - started
        if time.perf_counter() - started > 900:
            raise SystemExit(f"pull bench: {left} robot changes still pending after 900 s")
        time.sleep(0.05)


def run(label: str, url: str, workspaces: list[str]) -> None:
    app, _ = _app(url, workspaces)
    with app.app_context():
        dbmigrate.upgrade()
        db = app.extensions["mirror_plugin"].db
        client = app.test_client()
        with client.session_transaction() as session:
            session["_mirror_csrf"] = "bench"

        def bind(space_id: int) -> None:
            answer = client.put(
                f"/mirror/api/spaces/{space_id}/workspaces",
                json={"workspaces": workspaces},
                headers={"X-Mirror-CSRF": "bench"},
            )
            assert answer.status_code == 200, answer.get_json()

        timings: dict[int, dict[str, float]] = {}
        with harbor_process(2, 0, LATENCY) as harbor_url:
            row = add_emulated_harbor(app.extensions["mirror_plugin"], harbor_url, "bench")
            sync(row, actor="bench")  # project-0000 public, project-0001 private
            spaces = {s.name: s for s in db.session.scalars(sa.select(Space))}
            public, private = spaces["project-0000"].id, spaces["project-0001"].id
            times: dict[str, list[float]] = {"private": [], "public": []}
            for _ in range(ROUNDS):
                for kind, space_id in (("public", public), ("private", private)):
                    _clear(db)
                    started = time.perf_counter()
                    bind(space_id)
                    times[kind].append(time.perf_counter() - started)
            queued = db.session.scalar(sa.select(sa.func.count()).select_from(PullOutbox))
            assert queued == len(workspaces), queued
        bind_private = statistics.median(times["private"]) * 1000
        bind_public = statistics.median(times["public"]) * 1000

        for workers in (CONCURRENCY, 1):
            with harbor_process(2, 0, LATENCY) as harbor_url:
                _clear(db)
                db.session.execute(
                    sa.update(Integration)
                    .where(Integration.id == row.id)
                    .values(url=harbor_url, registry_host=harbor_url.split("//")[1])
                )
                db.session.commit()
                bind(private)
                app.config["MIRROR_PULL_CONCURRENCY"] = workers
                seconds = _converge(app, PullWorker(app), db)
                robots = _robots(harbor_url)
                right = [
                    r for r in robots
                    if [p["namespace"] for p in r["permissions"]] == ["project-0001"]
                ]  # fmt: skip
                assert len(robots) == len(right) == len(workspaces), (len(robots), len(right))
                timings[workers] = {"seconds": seconds}
        db.session.remove()
        mirror_metadata.drop_all(db.engine)
        db.engine.dispose()

    n = f"{len(workspaces):,}"
    print(
        f"  {label:10s} bind 1 private space x {n} workspaces: median {bind_private:6.1f} ms; "
        f"the same bind of a public space (nothing queued) {bind_public:6.1f} ms: "
        f"x{bind_private / bind_public:.2f}"
    )
    concurrent, sequential = timings[CONCURRENCY]["seconds"], timings[1]["seconds"]
    print(
        f"  {label:10s} {n} robots converge: {CONCURRENCY} at a time {concurrent:6.1f} s; "
        f"one at a time {sequential:6.1f} s: {sequential / concurrent:.1f}x faster"
    )


def main(quick: bool = False) -> None:
    count = 200 if quick else 2000
    workspaces = [f"ws-{n:05d}" for n in range(count)]
    print(
        f"pull: 1 private space bound to {count:,} workspaces, Harbor emulator "
        f"{LATENCY * 1000:.0f} ms per request; bind median of {ROUNDS} rounds"
    )
    with tempfile.TemporaryDirectory() as folder:
        for label, url in databases(folder):
            run(label, url, workspaces)


if __name__ == "__main__":
    main()
