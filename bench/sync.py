"""Sync of a large Harbor: concurrent fetching against one-request-at-a-time paging.

The Harbor emulator holds 1,000 projects and 20,000 repositories and sleeps 10 ms before
every answer (a Harbor across a network). It runs in its own process, as a real Harbor does,
so it does not compete with the client for the GIL. Both runs do the same full sync through
the plugin's own code into SQLite; the baseline sets MIRROR_SYNC_WORKERS=1, so every page and
every project's repository listing waits for the previous one. Peak Python memory of each
run is measured with tracemalloc.

Two things keep the harness from measuring itself rather than the client:

- The emulator answers the sync's list calls from answers it rendered before the clock
  started (:class:`PrerenderedHarbor`); it still parses every request, sleeps, and sends
  Harbor's headers and cookie. Rendering a list page costs the emulator about as much CPU as
  the client spends on the whole request, and a real Harbor spends that on its own machine:
  here it came out of the same two cores, so on a loaded machine the concurrent run waited on
  the emulator's share of the CPU. Both runs get the same prerendered answers.
- Before each timed run, one untimed call loads what a process loads once (the HTTP stack,
  the translations); the concurrent run came first and paid that alone.
"""

from __future__ import annotations

import base64
import contextlib
import multiprocessing
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.models import Integration, Repository, Space
from mirror_plugin.registry.drivers import UpstreamRepository, UpstreamSpace
from mirror_plugin.registry.harbor import HarborClient
from mirror_plugin.services.registry_client import http_for_row
from mirror_plugin.services.sync import apply, sync
from mirror_plugin.testing import FakeHostAdapter
from mirror_plugin.testing.harbor import HarborEmulator
from mirror_plugin.testing.harbor.store import ADMIN_PASSWORD, ADMIN_USER
from mirror_plugin.testing.harbor.wire import API_PREFIX, _Response

from .apps import LOOPBACK_REGISTRY, plugin_app

LATENCY = 0.010


#: An answer's key: method, path, query (order aside) and credentials.
AnswerKey = tuple[str, str, tuple[tuple[str, str], ...], str | None]


class PrerenderedHarbor(HarborEmulator):
    """The emulator, answering the calls :meth:`prerender` listed with the answers it
    rendered then (a copy each time: the server adds its cookie and request id to it).
    Anything else is served as usual."""

    answers: dict[AnswerKey, _Response]

    @staticmethod
    def _key(method: str, raw_path: str, raw_query: str, auth: str | None) -> AnswerKey:
        return method, raw_path, tuple(sorted(parse_qsl(raw_query))), auth

    def _route(
        self, method: str, raw_path: str, raw_query: str, headers: Any, body: bytes
    ) -> _Response:
        answers: dict[AnswerKey, _Response] = getattr(self, "answers", {})
        answer = answers.get(self._key(method, raw_path, raw_query, headers.get("Authorization")))
        if answer is None:
            return super()._route(method, raw_path, raw_query, headers, body)
        return replace(answer, headers=dict(answer.headers))

    def prerender(self, calls: list[tuple[str, str]], auth: str) -> None:
        """Render the GET answers to ``calls`` (path, query) for the caller ``auth``."""
        headers = {"Authorization": auth}
        self.answers = {}
        for path, query in calls:
            answer = super()._route("GET", path, query, headers, b"")
            self.answers[self._key("GET", path, query, auth)] = answer


def sync_calls(projects: int) -> list[tuple[str, str]]:
    """The list calls a full sync of :func:`serve_harbor`'s Harbor makes (path, query)."""
    project_pages = [
        (f"{API_PREFIX}/projects", f"with_detail=true&page={page}&page_size=100")
        for page in range(1, -(-projects // 100) + 2)
    ]
    listings = [
        (f"{API_PREFIX}/projects/project-{p:04d}/repositories", "page=1&page_size=100")
        for p in range(projects)
    ]
    return project_pages + listings


def serve_harbor(
    projects: int,
    per_project: int,
    url_out: Connection,
    stop: Event,
    latency: float = LATENCY,
    prerender: bool = False,
) -> None:
    """A filled emulator in its own process (the benchmarks' Harbor), until ``stop`` is set;
    ``prerender``: with the sync's list answers rendered in advance (see the module)."""
    with (PrerenderedHarbor if prerender else HarborEmulator)(latency=0.0) as harbor:
        for p in range(projects):
            name = f"project-{p:04d}"
            harbor.add_project(name, public=p % 3 == 0)
            for r in range(per_project):
                harbor.add_repository(name, f"team/app-{r:02d}")
        if isinstance(harbor, PrerenderedHarbor):
            admin = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
            harbor.prerender(sync_calls(projects), f"Basic {admin}")
        harbor.latency = latency
        url_out.send(harbor.url)
        stop.wait()


@contextlib.contextmanager
def harbor_process(
    projects: int, per_project: int, latency: float, *, prerender: bool = False
) -> Iterator[str]:
    """:func:`serve_harbor` in a spawned process for the ``with`` block; its URL."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(
        target=serve_harbor,
        args=(projects, per_project, send, stop, latency, prerender),
        daemon=True,
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


def _warm_up(state: Any, url: str) -> None:
    """Before the clock starts, do once what a process does once, so neither run pays it:
    import the HTTP stack (requests and urllib3 load on the first registry call), load the
    translations, and warm SQLAlchemy's caches for the statements a sync writes with (a
    one-space listing applied to a throwaway integration). Before, the concurrent run came
    first and paid all that alone, some 0.3 s of a 2 s figure."""
    row = add_emulated_harbor(state, url, "warm-up")
    http = http_for_row(row)
    try:
        HarborClient(http).ping()
    finally:
        http.close()
    listing = [UpstreamRepository("warm-up/app", 1, None)]
    apply(row, [UpstreamSpace("warm-up", True, "0", 1, listing)], actor="bench")


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
        _warm_up(state, url)
        row = add_emulated_harbor(state, url, "big")
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        sync(row, actor="bench")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
        spaces = state.db.session.query(Space).filter_by(integration_id=row.id).count()
        repositories = (
            state.db.session.query(Repository).join(Space).filter_by(integration_id=row.id).count()
        )
    return elapsed, peak, spaces, repositories


def main(quick: bool = False) -> None:
    projects, per_project = (100, 20) if quick else (1000, 20)
    print(
        f"sync: {projects} Harbor projects, {projects * per_project} repositories, "
        f"{LATENCY * 1000:.0f} ms per request"
    )
    with (
        harbor_process(projects, per_project, LATENCY, prerender=True) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        concurrent = _run(url, Path(tmp) / "a", workers=8)
        sequential = _run(url, Path(tmp) / "b", workers=1)
        traced = _run(url, Path(tmp) / "c", workers=8, trace=True)
    # The time is each line's first number: ``--compare`` pairs lines by their first figure.
    for label, workers, (elapsed, _, spaces, repos) in (
        ("concurrent", 8, concurrent),
        ("one at a time (baseline)", 1, sequential),
    ):
        print(
            f"  {label:26s} {elapsed:7.2f} s  ({workers} worker{'s' * (workers > 1)}; "
            f"{spaces} spaces, {repos} repositories)"
        )
    print(f"  peak Python memory of a concurrent sync (tracemalloc): {traced[1] / 2**20:.1f} MiB")
    print(f"  speed-up: {sequential[0] / concurrent[0]:.1f}x (target: at least 5x)")


if __name__ == "__main__":
    main()
