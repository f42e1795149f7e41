"""The admission webhook in-process: one Deployment with 5 containers and 2 init containers.

Each call goes through the whole Flask path (bearer-token check, body read, parse, seven
``check_image`` decisions, the counter update and commit) with the test client, on SQLite
and on PostgreSQL when it answers. The baseline, measured in the same run on the same app,
is a trivial view returning ``ok`` (the ``/trivial`` of ``bench.load``). Prints the median
and p99 of each and their ratio. The Deployment comes from ``kubectl create deployment``
when kubectl is installed, else from the same fields written out.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from mirror_plugin import MirrorPlugin, dbmigrate
from mirror_plugin.admission import clusters
from mirror_plugin.models import Binding, Integration, Space
from mirror_plugin.testing import FakeHostAdapter

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOST = "harbor.corp.example"
IMAGES = [f"{HOST}/team-{n % 2}/svc-{n}:1.{n}" for n in range(5)]
INIT = [f"{HOST}/library/init:{n}" for n in range(2)]


def deployment() -> dict[str, Any]:
    kubectl = shutil.which("kubectl")
    if kubectl:
        flags = [f"--image={image}" for image in IMAGES]
        out = subprocess.run(
            [kubectl, "create", "deployment", "web", *flags, "--dry-run=client", "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        obj: dict[str, Any] = json.loads(out)
    else:
        containers = [{"name": f"c{n}", "image": image} for n, image in enumerate(IMAGES)]
        obj = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": containers}}},
        }
    spec = obj["spec"]["template"]["spec"]
    spec["initContainers"] = [{"name": f"init{n}", "image": i} for n, i in enumerate(INIT)]
    return obj


def envelope(obj: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": f"00000000-0000-0000-0000-{n:012d}",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "web",
            "namespace": "team-a",
            "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": obj,
            "dryRun": False,
        },
    }


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
    obj = deployment()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [json.dumps(envelope(obj, n)) for n in range(calls)]

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
    hook, base = timed(calls, webhook), timed(calls, trivial)
    print(
        f"  {label:10s} webhook median {statistics.median(hook):6.2f} ms, p99 {p99(hook):6.2f} ms"
        f" | trivial median {statistics.median(base):5.2f} ms, p99 {p99(base):5.2f} ms"
        f" | p99 ratio {p99(hook) / p99(base):5.1f}x"
    )
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
