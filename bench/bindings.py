"""Binding at platform scale, through the JSON API as the dialog and the batch form call it.

Two cases, on SQLite and on PostgreSQL (when reachable): one space bound to 2,000 workspaces
in one request, and 200 spaces x 10 workspaces in one batch request. Each is timed over
several rounds (bindings cleared between rounds, untimed) and the median is printed beside a
floor measured in the same run: the same rows written by one bare executemany INSERT, which
is what the work costs without validation, locking, audit and HTTP.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.models import Binding, Integration, Space, mirror_metadata
from mirror_plugin.testing import FakeHostAdapter

from .apps import plugin_app

ROUNDS = 7
POSTGRES = os.environ.get(
    "MIRROR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def databases(folder: str) -> Iterator[tuple[str, str]]:
    """SQLite, then a throw-away PostgreSQL database (dropped afterwards) when reachable."""
    yield "SQLite", f"sqlite:///{folder}/bindings.db"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"mirror_bench_{uuid.uuid4().hex[:8]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        print("  (PostgreSQL not reachable: skipped)")
        return
    try:
        yield (
            "PostgreSQL",
            sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False),
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, workspaces: int) -> tuple[Flask, FakeHostAdapter]:
    adapter = FakeHostAdapter(
        workspaces={f"ws-{n:05d}": f"Workspace {n}" for n in range(workspaces)},
        platform_admins={"root"},
    )
    adapter.login("root")
    return plugin_app("bench_bindings", url, adapter), adapter


def median_ms(rounds: int, setup: Callable[[], None], action: Callable[[], None]) -> float:
    times = []
    for _ in range(rounds):
        setup()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(label: str, url: str) -> None:
    import logging

    logging.getLogger("mirror_plugin.crypto").setLevel(logging.ERROR)
    app, _ = make_app(url, 2000)
    with app.app_context():
        dbmigrate.upgrade()
        db = app.extensions["mirror_plugin"].db
        registry = Integration(
            name="bench",
            kind="harbor",
            scope="platform",
            workspace_id="",
            url="https://bench.example.com",
            registry_host="bench.example.com",
        )
        db.session.add(registry)
        db.session.flush()
        spaces = [Space(integration_id=registry.id, name=f"space-{n:03d}") for n in range(200)]
        db.session.add_all(spaces)
        db.session.commit()
        space_ids = [s.id for s in spaces]
        workspaces = [f"ws-{n:05d}" for n in range(2000)]
        client = app.test_client()
        with client.session_transaction() as session:
            session["_mirror_csrf"] = "bench"
        headers = {"X-Mirror-CSRF": "bench"}

        def clear() -> None:
            db.session.execute(sa.delete(Binding))
            db.session.commit()

        def one_space() -> None:
            response = client.put(
                f"/mirror/api/spaces/{space_ids[0]}/workspaces",
                json={"workspaces": workspaces},
                headers=headers,
            )
            assert response.status_code == 200 and len(response.get_json()["bound"]) == 2000

        def batch() -> None:
            response = client.post(
                "/mirror/api/bindings",
                headers=headers,
                json={"spaces": space_ids, "workspaces": workspaces[:10]},
            )
            assert response.status_code == 200, response.get_json()

        def floor(pairs: list[tuple[int, str]]) -> Callable[[], None]:
            def insert() -> None:
                db.session.execute(
                    sa.insert(Binding),
                    [{"space_id": s, "workspace_id": w, "created_by": "floor"} for s, w in pairs],
                )
                db.session.commit()

            return insert

        single = median_ms(ROUNDS, clear, one_space)
        single_floor = median_ms(ROUNDS, clear, floor([(space_ids[0], w) for w in workspaces]))
        many = median_ms(ROUNDS, clear, batch)
        many_floor = median_ms(
            ROUNDS, clear, floor([(s, w) for s in space_ids for w in workspaces[:10]])
        )
        print(
            f"  {label:10s} 1 space x 2,000 workspaces: median {single:6.1f} ms "
            f"(bare INSERT floor {single_floor:5.1f} ms, x{single / single_floor:.1f}); "
            f"target <= 1000 ms"
        )
        print(
            f"  {label:10s} 200 spaces x 10 workspaces: median {many:6.1f} ms "
            f"(bare INSERT floor {many_floor:5.1f} ms, x{many / many_floor:.1f}); "
            f"target <= 1000 ms"
        )
        db.session.remove()
        mirror_metadata.drop_all(db.engine)
        db.engine.dispose()


def main(quick: bool = False) -> None:
    print(f"bindings: through the JSON API, median of {ROUNDS} rounds")
    with tempfile.TemporaryDirectory() as folder:
        for label, url in databases(folder):
            run(label, url)


if __name__ == "__main__":
    main()
