"""Sync of a large Harbor: concurrent fetching against one-request-at-a-time paging.

The Harbor emulator holds 1,000 projects and 20,000 repositories and sleeps 10 ms before
every answer (a Harbor across a network). It runs in its own process, as a real Harbor does,
so it does not compete with the client for the GIL. Both runs do the same full sync through
the plugin's own code into SQLite; the baseline sets MIRROR_SYNC_WORKERS=1, so every page and
every project's repository listing waits for the previous one. Peak Python memory of each
run is measured with tracemalloc.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.models import Integration, Repository, Space
from mirror_plugin.services.sync import sync
from mirror_plugin.testing import FakeHostAdapter
from mirror_plugin.testing.harbor import HarborEmulator

from .apps import LOOPBACK_REGISTRY, plugin_app

LATENCY = 0.010


def serve_harbor(
    projects: int, per_project: int, url_out: Connection, stop: Event, latency: float = LATENCY
) -> None:
    """A filled emulator in its own process (the benchmarks' Harbor), until ``stop`` is set."""
    with HarborEmulator(latency=0.0) as harbor:
        for p in range(projects):
            name = f"project-{p:04d}"
            harbor.add_project(name, public=p % 3 == 0)
            for r in range(per_project):
                harbor.add_repository(name, f"team/app-{r:02d}")
        harbor.latency = latency
        url_out.send(harbor.url)
        stop.wait()


@contextlib.contextmanager
def harbor_process(projects: int, per_project: int, latency: float) -> Iterator[str]:
    """:func:`serve_harbor` in a spawned process for the ``with`` block; its URL."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(
        target=serve_harbor, args=(projects, per_project, send, stop, latency), daemon=True
    )
    server.start()
    try:
        yield receive.recv()
    finally:
        stop.set()
        server.join(timeout=10)


def add_emulated_harbor(state: Any, url: str, name: str) -> Integration:
    """The emulator as a platform integration, stored directly (no probe: it is ours)."""
    row = Integration(
        name=name,
        kind="harbor",
        scope="platform",
        workspace_id="",
        url=url,
        registry_host=url.split("//")[1],
        username="admin",
        password_encrypted=state.secrets.encrypt("Harbor12345"),
    )
    state.db.session.add(row)
    state.db.session.commit()
    return row


def _app(folder: Path, workers: int) -> Flask:
    return plugin_app(
        f"bench_sync_{workers}",
        f"sqlite:///{folder}/sync-{workers}.db",
        FakeHostAdapter(),
        MIRROR_SYNC_WORKERS=workers,
        **LOOPBACK_REGISTRY,
    )


def _run(
    url: str, folder: Path, workers: int, *, trace: bool = False
) -> tuple[float, int, int, int]:
    """One full sync into a fresh database: (seconds, peak bytes or 0, spaces, repositories).

    tracemalloc slows allocation-heavy code severalfold, so timed runs do not trace and the
    memory figure comes from a separate traced run.
    """
    folder.mkdir(parents=True, exist_ok=True)
    app = _app(folder, workers)
    with app.app_context():
        dbmigrate.upgrade()
        state = app.extensions["mirror_plugin"]
        row = add_emulated_harbor(state, url, "big")
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        sync(row, actor="bench")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
        spaces = state.db.session.query(Space).count()
        repositories = state.db.session.query(Repository).count()
    return elapsed, peak, spaces, repositories


def main(quick: bool = False) -> None:
    projects, per_project = (100, 20) if quick else (1000, 20)
    print(
        f"sync: {projects} Harbor projects, {projects * per_project} repositories, "
        f"{LATENCY * 1000:.0f} ms per request"
    )
    with (
        harbor_process(projects, per_project, LATENCY) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        concurrent = _run(url, Path(tmp) / "a", workers=8)
        sequential = _run(url, Path(tmp) / "b", workers=1)
        traced = _run(url, Path(tmp) / "c", workers=8, trace=True)
    for label, (elapsed, _, spaces, repos) in (
        ("concurrent (8 workers)", concurrent),
        ("one at a time (baseline)", sequential),
    ):
        print(f"  {label:26s} {elapsed:7.2f} s  {spaces} spaces, {repos} repositories")
    print(f"  peak Python memory of a concurrent sync (tracemalloc): {traced[1] / 2**20:.1f} MiB")
    print(f"  speed-up: {sequential[0] / concurrent[0]:.1f}x (target: at least 5x)")


if __name__ == "__main__":
    main()
