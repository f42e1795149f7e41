"""Load: the demo console under gunicorn (2 sync workers) on PostgreSQL, driven by wrk from a
second process over loopback, for the deploy hook's check endpoint, the picker's search and
the admission webhook.

The baseline, measured in the same run against the same server, is ``GET /trivial``: a plain
Flask view returning ``ok`` on the same app (bench/load_app.py). Both pay the same gunicorn,
WSGI, session-cookie and before-request costs, so the ratio is what an endpoint's own work
costs: the plugin's, and the host adapter's lookups the plugin asks for.

What runs, all on loopback and all stopped by PID at the end, even on failure:

* a throw-away PostgreSQL database (``mirror_load_<hex>`` on the server of
  ``MIRROR_TEST_POSTGRES``, as the test suite uses), dropped at the end;
* the demo's registry sandbox (Harbor emulator, in this process), which the seed syncs;
* the catalogue grown by about 10,000 repositories in 100 spaces of the sandbox's integration,
  half of them visible to ``cluster-1/alpha-web`` (public, or private and bound to Team Alpha),
  half not (bound to Team Beta, or to nobody), so the picker's search filters for real;
* gunicorn serving ``bench.load_app:app``, access log off;
* wrk (Debian's is built with LuaJIT, so ``-s script.lua`` works): a warm-up per endpoint,
  then rounds that take the endpoints in turn (3 rounds of 10 s; ``--quick``: 1 round of
  3 s); medians are reported.

The admission webhook is loaded as a cluster's API server calls it: a wrk Lua script POSTs an
``admission.k8s.io/v1`` AdmissionReview of a Deployment with 5 containers and 2 init
containers (``mirror_plugin.testing.admission``, as ``bench.admission`` sends in-process),
images of spaces Team Alpha may use, into ``cluster-1``'s namespace ``alpha-web``, with the
cluster's bearer token (rotated once before gunicorn starts, kept in the run's 0700
temporary folder) and no session cookie. The script counts every answer that is not a 200
with ``"allowed":true``; those are failures of the run like wrk's non-2xx. ``/trivial`` and
the webhook are also loaded with one connection per worker (``-c2``): with 16 connections
every answer queues behind others and p99 measures the queue; with two it is the service time
an API server sees from a webhook that keeps up, what the issue's 10 ms aim is about.

Authentication is the console's own session, not a benchmark-only shortcut: Eddie (an editor
of Team Alpha) signs in once through the CSRF-protected ``POST /login`` and wrk sends that
cookie (and the User-Agent Flask-Login's session protection hashes) with every request, so
each request pays what a signed-in user's does. wrk counts 3xx as success, so every endpoint
is checked for a 200 without Set-Cookie before and after each of its runs (the webhook: a
200 answering ``allowed: true`` for the review's uid).

Needs wrk (``apt-get install wrk``), gunicorn in this venv (``pip install gunicorn``) and a
PostgreSQL server; says which is missing and exits non-zero otherwise, and when any request
failed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "MIRROR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WORKERS = 2
CONNECTIONS = 16
WRK_THREADS = 2
NAMESPACE = "cluster-1/alpha-web"
USER = ("eddie", "demo")  # an editor of Team Alpha: a member, not the platform Admin
USER_AGENT = "mirror-bench-load"
QUERY = "api"
TEAMS = ("payments", "search", "platform", "data", "mobile", "infra", "growth", "identity")
WORDS = (
    "web", "api", "worker", "cron", "gateway", "auth", "billing", "ingest", "frontend",
    "backend", "cache", "proxy", "exporter", "scheduler", "notifier", "report", "sync",
    "admin", "events", "store",
)  # fmt: skip
EXTRA_SPACES, REPOS_PER_SPACE = 100, 100  # about 10,000 repositories, half visible
CHECK_TARGET = 0.40  # check's req/s as a share of /trivial's
PICKER_TARGET = 0.40  # the picker search's, likewise (issue 14)
READY_TIMEOUT = 60.0
APP = "bench.load_app:app"  # what gunicorn serves
# What bench/load_app.py reads in the gunicorn workers.
DATABASE_ENV = "MIRROR_LOAD_DATABASE_URL"
FERNET_ENV = "MIRROR_LOAD_FERNET_KEY"
HARBOR_ENV = "MIRROR_LOAD_HARBOR_URL"
ADMISSION_CLUSTER, ADMISSION_NAMESPACE = "cluster-1", "alpha-web"  # = NAMESPACE, as Kubernetes
ADMISSION_TARGET_MS = 10.0  # the aim for the webhook's p99 on this machine
UNQUEUED = f"-c{WORKERS}"  # suffix of the endpoints also loaded with one connection per worker


class LoadError(RuntimeError):
    """The run could not be made; the message says why."""


def missing_tools() -> list[str]:
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (the load generator): apt-get install -y wrk")
    if importlib.util.find_spec("gunicorn") is None:
        missing.append(f"gunicorn in {sys.prefix}: {sys.executable} -m pip install gunicorn")
    return missing


def postgres_admin() -> sa.Engine:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        admin.dispose()
        raise LoadError(
            f"PostgreSQL at {POSTGRES_URL} ({exc.__class__.__name__}): start it, or point "
            "MIRROR_TEST_POSTGRES at one"
        ) from exc
    return admin


@contextlib.contextmanager
def throwaway_database(admin: sa.Engine) -> Iterator[str]:
    name = f"mirror_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            sa.engine.make_url(POSTGRES_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def catalogue_rows(rng: random.Random) -> list[tuple[str, bool, str | None, list[str]]]:
    """(space, public, bound workspace, repository names) for the extra spaces.

    Space ``n % 4``: 0 public, 1 bound to alpha (both visible to alpha-web), 2 bound to beta,
    3 bound to nobody (both invisible to it). Sizes and names vary, as a real registry's do,
    so PostgreSQL's statistics on them are representative (evenly repeating names give a
    histogram of one family only, and plans no real catalogue would get).
    """
    made = []
    for n in range(EXTRA_SPACES):
        space = f"{rng.choice(TEAMS)}-{n:03d}"
        names: set[str] = set()
        for _ in range(rng.randint(REPOS_PER_SPACE // 2, REPOS_PER_SPACE * 3 // 2)):
            parts = [rng.choice(WORDS), rng.choice(WORDS)][: rng.randint(1, 2)]
            nested = f"{rng.choice(TEAMS)}/" if rng.random() < 0.3 else ""
            names.add(f"{space}/{nested}{'-'.join(parts)}-{rng.randrange(1000):03d}")
        bound = {1: "alpha", 2: "beta"}.get(n % 4)
        made.append((space, n % 4 == 0, bound, sorted(names)))
    return made


def prepare_database(url: str, config: dict[str, Any]) -> str:
    """Migrate, seed the demo against the sandbox, grow the catalogue; the image to check."""
    from demo.console import create_app
    from demo.models import db
    from demo.seed import SANDBOX_INTEGRATION, prepare
    from mirror_plugin.models import Binding, Integration, Repository, Space

    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            prepare()
            integration = db.session.scalar(
                sa.select(Integration).where(Integration.name == SANDBOX_INTEGRATION)
            )
            if integration is None:
                raise LoadError("the demo seed did not create the sandbox integration")
            now = datetime.now(UTC)
            rng = random.Random(7)
            for number, (name, public, bound, repositories) in enumerate(catalogue_rows(rng)):
                space = Space(
                    integration_id=integration.id,
                    name=name,
                    public=public,
                    upstream_id=str(10_000 + number),
                    repo_count=len(repositories),
                    synced_at=now,
                )
                db.session.add(space)
                db.session.flush()
                if bound:
                    db.session.add(Binding(space_id=space.id, workspace_id=bound, created_by="b"))
                db.session.execute(
                    sa.insert(Repository),
                    [
                        {
                            "space_id": space.id,
                            "name": repository,
                            "artifact_count": rng.randint(1, 30),
                            "updated_at": now,
                        }
                        for repository in repositories
                    ],
                )
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
            host = integration.registry_host
        finally:
            db.session.remove()
            db.engine.dispose()
    return f"{host}/alpha-private/web:1.0"  # private, bound to Team Alpha by the seed


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn serving bench.load_app:app on a free loopback port; its base URL."""
    import gunicorn as package

    from demo.sandbox import free_port, stop_process

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
    ]
    if package.version_info >= (25, 1):
        command.append("--no-control-socket")  # else it leaves ~/.gunicorn/gunicorn.ctl
    command.append(APP)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise LoadError(f"gunicorn exited with {proc.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise LoadError(f"gunicorn not ready after {READY_TIMEOUT:.0f} s:\n{tail(log)}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/trivial", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc, grace=15)  # gunicorn's master stops its workers first


def tail(log: Path, size: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def sign_in(url: str) -> str:
    """Sign in through the console's login form; the session cookie's value."""
    with requests.Session() as web:
        web.headers["User-Agent"] = USER_AGENT
        page = web.get(f"{url}/login", timeout=10)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if page.status_code != 200 or found is None:
            raise LoadError(f"GET /login gave {page.status_code} without a CSRF token")
        reply = web.post(
            f"{url}/login",
            data={"csrf_token": found.group(1), "username": USER[0], "password": USER[1]},
            allow_redirects=False,
            timeout=30,
        )
        cookie = web.cookies.get("session")
        if reply.status_code != 302 or not cookie:
            raise LoadError(f"POST /login gave {reply.status_code}, not a redirect with a session")
        return cookie


def verify(url: str, path: str, headers: dict[str, str]) -> Any:
    """One request as wrk will send it: a 200 that does not rewrite the session."""
    reply = requests.get(url + path, headers=headers, allow_redirects=False, timeout=10)
    if reply.status_code != 200:
        raise LoadError(f"GET {path} gave {reply.status_code}: {reply.text[:300]}")
    if "Set-Cookie" in reply.headers:
        raise LoadError(f"GET {path} rewrote the session cookie: wrk's requests would not match")
    return reply


def admission_token(url: str, config: dict[str, Any]) -> str:
    """A bearer token for the demo's cluster: the seed registered it and kept no token, so
    it is rotated once here, as an Admin would (``flask mirror cluster rotate``)."""
    from demo.console import create_app
    from demo.models import db
    from mirror_plugin.admission import clusters

    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            return clusters.rotate(ADMISSION_CLUSTER).token
        finally:
            db.session.remove()
            db.engine.dispose()


def admission_body(host: str) -> dict[str, Any]:
    """The review wrk sends: a Deployment with 5 containers and 2 init containers, every
    image in a space Team Alpha may use (bound to it, or public), so each is allowed."""
    from mirror_plugin.testing.admission import admission_review, deployment

    images = [
        f"{host}/alpha-private/web:1.0",
        f"{host}/alpha-private/jobs/worker:2.0",
        f"{host}/shared-tools/ci/runner:1.0",
        f"{host}/library/nginx:1.25",
        f"{host}/library/redis:7.2",
    ]
    init = [f"{host}/library/busybox:1.36", f"{host}/alpha-private/web:1.1"]
    obj = deployment("web", images, init)
    return admission_review(obj, namespace=ADMISSION_NAMESPACE, username="bench-deployer")


#: wrk's script for the webhook (``{body}``, ``{token}``: Lua strings naming files; wrk runs
#: the top level once per thread and ``done`` once, with the threads ``setup`` collected).
ADMISSION_LUA = """wrk.method = "POST"
wrk.body = assert(io.open({body}, "rb")):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. assert(io.open({token}, "rb")):read("*a")

local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) expected, unexpected = 0, 0 end
function response(status, headers, body)
  if status == 200 and body:find('"allowed":%s*true') then
    expected = expected + 1
  else
    unexpected = unexpected + 1
  end
end
function done(summary, latency, requests)
  local right, wrong = 0, 0
  for _, thread in ipairs(threads) do
    right = right + thread:get("expected")
    wrong = wrong + thread:get("unexpected")
  end
  io.write(string.format("Answers: expected %d, unexpected %d\\n", right, wrong))
end
"""


def admission_script(folder: Path, body: dict[str, Any], token: str) -> Path:
    """The Lua script, with the review and the token in files beside it (in ``folder``,
    which only this user can read): neither appears on wrk's command line."""
    (folder / "review.json").write_text(json.dumps(body))
    (folder / "token").write_text(token)
    script = folder / "admission.lua"
    script.write_text(
        ADMISSION_LUA.format(
            body=json.dumps(str(folder / "review.json")), token=json.dumps(str(folder / "token"))
        )
    )
    return script


def verify_admission(url: str, path: str, body: dict[str, Any], token: str) -> None:
    """One review as wrk sends it: a 200 answering ``allowed: true`` for its uid."""
    reply = requests.post(
        url + path,
        json=body,
        headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
        allow_redirects=False,
        timeout=10,
    )
    answer = reply.json().get("response", {}) if reply.status_code == 200 else {}
    if answer.get("uid") != body["request"]["uid"] or answer.get("allowed") is not True:
        raise LoadError(f"POST {path} gave {reply.status_code}, not allowed: {reply.text[:500]}")


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int
    #: Answers a wrk Lua script found wrong (the admission script: not 200 + allowed).
    unexpected: int = 0

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors + self.unexpected


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise LoadError(f"cannot read wrk's latency {text!r}")
    return float(found.group(1)) * _UNITS_MS[found.group(2)]


def parse_wrk(output: str) -> Result:
    def number(pattern: str) -> str:
        found = re.search(pattern, output, re.MULTILINE)
        if found is None:
            raise LoadError(f"wrk's output lacks {pattern!r}:\n{output}")
        return found.group(1)

    socket_errors = 0
    found = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if found:
        socket_errors = sum(int(n) for n in found.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    answers = re.search(r"^Answers: expected (\d+), unexpected (\d+)$", output, re.MULTILINE)
    return Result(
        requests_per_second=float(number(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(number(r"^\s+50%\s+(\S+)")),
        p99_ms=_ms(number(r"^\s+99%\s+(\S+)")),
        requests=int(number(r"^\s+(\d+) requests in")),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        unexpected=int(answers.group(2)) if answers else 0,
    )


def wrk(
    url: str,
    headers: dict[str, str],
    seconds: int,
    script: Path | None = None,
    connections: int = CONNECTIONS,
) -> Result:
    threads = min(WRK_THREADS, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "5s"]
    if script is not None:
        command += ["--script", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    try:
        done = subprocess.run(  # kills wrk (by its PID) if it overruns
            command, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"wrk did not finish within {seconds + 30} s") from exc
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    if script is not None and "\nAnswers: " not in done.stdout:
        # wrk reports a script that does not load on stderr and sends plain GETs instead.
        raise LoadError(f"wrk ran without {script.name}: {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def _sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through every ``finally``: processes are stopped


def run(admin: sa.Engine, quick: bool) -> tuple[dict[str, list[Result]], dict[str, Any]]:
    from cryptography.fernet import Fernet

    from demo.sandbox import start_sandbox

    warm, seconds, rounds = (1, 3, 1) if quick else (3, 10, 3)
    fernet = Fernet.generate_key().decode()
    session_key = secrets.token_urlsafe(32)
    facts: dict[str, Any] = {"warm": warm, "seconds": seconds, "rounds": rounds}
    try:
        with contextlib.ExitStack() as stack:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-")))
            url = stack.enter_context(throwaway_database(admin))
            sandbox = start_sandbox(harbor_port=0, registry=False)
            stack.callback(sandbox.stop)
            config = {
                **sandbox.app_config(),
                "SECRET_KEY": session_key,
                "MIRROR_SECRET_KEYS": [fernet],
            }
            image = prepare_database(url, config)
            token = admission_token(url, config)
            env = {
                **os.environ,
                DATABASE_ENV: url,
                FERNET_ENV: fernet,
                HARBOR_ENV: sandbox.harbor_url,
                "DEMO_SECRET_KEY": session_key,
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
                ),
            }
            base = stack.enter_context(gunicorn(env, folder / "gunicorn.log"))
            headers = {"Cookie": f"session={sign_in(base)}", "User-Agent": USER_AGENT}
            paths = {
                "trivial": "/trivial",
                "check": f"/mirror/api/check?namespace={NAMESPACE}&image={image}",
                "picker search": f"/mirror/api/picker/repositories?namespace={NAMESPACE}&q={QUERY}",
            }
            paths["admission"] = f"/mirror/admission/{ADMISSION_CLUSTER}/validate"
            review = admission_body(image.partition("/")[0])  # the sandbox registry's host
            scripts = {"admission": admission_script(folder, review, token)}
            # With CONNECTIONS in flight every answer waits behind others in gunicorn's
            # queue: p99 is the queue's length. With one per worker it is the service time,
            # what an API server sees from a webhook that keeps up: the 10 ms aim's measure.
            for name in ("trivial", "admission"):
                paths[f"{name} {UNQUEUED}"] = paths[name]
            scripts[f"admission {UNQUEUED}"] = scripts["admission"]

            def load(name: str, seconds: int) -> Result:
                # A cluster's API server sends no session cookie: the webhook gets none.
                sent = {"User-Agent": USER_AGENT} if name in scripts else headers
                connections = WORKERS if name.endswith(UNQUEUED) else CONNECTIONS
                return wrk(base + paths[name], sent, seconds, scripts.get(name), connections)

            def still_ok(name: str) -> None:
                if name in scripts:
                    verify_admission(base, paths[name], review, token)
                else:
                    verify(base, paths[name], headers)  # still a 200, still signed in

            still_ok("admission")
            decision = verify(base, paths["check"], headers).json()
            if decision.get("allowed") is not True:
                raise LoadError(f"check should allow {image} in {NAMESPACE}: {decision}")
            page = verify(base, paths["picker search"], headers).json()
            if not page.get("items"):
                raise LoadError(f"the picker found nothing for {QUERY!r}: {page}")
            visible = verify(
                base, f"/mirror/api/picker/repositories?namespace={NAMESPACE}", headers
            ).json()
            facts.update(image=image, matches=page["total"], visible=visible["total"])
            for name in paths:
                load(name, warm)
            # Rounds interleave the endpoints, so a neighbour's burst on a shared machine
            # lands on all of them rather than on whichever ran at that moment.
            results: dict[str, list[Result]] = {name: [] for name in paths}
            for _ in range(rounds):
                for name in paths:
                    results[name].append(load(name, seconds))
                    still_ok(name)
            log = tail(folder / "gunicorn.log")
            if "Traceback" in log or "[ERROR]" in log:
                raise LoadError(f"gunicorn logged errors during the run:\n{log}")
    finally:
        admin.dispose()
    return results, facts


def main(quick: bool = False) -> None:
    missing = missing_tools()
    try:
        admin = postgres_admin()
    except LoadError as exc:
        missing.append(str(exc))
    else:
        if missing:
            admin.dispose()
    if missing:
        raise SystemExit("load: cannot run, missing:\n  " + "\n  ".join(missing))
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        results, facts = run(admin, quick)
    except LoadError as exc:
        raise SystemExit(f"load: {exc}") from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    rounds = facts["rounds"]
    print(
        f"load: demo console under gunicorn ({WORKERS} sync workers) on PostgreSQL, wrk "
        f"-t{WRK_THREADS} -c{CONNECTIONS} over loopback, signed in as {USER[0]}; "
        f"{rounds} round(s) of {facts['seconds']} s per endpoint after a {facts['warm']} s "
        "warm-up" + (", medians shown" if rounds > 1 else "")
    )
    print(
        f"  check: {facts['image']} in {NAMESPACE} (private, bound); picker search "
        f"q={QUERY!r}: {facts['matches']:,} of {facts['visible']:,} visible repositories"
    )
    print(
        f"  admission: AdmissionReview v1 of a Deployment, 5 containers + 2 init containers, "
        f"{ADMISSION_CLUSTER} namespace {ADMISSION_NAMESPACE}, bearer token; every answer "
        "checked: 200, allowed"
    )
    rate = {name: median(r.requests_per_second for r in runs) for name, runs in results.items()}
    p99 = {name: median(r.p99_ms for r in runs) for name, runs in results.items()}
    print(
        f"  {'endpoint':<15}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'req/s vs trivial':>18}{'p99 vs trivial':>16}"
    )
    for name, runs in results.items():
        base = f"trivial {UNQUEUED}" if name.endswith(UNQUEUED) else "trivial"
        print(
            f"  {name:<15}{rate[name]:>9,.0f}{median(r.p50_ms for r in runs):>9.2f}"
            f"{p99[name]:>9.2f}{sum(r.errors for r in runs):>8}"
            f"{rate[name] / rate[base]:>17.0%}{p99[name] / p99[base]:>15.1f}x"
        )
    share = rate["check"] / rate["trivial"]
    per_round = [
        c.requests_per_second / t.requests_per_second
        for c, t in zip(results["check"], results["trivial"], strict=True)
    ]
    spread = f" (rounds: {', '.join(f'{s:.0%}' for s in per_round)})" if rounds > 1 else ""
    verdict = "met" if share >= CHECK_TARGET else "NOT met"
    print(
        f"  check at {share:.0%} of /trivial's req/s{spread} "
        f"(target: at least {CHECK_TARGET:.0%}): {verdict}"
    )
    unqueued, trivial = p99[f"admission {UNQUEUED}"], p99[f"trivial {UNQUEUED}"]
    verdict = "met" if unqueued < ADMISSION_TARGET_MS else "NOT met"
    print(
        f"  admission p99 {unqueued:.2f} ms with {UNQUEUED} ({unqueued / trivial:.1f}x /trivial's "
        f"{trivial:.2f} ms), {p99['admission']:.2f} ms with -c{CONNECTIONS} "
        f"({p99['admission'] / p99['trivial']:.1f}x); req/s at "
        f"{rate['admission'] / rate['trivial']:.0%} of /trivial's "
        f"(target: p99 under {ADMISSION_TARGET_MS:.0f} ms with {UNQUEUED}): {verdict}"
    )
    picker = rate["picker search"] / rate["trivial"]
    print(
        f"  picker search at {picker:.0%} of /trivial's req/s (target: at least "
        f"{PICKER_TARGET:.0%}): {'met' if picker >= PICKER_TARGET else 'NOT met'}"
    )
    errors = sum(r.errors for runs in results.values() for r in runs)
    if errors:
        raise SystemExit(f"load: {errors} failed requests (non-2xx/3xx or socket errors)")


if __name__ == "__main__":
    main()
