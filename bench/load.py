"""Load: the demo console under gunicorn (2 sync workers) on PostgreSQL, driven by wrk from a
second process over loopback, for the deploy hook's check endpoint and the picker's search.

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
* wrk (Debian's, Lua-free): a warm-up per endpoint, then rounds that take the endpoints in
  turn (3 rounds of 10 s; ``--quick``: 1 round of 3 s); medians are reported.

Authentication is the console's own session, not a benchmark-only shortcut: Eddie (an editor
of Team Alpha) signs in once through the CSRF-protected ``POST /login`` and wrk sends that
cookie (and the User-Agent Flask-Login's session protection hashes) with every request, so
each request pays what a signed-in user's does. wrk counts 3xx as success, so every endpoint
is checked for a 200 without Set-Cookie before and after each of its runs.

Needs wrk (``apt-get install wrk``), gunicorn in this venv (``pip install gunicorn``) and a
PostgreSQL server; says which is missing and exits non-zero otherwise, and when any request
failed.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
    with log.open("wb") as out:
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


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


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
    return Result(
        requests_per_second=float(number(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(number(r"^\s+50%\s+(\S+)")),
        p99_ms=_ms(number(r"^\s+99%\s+(\S+)")),
        requests=int(number(r"^\s+(\d+) requests in")),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
    )


def wrk(url: str, headers: dict[str, str], seconds: int) -> Result:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "5s"]
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
            for path in paths.values():
                wrk(base + path, headers, warm)
            # Rounds interleave the endpoints, so a neighbour's burst on a shared machine
            # lands on all of them rather than on whichever ran at that moment.
            results: dict[str, list[Result]] = {name: [] for name in paths}
            for _ in range(rounds):
                for name, path in paths.items():
                    results[name].append(wrk(base + path, headers, seconds))
                    verify(base, path, headers)  # still a 200, still signed in
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
    rate = {name: median(r.requests_per_second for r in runs) for name, runs in results.items()}
    p99 = {name: median(r.p99_ms for r in runs) for name, runs in results.items()}
    print(
        f"  {'endpoint':<15}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'req/s vs trivial':>18}{'p99 vs trivial':>16}"
    )
    for name, runs in results.items():
        print(
            f"  {name:<15}{rate[name]:>9,.0f}{median(r.p50_ms for r in runs):>9.2f}"
            f"{p99[name]:>9.2f}{sum(r.errors for r in runs):>8}"
            f"{rate[name] / rate['trivial']:>17.0%}{p99[name] / p99['trivial']:>15.1f}x"
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
