"""A small multi-replica deployment of the demo console, for tests/test_replicas.py.

Issue 14's proof runs the console as a platform that outgrew one machine does: two separate
gunicorn instances (A and B, two sync workers each) on one PostgreSQL database and one Redis,
plus an RQ worker process (``flask mirror jobs rq-worker``) that runs the background jobs; the
web instances run none (``MIRROR_JOBS_BACKEND = "rq"``, no embedded runner). The test-connection
limit counts in that Redis too (``MIRROR_RATELIMIT_STORAGE_URI``).

Every process is started with the same configuration, handed over as JSON in the environment
(:data:`CONFIG_ENV`) and read by :func:`app_from_env`, the factory gunicorn and ``flask --app``
call. Each deployment has a database, an RQ queue and a rate-limit key prefix of its own, so
runs sharing the server and the Redis never meet. The registries are Harbor emulators served
from the test process (their request logs stay readable there): the demo's sandbox, which the
seed syncs, and a slow one whose sync lasts a few seconds.

:func:`deployment` starts it all and stops every process it started, by PID, even on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from mirror_plugin.testing import HarborEmulator

ROOT = Path(__file__).resolve().parent.parent
#: The environment variable carrying the deployment's configuration (JSON) to every process.
CONFIG_ENV = "MIRROR_REPLICAS_CONFIG"
#: What gunicorn serves and ``flask --app`` loads: the factory below, called once per process.
APP = "tests.replicas:app_from_env()"
WEB_WORKERS = 2  # per instance: a limit or a revocation must hold across workers too
READY_TIMEOUT = 60.0
PASSWORD = "demo"  # every demo user's
#: The slow registry: enough projects, slow enough, that its sync lasts a few seconds and
#: its progress can be watched from the other instance.
SLOW_PROJECTS = 40
SLOW_LATENCY = 0.1
SLOW_INTEGRATION = "harbor-slow"
#: Configuration every process of the deployment shares, beside the database, keys and Redis.
#: A test needing another setting for its own assertion (a short health interval, say) adds
#: it here: every instance and the worker read the same dictionary.
SHARED_CONFIG: dict[str, Any] = {
    "MIRROR_JOBS_BACKEND": "rq",
    "MIRROR_JOBS_POLL_INTERVAL": 0,  # no embedded runner in the web workers
    "MIRROR_JOBS_HEARTBEAT_SECONDS": 0.25,  # progress written four times a second
    "MIRROR_SYNC_WORKERS": 2,  # the slow registry's 40 projects two at a time: ~2-3 s
    "MIRROR_REGISTRY_TIMEOUT": 5.0,
    # The pull-access rounds commit in every worker every 2 s, and any commit makes that
    # worker re-read the rule snapshot: left on, they would hide a broken refresh
    # (MIRROR_RULE_REFRESH_SECONDS) behind their own 2 s, and the bind test could not fail.
    "MIRROR_PULL_RECONCILE_INTERVAL": 0,
    #: Health rounds every HEALTH_INTERVAL s, led by one process of the four web workers.
    "MIRROR_HEALTH_INTERVAL": 2.0,
}
HEALTH_INTERVAL = 2.0


def app_from_env() -> Flask:
    """The demo console configured by :data:`CONFIG_ENV` (gunicorn's and the worker's app)."""
    from demo.console import create_app

    raw = os.environ.get(CONFIG_ENV)
    if not raw:
        raise RuntimeError(f"tests.replicas:app_from_env() needs {CONFIG_ENV} (JSON)")
    return create_app(json.loads(raw))


def free_port() -> int:
    from demo.sandbox import free_port as pick

    return pick()


def tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


@dataclass
class Process:
    """A process of the deployment: its name, its handle and where it logs."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> None:
        """Fail with the log's tail if the process has exited."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail(self.log)}")


def stop_all(processes: list[Process], grace: float = 15.0) -> None:
    """SIGTERM every process at once (gunicorn's master stops its workers first), then wait
    for each; SIGKILL whichever is still there after ``grace`` seconds."""
    for process in processes:
        if process.proc.poll() is None:
            process.proc.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.proc.kill()
            process.proc.wait()


@dataclass
class Deployment:
    """What a test of the running deployment reaches: the instances' URLs, the worker, the
    registries, the database, and what they logged."""

    a: str
    b: str
    worker: Process
    instances: list[Process]
    database_url: str
    redis_url: str
    config: dict[str, Any]
    sandbox: HarborEmulator
    slow: HarborEmulator
    engine: sa.Engine
    clients: list[Console] = field(default_factory=list)

    def sign_in(self, username: str) -> Console:
        """A signed-in console user (see :class:`Console`)."""
        console = Console(self.a, username)
        self.clients.append(console)
        return console

    def integration_id(self, name: str) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT id FROM mirror_integrations WHERE name = :name"), {"name": name}
            ).scalar()
        if found is None:
            raise LookupError(f"no integration {name!r}")
        return int(found)

    def tracebacks(self) -> int:
        """How many tracebacks (a 500, a failed job or round) the processes logged so far."""
        marker = "Traceback (most recent call last)"
        return sum(tail(p.log, 10**8).count(marker) for p in [*self.instances, self.worker])

    def logs(self) -> str:
        """Every process's log tail, for a failure message."""
        return "\n".join(
            f"--- {p.name} (pid {p.pid}) ---\n{tail(p.log)}" for p in [*self.instances, self.worker]
        )


class Console:
    """One user's browser-like session: the demo's session cookie is signed with the key every
    instance shares, so it is valid on both, as behind a load balancer. ``url`` is A or B."""

    def __init__(self, first: str, username: str) -> None:
        self.web = requests.Session()
        self.web.headers["User-Agent"] = "mirror-replicas-test"
        page = self.web.get(f"{first}/login", timeout=10)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert page.status_code == 200 and found, f"GET /login: {page.status_code}"
        reply = self.web.post(
            f"{first}/login",
            data={"csrf_token": found.group(1), "username": username, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert reply.status_code == 302, f"POST /login as {username}: {reply.status_code}"
        # The plugin's CSRF token for JSON posts: the picker's context hands it to scripts.
        context = self.get(first, "/mirror/api/picker/context?namespace=cluster-1/sandbox")
        assert context.status_code == 200, context.text
        self.web.headers["X-Mirror-CSRF"] = context.json()["csrf_token"]

    def get(self, url: str, path: str) -> requests.Response:
        return self.web.get(url + path, allow_redirects=False, timeout=30)

    def post(self, url: str, path: str, body: Any = None) -> requests.Response:
        return self.web.post(url + path, json=body or {}, allow_redirects=False, timeout=30)

    def close(self) -> None:
        self.web.close()


def _prepare(config: dict[str, Any], slow_url: str) -> None:
    """Migrate, seed the demo against the sandbox, and add the slow Harbor as a second
    platform integration (stored directly, unsynced: the tests sync it)."""
    from demo.console import create_app
    from demo.models import db
    from demo.seed import prepare
    from mirror_plugin.models import Integration

    # TESTING: the seed's sample admission reviews go through a test client, whose first
    # request would otherwise start the background threads here, in the test process.
    app = create_app({**config, "TESTING": True})
    with app.app_context():
        try:
            prepare()
            state = app.extensions["mirror_plugin"]
            db.session.add(
                Integration(
                    name=SLOW_INTEGRATION,
                    kind="harbor",
                    scope="platform",
                    workspace_id="",
                    url=slow_url,
                    registry_host=slow_url.split("//")[1],
                    username="admin",
                    password_encrypted=state.secrets.encrypt("Harbor12345"),
                )
            )
            db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()


def _slow_harbor() -> HarborEmulator:
    harbor = HarborEmulator(latency=0.0)
    for p in range(SLOW_PROJECTS):
        name = f"project-{p:03d}"
        harbor.add_project(name, public=p % 2 == 0)
        harbor.add_repository(name, "team/app")
    harbor.latency = SLOW_LATENCY  # filled fast, served slowly
    return harbor.start()


def _spawn(name: str, command: list[str], env: dict[str, str], log: Path) -> Process:
    with log.open("ab") as out:  # append: gunicorn writes its error log to this file too
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    return Process(name, proc, log)


def _gunicorn(name: str, port: int, env: dict[str, str], folder: Path) -> Process:
    import gunicorn

    log = folder / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WEB_WORKERS)]
    command += ["--worker-class", "sync", "--bind", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", "--error-logfile", str(log)]
    command += ["--timeout", "30", "--graceful-timeout", "5"]
    if gunicorn.version_info >= (25, 1):
        command.append("--no-control-socket")  # else it leaves ~/.gunicorn/gunicorn.ctl
    return _spawn(name, [*command, APP], env, log)


def _wait_until_served(instance: Process, url: str, deadline: float) -> None:
    while True:
        instance.alive()
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/login", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{instance.name} not serving:\n{tail(instance.log)}")
        time.sleep(0.2)


def _wait_until_listening(worker: Process, redis_url: str, queue: str, deadline: float) -> None:
    from redis import Redis
    from rq import Queue, Worker

    with Redis.from_url(redis_url) as connection:
        while not Worker.all(queue=Queue(queue, connection=connection)):
            worker.alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{worker.name} never registered:\n{tail(worker.log)}")
            time.sleep(0.2)


def _forget_redis_keys(redis_url: str, queue: str, prefix: str) -> None:
    from redis import Redis
    from rq import Queue

    with Redis.from_url(redis_url) as connection:
        Queue(queue, connection=connection).delete(delete_jobs=True)
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)


@contextlib.contextmanager
def deployment(server_url: str, redis_url: str) -> Iterator[Deployment]:
    """Two gunicorn instances and an RQ worker on a fresh database of the PostgreSQL server
    at ``server_url`` and the Redis at ``redis_url``; all stopped (and the database dropped)
    when the block ends, however it ends."""
    from cryptography.fernet import Fernet

    from demo.sandbox import start_harbor

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"mirror_replicas_{uuid.uuid4().hex[:10]}"
    run = uuid.uuid4().hex[:10]
    queue, prefix = f"mirror_replicas_{run}", f"mirror_replicas_{run}"
    with contextlib.ExitStack() as stack:
        stack.callback(admin.dispose)
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        stack.callback(drop)
        url = sa.engine.make_url(server_url).set(database=name)
        database_url = url.render_as_string(hide_password=False)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="replicas-")))
        sandbox = start_harbor(port=0)
        stack.callback(sandbox.stop)
        slow = _slow_harbor()
        stack.callback(slow.stop)
        stack.callback(_forget_redis_keys, redis_url, queue, prefix)
        config = {
            **SHARED_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secrets.token_urlsafe(32),  # one session key: cookies valid on both
            "MIRROR_SECRET_KEYS": [Fernet.generate_key().decode()],
            "DEMO_HARBOR_URL": sandbox.url,
            "MIRROR_JOBS_REDIS_URL": redis_url,
            "MIRROR_JOBS_RQ_QUEUE": queue,
            "MIRROR_RATELIMIT_STORAGE_URI": redis_url,
            "MIRROR_RATELIMIT_KEY_PREFIX": prefix,
        }
        env = {
            **os.environ,
            CONFIG_ENV: json.dumps(config),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        ports = {"A": free_port(), "B": free_port()}
        while ports["B"] == ports["A"]:
            ports["B"] = free_port()
        # The processes boot (imports, app factory: about as long as the seed) while this
        # one migrates and seeds the database; none of them reads it before a request.
        started: list[Process] = []
        stack.callback(stop_all, started)
        for label, port in ports.items():
            started.append(_gunicorn(f"instance {label}", port, env, folder))
        command = [sys.executable, "-m", "flask", "--app", APP, "mirror", "jobs", "rq-worker"]
        started.append(_spawn("rq worker", command, env, folder / "worker.log"))
        *instances, worker = started
        _prepare(config, slow.url)
        deadline = time.monotonic() + READY_TIMEOUT
        urls = {label: f"http://127.0.0.1:{port}" for label, port in ports.items()}
        for instance, address in zip(instances, urls.values(), strict=True):
            _wait_until_served(instance, address, deadline)
        _wait_until_listening(worker, redis_url, queue, deadline)
        engine = sa.create_engine(database_url)
        stack.callback(engine.dispose)
        running = Deployment(
            a=urls["A"],
            b=urls["B"],
            worker=worker,
            instances=instances,
            database_url=database_url,
            redis_url=redis_url,
            config=config,
            sandbox=sandbox,
            slow=slow,
            engine=engine,
        )
        try:
            yield running
        finally:
            for console in running.clients:
                console.close()
