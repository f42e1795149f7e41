"""The picker's first search page over 20,000 visible repositories, on SQLite and PostgreSQL.

The plugin answers from the repositories its sync stored (through its per-worker search
index, mirror_plugin.services.searchindex); the baseline, measured in the same run, gets the same
first page live from Harbor the only way that respects visibility without a catalogue: one
repository listing per visible project (8 at a time), 5 ms per request, then sorted and cut
to one page. Both run against the same Harbor emulator, in its own process. The catalogue is
synced into SQLite and into a throw-away PostgreSQL database (as ``python -m bench load``
makes one); each is timed through the Flask test client, so a request's whole cost counts.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.models import Space
from mirror_plugin.services.sync import sync
from mirror_plugin.testing import FakeHostAdapter

from .apps import LOOPBACK_REGISTRY, plugin_app
from .load import LoadError, postgres_admin, throwaway_database
from .sync import add_emulated_harbor, harbor_process

LATENCY = 0.005
QUERY = "app-07"
PAGE = 20
TARGET = 500  # times faster than the live fan-out
SEARCHES = 40


def _app(database_url: str) -> tuple[Flask, FakeHostAdapter]:
    adapter = FakeHostAdapter(
        workspaces={"ws-a": "Team A"},
        namespaces={"prod/web": "ws-a"},
        roles={"dev": {"ws-a": "editor"}},
    )
    adapter.login("dev")
    return plugin_app("bench_picker", database_url, adapter, **LOOPBACK_REGISTRY), adapter


def live_first_page(url: str, projects: list[str]) -> list[str]:
    session = requests.Session()
    session.auth = ("admin", "Harbor12345")

    def listing(project: str) -> list[str]:
        reply = session.get(
            f"{url}/api/v2.0/projects/{project}/repositories",
            params={"q": f"name=~{QUERY}", "page_size": 100},
            timeout=30,
        )
        reply.raise_for_status()
        return [item["name"] for item in reply.json()]

    with ThreadPoolExecutor(max_workers=8) as pool:
        names = sorted(name for found in pool.map(listing, projects) for name in found)
    return names[:PAGE]


@contextlib.contextmanager
def databases(folder: Path) -> Iterator[dict[str, str]]:
    """SQLite in ``folder`` and a throw-away PostgreSQL database, dropped at the end."""
    try:
        admin = postgres_admin()
    except LoadError as exc:
        raise SystemExit(f"picker: the benchmark runs on SQLite and PostgreSQL: {exc}") from exc
    try:
        with throwaway_database(admin) as postgres:
            yield {"SQLite": f"sqlite:///{folder}/picker.db", "PostgreSQL": postgres}
    finally:
        admin.dispose()


@dataclass
class Measured:
    median_ms: float
    build_ms: float  # the first search, which builds the worker's index
    first: dict[str, Any]  # that first page
    visible: int


def measure(database_url: str, harbor_url: str) -> Measured:
    """Sync the emulated Harbor into a fresh database and time the first search page."""
    app, _ = _app(database_url)
    with app.app_context():
        dbmigrate.upgrade()
        state = app.extensions["mirror_plugin"]
        try:
            sync(add_emulated_harbor(state, harbor_url, "harbor"), actor="bench")
            state.db.session.query(Space).update({"public": True})  # every one visible
            state.db.session.commit()
            client = app.test_client()
            path = f"/mirror/api/picker/repositories?namespace=prod/web&q={QUERY}"
            started = time.perf_counter()
            first = client.get(path).get_json()  # builds this worker's index
            build_ms = (time.perf_counter() - started) * 1000
            unfiltered = client.get("/mirror/api/picker/repositories?namespace=prod/web")
            times = []
            for _ in range(SEARCHES):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
        finally:
            state.db.session.remove()
            state.db.engine.dispose()
    return Measured(
        statistics.median(times) * 1000, build_ms, first, unfiltered.get_json()["total"]
    )


def main(quick: bool = False) -> None:
    projects, per_project = (100, 20) if quick else (1000, 20)
    results: dict[str, Measured] = {}
    with (
        harbor_process(projects, per_project, LATENCY) as url,
        tempfile.TemporaryDirectory() as folder,
        databases(Path(folder)) as urls,
    ):
        for name, database_url in urls.items():
            results[name] = measure(database_url, url)
        names = [f"project-{p:04d}" for p in range(projects)]
        live = []
        for _ in range(3):
            started = time.perf_counter()
            page = live_first_page(url, names)
            live.append(time.perf_counter() - started)
        live_ms = statistics.median(live) * 1000
    for name, found in results.items():
        ours = [item["name"] for item in found.first["items"]]
        assert ours == page, (name, ours, page)
    sqlite = results["SQLite"]
    print(
        f"picker search: first page of '{QUERY}' over {sqlite.visible:,} visible "
        f"repositories ({sqlite.first['total']} matches), median of {SEARCHES} searches"
    )
    print(f"  live fan-out to Harbor, 5 ms/call   median {live_ms:8.1f} ms (baseline)")
    for name, found in results.items():
        ratio = live_ms / found.median_ms
        verdict = "met" if ratio >= TARGET else "NOT met"
        print(
            f"  {name + ' (test client)':<24} median {found.median_ms:8.2f} ms: {ratio:,.0f}x "
            f"faster, same page (target {TARGET}x: {verdict}); index built in "
            f"{found.build_ms:.0f} ms on the first search"
        )


if __name__ == "__main__":
    main()
