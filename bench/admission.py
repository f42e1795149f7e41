"""The admission webhook in-process: one Deployment with 5 containers and 2 init containers.

Each call goes through the whole Flask path (bearer-token check, body read, parse, seven
``check_image`` decisions, the decision count) with the test client, on SQLite and on
PostgreSQL when it answers. The baseline, measured in the same run on the same app, is a
trivial view returning ``ok`` (the ``/trivial`` of ``bench.load``). Prints the median and p99
of each and their ratio. The Deployment and its AdmissionReview come from
``mirror_plugin.testing.admission`` (what ``kubectl create deployment`` prints; a test
compares them), the builder the demo and ``bench.load`` use too.
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from mirror_plugin import MirrorPlugin, dbmigrate
from mirror_plugin.admission import clusters
from mirror_plugin.models import Binding, Integration, Space
from mirror_plugin.testing import FakeHostAdapter
from mirror_plugin.testing.admission import admission_review, deployment

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOST = "harbor.corp.example"
IMAGES = [f"{HOST}/team-{n % 2}/svc-{n}:1.{n}" for n in range(5)]
INIT = [f"{HOST}/library/init:{n}" for n in range(2)]


def build(url: str) -> tuple[Flask, str]:
    app = Flask("bench_admission")
    app.config.update(TESTING=True, SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url)
    db = SQLAlchemy(app)
    adapter = FakeHostAdapter(workspaces={"ws-a": "A"}, namespaces={"prod/team-a": "ws-a"})
    MirrorPlugin(app, db=db, host=adapter)
    app.add_url_rule("/trivial", "trivial", lambda: "ok", methods=["POST"])
    with app.app_context():
        dbmigrate.upgrade()
        harbor = Integration(
            name="harbor",
            kind="harbor",
            scope="platform",
            workspace_id="",
            url=f"https://{HOST}",
            registry_host=HOST,
        )
        db.session.add(harbor)
        for name, public in (("team-0", False), ("team-1", False), ("library", True)):
            space = Space(integration=harbor, name=name, public=public)
            db.session.add(space)
            if not public:
                db.session.add(Binding(space=space, workspace_id="ws-a"))
        db.session.commit()
        token = clusters.add("prod", "https://console.example").token
    return app, token


def timed(calls: int, call: Callable[[int], None]) -> list[float]:
    times = []
    for n in range(calls):
        started = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def p99(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.99) - 1]


def run(label: str, url: str, calls: int) -> None:
    app, token = build(url)
    obj = deployment("web", IMAGES, INIT)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [
        json.dumps(admission_review(obj, namespace="team-a", username="alice"))
        for _ in range(calls)
    ]

    def webhook(n: int) -> None:
        response = client.post(
            "/mirror/admission/prod/validate",
            data=bodies[n],
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 200 and response.get_json()["response"]["allowed"]

    def trivial(n: int) -> None:
        assert client.post("/trivial", data=bodies[n], content_type="application/json").text

    webhook(0), trivial(0)  # warm up: the rule snapshot, the connection pool
    with app.app_context():
        engine = app.extensions["mirror_plugin"].db.engine
    statements = 0

    def counted(*_: object) -> None:
        nonlocal statements
        statements += 1

    # Statements sent during the timed reviews: what a review costs the database, on average.
    event.listen(engine, "before_cursor_execute", counted)
    hook = timed(calls, webhook)
    event.remove(engine, "before_cursor_execute", counted)
    base = timed(calls, trivial)
    print(
        f"  {label:10s} webhook median {statistics.median(hook):6.2f} ms, p99 {p99(hook):6.2f} ms"
        f" | trivial median {statistics.median(base):5.2f} ms, p99 {p99(base):5.2f} ms"
        f" | p99 ratio {p99(hook) / p99(base):5.1f}x"
    )
    print(f"  {label:10s} SQL statements per 1,000 reviews: {statements * 1000 / calls:,.0f}")
    with app.app_context():
        state = app.extensions["mirror_plugin"]
        dbmigrate.downgrade("base")
        state.db.engine.dispose()


def main(quick: bool = False) -> None:
    logging.getLogger("mirror_plugin").setLevel(logging.ERROR)
    calls = 200 if quick else 2000
    print(f"admission: Deployment, 5 containers + 2 init containers, {calls} calls in-process")
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.db", calls)
    try:
        run("postgresql", POSTGRES, calls)
    except Exception as exc:  # noqa: BLE001 - no server: say so, keep the SQLite figure
        print(f"  postgresql skipped ({exc.__class__.__name__})")


if __name__ == "__main__":
    main()
