"""check_image throughput on a platform of 2,000 workspaces, 20,000 namespaces, 10,000 spaces
(30% public) and 50,000 bindings, with mixed references.

The plugin answers from its in-memory rule snapshot; the baseline, measured in the same run
on the same data, answers every decision with database queries (mirror_plugin.services.facts). The
memory the snapshot keeps is measured with tracemalloc while it is built.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
import tracemalloc
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from mirror_plugin import MirrorPlugin, dbmigrate
from mirror_plugin.models import Binding, Integration, Space
from mirror_plugin.policy.rule import judge
from mirror_plugin.services.facts import DatabaseFacts
from mirror_plugin.services.rulecache import RuleSnapshot
from mirror_plugin.services.sentences import decision
from mirror_plugin.testing import FakeHostAdapter

HOSTS = (
    "harbor.corp.example",
    "harbor-2.corp.example:8443",
    "mirror.corp.example",
    "registry.corp.example:5000",
    "harbor.edge.example",
)
DIGEST = "sha256:" + "ab" * 32


def platform(rng: random.Random, workspaces: int, namespaces: int) -> FakeHostAdapter:
    ws = {f"ws-{n:04d}": f"Workspace {n}" for n in range(workspaces)}
    ids = list(ws)
    mapping: dict[str, str | None] = {
        f"cluster-{n % 4}/ns-{n:05d}": (None if n % 50 == 0 else ids[n % workspaces])
        for n in range(namespaces)
    }
    return FakeHostAdapter(workspaces=ws, namespaces=mapping)


def fill(
    db: Any, rng: random.Random, spaces: int, bindings: int, workspaces: int
) -> list[tuple[str, str, bool]]:
    rows = []
    for number, host in enumerate(HOSTS):
        rows.append(
            Integration(
                name=f"reg-{number}",
                kind="harbor",
                scope="platform",
                workspace_id="",
                url=f"https://{host}",
                registry_host=host,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    space_rows = [
        {
            "integration_id": rows[n % len(rows)].id,
            "name": f"space-{n:05d}",
            "public": n % 10 < 3,
            "repo_count": 1,
        }
        for n in range(spaces)
    ]
    db.session.execute(sa.insert(Space), space_rows)
    ids = db.session.execute(
        sa.select(Space.id, Space.name, Space.public, Space.integration_id)
    ).all()
    private = [row for row in ids if not row.public]
    pairs: set[tuple[int, str]] = set()
    while len(pairs) < bindings:
        pairs.add((rng.choice(private).id, f"ws-{rng.randrange(workspaces):04d}"))
    db.session.execute(
        sa.insert(Binding),
        [{"space_id": s, "workspace_id": w, "created_by": "b"} for s, w in pairs],
    )
    db.session.commit()
    host_of = {row.id: HOSTS[n] for n, row in enumerate(rows)}
    return [(host_of[row.integration_id], row.name, row.public) for row in ids]


def references(rng: random.Random, spaces: list[tuple[str, str, bool]], count: int) -> list[str]:
    made = []
    for n in range(count):
        host, space, _ = rng.choice(spaces)
        kind = n % 10
        if kind < 6:
            made.append(f"{host}/{space}/app-{n % 7}:1.{n % 5}")
        elif kind == 6:
            made.append(f"{host}/{space}/team/tool@{DIGEST}")
        elif kind == 7:
            made.append(f"docker.io/library/nginx:1.{n % 30}")
        elif kind == 8:
            made.append(f"{host}.evil.example/{space}/app:1")
        else:
            made.append(f"{host}/{space.upper()}/bad ref")
    return made


def main(quick: bool = False) -> None:
    logging.getLogger("mirror_plugin.crypto").setLevel(logging.ERROR)
    rng = random.Random(7)
    sizes = (200, 2000, 1000, 5000) if quick else (2000, 20000, 10000, 50000)
    workspaces, namespaces, spaces, bindings = sizes
    adapter = platform(rng, workspaces, namespaces)
    with tempfile.TemporaryDirectory() as folder:
        app = Flask("bench_check")
        app.config.update(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/check.db", TESTING=True, SECRET_KEY="bench"
        )
        SQLAlchemy(app)
        plugin = MirrorPlugin(app, host=adapter)
        with app.app_context():
            dbmigrate.upgrade()
            db = app.extensions["mirror_plugin"].db
            catalogue = fill(db, rng, spaces, bindings, workspaces)
            refs = references(rng, catalogue, 20000)
            names = list(adapter.namespaces)
            work = [(rng.choice(names), rng.choice(refs)) for _ in range(100000)]

            tracemalloc.start()
            with db.engine.connect() as connection:
                snapshot = RuleSnapshot(connection)
            snapshot_bytes = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            del snapshot

            plugin.check_image(*work[0])  # builds the worker's snapshot
            started = time.perf_counter()
            allowed = sum(plugin.check_image(ns, image).allowed for ns, image in work)
            fast = len(work) / (time.perf_counter() - started)

            facts = DatabaseFacts(db.session)
            sample = work[:3000]
            started = time.perf_counter()
            for ns, image in sample:
                workspace = adapter.namespaces[ns]
                decision(
                    judge(
                        facts,
                        image=image,
                        namespace=ns,
                        namespace_known=True,
                        workspace_id=workspace,
                    )
                )
            slow = len(sample) / (time.perf_counter() - started)
    print(
        f"check: {workspaces} workspaces, {namespaces} namespaces, {spaces} spaces "
        f"(30% public), {bindings} bindings; {len(work)} mixed decisions "
        f"({allowed * 100 // len(work)}% allowed)"
    )
    print(f"  in-memory snapshot       {fast:10,.0f} decisions/s (target: at least 50,000)")
    print(f"  one query per decision   {slow:10,.0f} decisions/s (baseline)")
    print(f"  ratio: {fast / slow:.1f}x (target: at least 50x)")
    print(f"  snapshot memory: {snapshot_bytes / 2**20:.1f} MiB (target: at most 64 MiB)")


if __name__ == "__main__":
    main()
