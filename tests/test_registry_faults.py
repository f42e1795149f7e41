"""Registry faults end to end: a misbehaving registry costs no 500, none of our data, no picker.

The issue: "Registry faults against a misbehaving server written in the tests: connection
refused, reset mid-body, never answering, 10 MB of garbage, wrong content type, invalid UTF-8,
401 loops on the token flow, redirects to loopback and to 169.254.169.254. For each: a clear
error, no 500, our data unchanged, the picker still serves cached data marked stale."

Each case saves an integration (Harbor or Docker Registry, with a password) whose spaces,
repositories, bindings and tag cache are already in the database, points it at
:mod:`tests.faulty_server` failing in one way on every path, and drives the JSON API:

1. the picker (as the platform Admin, who sees the registry layer's sentence; members get one
   generic sentence) asks for a repository's tags with ``MIRROR_CATALOGUE_TTL`` 0: 200, the
   cached tags, ``stale`` and an error sentence;
2. the picker refreshes (POST) the space's repositories: 200, the repositories as they were,
   an error;
3. the platform Admin syncs: 502 (504 for timeouts), a sentence and a category;
4. the platform Admin tests the connection: 200, ``ok`` false, a sentence and a category.

After every step: no 500, JSON, a sentence that carries no remote body, address, password or
exception text; spaces, repositories, bindings, tag cache and audit log exactly as before (only
the integration's health, and the tag cache's ``error``, may change); a bounded number of
requests reached the server; and no socket was opened to anything but the fault's own address.

The app allow-lists 127.0.0.1/32 only, so a redirect to 127.0.0.2 (loopback, not allow-listed)
is refused like one to 169.254.169.254 (never allowed), before any connection. For the server
that never answers, the registry timeout is 0.2 s (loopback connects are instant, so it is the
read that times out): each call gives up after three tries in under a second, and pauses between
retries are recorded rather than slept, so the file runs in about half a minute on both
databases.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask

from demo.sandbox import free_port  # nothing listens there: a closed port
from mirror_plugin.models import (
    AuditEvent,
    Binding,
    Integration,
    Repository,
    Space,
    TagCache,
    utcnow,
)
from mirror_plugin.registry import http as registry_http
from mirror_plugin.testing import FakeHostAdapter

from . import factories
from .conftest import Api, make_app, migrated
from .faulty_server import TOKEN, Connects, FaultyServer

#: A refused address is answered without waiting for any timeout (5 s here); the bound leaves
#: room for a loaded machine, not for a wait.
REFUSED_AT_ONCE = 2.5
HANG_TIMEOUT = 0.2  # seconds; read per call from MIRROR_REGISTRY_TIMEOUT
TRIES = 3  # RegistryHTTP's default: one try and two retries, for GET and HEAD
ALLOWED = "127.0.0.1/32"
USERNAME, PASSWORD = "admin", "s3cret-registry-password"
BOTH = ("harbor", "docker")
STEPS = ("tags", "repositories", "sync", "test")
METADATA = "169.254.169.254"


# -- the app, the server, and what they observe ----------------------------------------------


@pytest.fixture
def app(database_url: str, adapter: FakeHostAdapter) -> Iterator[Flask]:
    """conftest's ``app`` (which ``api`` uses), allow-listing 127.0.0.1/32 only; the network
    policy is read when the plugin starts, so it is set before."""
    host = make_app(
        database_url,
        adapter,
        MIRROR_ALLOWED_NETWORKS=[ALLOWED],
        MIRROR_CATALOGUE_TTL=0,  # every picker call asks the registry
        MIRROR_TEST_CONNECTION_PER_MINUTE=10_000,
    )
    with migrated(host) as app:
        yield app


pytestmark = pytest.mark.usefixtures("no_cached_tokens")


class PausesRecorded:
    """Stands in for ``time`` in the HTTP layer: pauses between retries are recorded, not
    slept. They are the HTTP layer's business (tests/test_http_layer.py); here they would
    only add 0.3 s to every failing call. Everything else is the real ``time``."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture(autouse=True)
def pauses(monkeypatch: pytest.MonkeyPatch) -> PausesRecorded:
    recorder = PausesRecorded()
    monkeypatch.setattr(registry_http, "time", recorder)
    return recorder


# -- the faults ------------------------------------------------------------------------------

Routes = Callable[[FaultyServer], dict[str, str]]


def everywhere(mode: str) -> Routes:
    return lambda server: {"/": mode}


def redirect_to(target: Callable[[FaultyServer], str]) -> Routes:
    return lambda server: {"/": "/redirect?" + urlencode({"to": target(server)})}


@dataclass(frozen=True)
class Fault:
    name: str
    kinds: tuple[str, ...]
    #: Prefix -> mode for the server; None: no server at all (a closed port).
    routes: Routes | None
    category: str
    #: Category of "test connection" per kind, when it differs (it calls other endpoints).
    test_category: dict[str, str] = field(default_factory=dict)
    #: Requests one failing API call makes to the server, and exceptions by step or by
    #: (step, kind): "test connection" calls other endpoints than the rest.
    requests: int = 1
    step_requests: dict[str | tuple[str, str], int] = field(default_factory=dict)
    #: MIRROR_REGISTRY_TIMEOUT for the case, and the upper bound on one API call's duration
    #: (a refused redirect is answered at once).
    timeout: float = 5.0
    seconds: float = 3.0


def _bearer(realm: Callable[[FaultyServer], str]) -> Callable[[FaultyServer], str]:
    return lambda server: "/challenge?" + urlencode({"realm": realm(server)})


_OWN_REALM = _bearer(lambda server: f"{server.url}/token")

FAULTS = (
    Fault("connection-refused", BOTH, None, "unreachable"),
    Fault("reset-mid-body", BOTH, everywhere("/reset"), "unreachable", requests=TRIES),
    Fault(
        "never-answers",
        BOTH,
        everywhere("/hang"),
        "read_timeout",
        requests=TRIES,
        timeout=HANG_TIMEOUT,
        seconds=TRIES * HANG_TIMEOUT + 2.0,
    ),
    Fault("10mb-garbage", BOTH, everywhere("/huge-unsized"), "too_large"),
    Fault("10mb-garbage-declared", BOTH, everywhere("/huge"), "too_large"),
    Fault("10mb-garbage-no-http", BOTH, everywhere("/not-http"), "bad_response"),
    Fault(
        "wrong-content-type",
        BOTH,
        everywhere("/html"),
        "bad_response",
        test_category={"harbor": "not_a_registry", "docker": "not_a_registry"},
    ),
    Fault(
        "invalid-utf8",
        BOTH,
        everywhere("/bad-utf8"),
        "bad_response",
        # Harbor's ping wants "Pong"; Distribution's /v2/ passes on a JSON content type, and
        # the catalog's body is what is not UTF-8 (GET /v2/ then GET /v2/_catalog).
        test_category={"harbor": "not_a_registry"},
        step_requests={("test", "docker"): 2},
    ),
    Fault(
        "redirect-to-loopback",
        BOTH,
        redirect_to(lambda server: f"http://127.0.0.2:{server.port}/v2/"),
        "blocked_address",
        seconds=REFUSED_AT_ONCE,
    ),
    Fault(
        "redirect-to-metadata",
        BOTH,
        redirect_to(lambda server: f"http://{METADATA}/latest/meta-data/"),
        "blocked_address",
        seconds=REFUSED_AT_ONCE,
    ),
    Fault(
        "401-everywhere",
        BOTH,
        # Harbor's ping answers (it needs no credentials); every other call is refused.
        lambda server: {"/": "/challenge", "/api/v2.0/ping": "/pong"},
        "auth_failed",
        step_requests={("test", "harbor"): 2},
    ),
    Fault(
        "token-realm-401-loop",
        ("docker",),
        # The registry sends us to its realm, and the realm challenges again, forever.
        lambda server: {"/": _OWN_REALM(server), "/token": _OWN_REALM(server)},
        "auth_failed",
        requests=2,
    ),
    Fault(
        "token-rejected-401-loop",
        ("docker",),
        # The realm hands out a token that the registry answers with 401 again, forever.
        lambda server: {"/": _OWN_REALM(server), "/token": "/token"},
        "forbidden",
        # /v2/..., /token, /v2/... with the token; sync reuses the catalog token the
        # repository refresh fetched (cached for its lifetime), so it skips /token.
        requests=3,
        step_requests={"sync": 2},
    ),
    Fault(
        "token-realm-at-metadata",
        ("docker",),
        lambda server: {"/": _bearer(lambda _: f"http://{METADATA}/latest/api/token")(server)},
        "blocked_address",
        seconds=REFUSED_AT_ONCE,
    ),
)


class ReportedOk(AssertionError):
    """Test connection said ok to a registry that is failing."""


def _cases() -> list[Any]:
    cases = []
    for fault in FAULTS:
        for kind in fault.kinds:
            cases.append(pytest.param(fault, kind, id=f"{fault.name}-{kind}"))
    return cases


CASES = _cases()

#: What each category's sentence says, so the picker's error (which has no category field)
#: can be checked too.
HINTS = {
    "unreachable": ("could not be reached", "closed the connection"),
    "read_timeout": ("did not answer in time", "stopped sending"),
    "too_large": ("too large",),
    "bad_response": ("not JSON", "did not answer with HTTP", "malformed", "not a valid URL"),
    "not_a_registry": ("API answers at this address",),
    "blocked_address": ("MIRROR_ALLOWED_NETWORKS",),
    "auth_failed": ("rejected", "refused"),
    "forbidden": ("may not",),
}


# -- the platform before the fault ------------------------------------------------------------

ARTIFACTS = [
    {
        "tag": "1.1",
        "digest": "sha256:" + "a" * 64,
        "size": 1234,
        "push_time": "2024-05-01T10:00:00.000Z",
        "index": False,
        "platforms": [],
        "type": "IMAGE",
    },
    {
        "tag": "1.0",
        "digest": "sha256:" + "b" * 64,
        "size": 1200,
        "push_time": "2024-04-01T10:00:00.000Z",
        "index": True,
        "platforms": ["linux/amd64", "linux/arm64"],
        "type": "IMAGE",
    },
]


@dataclass(frozen=True)
class Platform:
    integration_id: int
    alpha_id: int

    @property
    def tags_url(self) -> str:
        return f"/api/picker/tags?namespace=prod/a-web&space={self.alpha_id}&repository=alpha/web"

    @property
    def repositories_url(self) -> str:
        return f"/api/picker/repositories?namespace=prod/a-web&space={self.alpha_id}"


def seed(app: Flask, kind: str, url: str) -> Platform:
    """A synced, healthy integration with a password: a private space bound to two workspaces
    and a public one, a repository each, and their tags in the cache (fetched an hour ago)."""
    session = factories.session()
    earlier = utcnow() - timedelta(hours=1)
    row = factories.integration("faulty", url, kind=kind)
    row.username = USERNAME
    row.password_encrypted = app.extensions["mirror_plugin"].secrets.encrypt(PASSWORD)
    row.health, row.last_checked_at, row.last_synced_at = "healthy", earlier, earlier
    alpha = factories.space(row, "alpha", bound=("ws-a", "ws-b"))
    library = factories.space(row, "library", public=True)
    for number, space in enumerate((alpha, library), start=1):
        space.upstream_id = str(number) if kind == "harbor" else None
        space.repo_count, space.synced_at = 1, earlier
        repository = f"{space.name}/{'web' if space is alpha else 'nginx'}"
        session.add(Repository(space_id=space.id, name=repository, artifact_count=2))
        session.add(
            TagCache(
                space_id=space.id, repository=repository, artifacts=ARTIFACTS, fetched_at=earlier
            )
        )
    session.commit()
    return Platform(row.id, alpha.id)


#: Columns a failure may change: the integration's health, and the tag cache's last error.
VOLATILE = {
    Integration: {"health", "last_error", "last_checked_at", "updated_at"},
    TagCache: {"error"},
}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a fault must not touch, as read back from the database."""
    session = factories.session()
    session.expire_all()
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for model in (Integration, Space, Repository, Binding, TagCache, AuditEvent):
        table = model.__table__
        columns = [c for c in table.columns if c.name not in VOLATILE.get(model, set())]
        rows = session.execute(sa.select(*columns).order_by(table.c.id)).all()
        tables[table.name] = [tuple(r) for r in rows]
    return tables


# -- what every answer must look like ---------------------------------------------------------


def leaks(server_port: int | None) -> tuple[str, ...]:
    """Text that must never reach a user: addresses, exception and library names, the
    server's bodies (a login page, Harbor's ping, a token), and our password."""
    found = (
        "127.0.0",
        METADATA,
        "Errno",
        "Traceback",
        "urllib3",
        "HTTPConnectionPool",
        "Max retries",
        "Exception",
        "<html",
        "Sign in",
        "Pong",
        "\ufffd",
        "xxxxxxxx",
        TOKEN,
        PASSWORD,
    )
    return (*found, f":{server_port}") if server_port else found


def assert_clear(message: Any, category: str, server_port: int | None) -> None:
    """A short sentence for people that says what kind of failure it was, and nothing else."""
    assert isinstance(message, str) and 20 <= len(message) <= 300, message
    assert message[0].isupper() and message.isprintable(), message
    for leak in leaks(server_port):
        assert leak not in message, (leak, message)
    assert any(hint in message for hint in HINTS[category]), (category, message)


def assert_no_garbage(response: Any, server_port: int | None) -> None:
    """Nothing of the remote answer anywhere in ours (picker answers name the registry host,
    so they are checked field by field instead)."""
    text = response.get_data(as_text=True)
    for leak in leaks(server_port):
        assert leak not in text, (leak, text[:500])


# -- the test --------------------------------------------------------------------------------


@dataclass
class Run:
    """One case: the server (None for a closed port) and the calls made through the API."""

    api: Api
    pauses: PausesRecorded
    server: FaultyServer | None
    fault: Fault
    kind: str
    platform: Platform
    injected: int = 0

    @property
    def port(self) -> int | None:
        return self.server.port if self.server else None

    def call(self, step: str, user: str, method: str, path: str) -> Any:
        """The API call, checked for what every step promises: no 500, JSON, in time, a
        bounded number of bounded pauses, and exactly the requests the fault takes (so at
        least one: the fault was really served)."""
        before = len(self.server.requests) if self.server else 0
        paused = len(self.pauses.pauses)
        self.api.as_user(user)
        started = time.monotonic()
        response = self.api.post(path) if method == "POST" else self.api.get(path)
        elapsed = time.monotonic() - started
        seen = (len(self.server.requests) - before) if self.server else 0
        assert response.status_code != 500, (step, response.get_data(as_text=True))
        assert response.is_json, (step, response.status_code, response.get_data(as_text=True))
        assert elapsed < self.fault.seconds, (step, elapsed)
        backoff = self.pauses.pauses[paused:]
        assert len(backoff) <= TRIES - 1 and sum(backoff) <= 0.5, (step, backoff)
        if self.server is not None:
            exceptions = self.fault.step_requests
            expected = exceptions.get((step, self.kind), exceptions.get(step, self.fault.requests))
            assert seen == expected, (step, seen, [r.path for r in self.server.requests])
        self.injected += 1
        return response


@pytest.mark.parametrize(("fault", "kind"), CASES)
def test_a_faulty_registry_costs_no_500_no_data_and_no_picker(
    app: Flask,
    api: Api,
    server: FaultyServer,
    connects: Connects,
    pauses: PausesRecorded,
    fault: Fault,
    kind: str,
) -> None:
    if fault.routes is None:
        url, running = f"http://127.0.0.1:{free_port()}", None
    else:
        for prefix, mode in fault.routes(server).items():
            server.route(prefix, mode)
        url, running = server.url, server
    app.config["MIRROR_REGISTRY_TIMEOUT"] = fault.timeout
    platform = seed(app, kind, url)
    before = snapshot()
    run = Run(api, pauses, running, fault, kind, platform)
    session = factories.session()

    # 1. The picker's tags: the cached ones, marked stale, with the error. As the platform
    # Admin, who sees the registry layer's own sentence (tenants get one generic sentence,
    # tests/test_ratelimit.py).
    response = run.call("tags", "root", "GET", platform.tags_url)
    assert response.status_code == 200
    tags = response.get_json()
    assert [(t["tag"], t["digest"]) for t in tags["items"]] == [
        (a["tag"], a["digest"]) for a in ARTIFACTS
    ]
    assert tags["stale"] is True and tags["age_seconds"] >= 3600
    assert_clear(tags["error"], fault.category, run.port)
    assert snapshot() == before
    cache = session.scalar(sa.select(TagCache).where(TagCache.repository == "alpha/web"))
    assert cache.error == tags["error"]

    # 2. The picker's repository refresh: the repositories as they were, with the error.
    response = run.call("repositories", "root", "POST", platform.repositories_url)
    assert response.status_code == 200
    listed = response.get_json()
    assert [r["name"] for r in listed["items"]] == ["alpha/web"]
    assert_clear(listed["error"], fault.category, run.port)
    assert snapshot() == before

    # 3. Sync: 502 (504 for a timeout), a sentence and a category; unhealthy.
    response = run.call(
        "sync", "root", "POST", f"/api/integrations/{platform.integration_id}/sync?wait=true"
    )
    error = response.get_json()["error"]
    status = 504 if fault.category.endswith("timeout") else 502
    assert (response.status_code, error["status"], error["category"]) == (
        status,
        status,
        fault.category,
    )
    assert_clear(error["message"], fault.category, run.port)
    assert_no_garbage(response, run.port)
    assert snapshot() == before
    row = session.get(Integration, platform.integration_id)
    assert (row.health, row.last_error) == ("unhealthy", error["message"])

    # 4. Test connection: 200, ok false, a sentence and a category; still unhealthy.
    response = run.call("test", "root", "POST", f"/api/integrations/{platform.integration_id}/test")
    assert response.status_code == 200
    report = response.get_json()
    assert_no_garbage(response, run.port)
    if report["ok"]:
        raise ReportedOk(f"test connection reported ok: {report}")
    category = fault.test_category.get(kind, fault.category)
    assert report["category"] == category, report
    assert_clear(report["message"], category, run.port)
    assert snapshot() == before
    session.expire_all()
    row = session.get(Integration, platform.integration_id)
    assert (row.health, row.last_error) == ("unhealthy", report["message"])

    # No socket to anything but the fault itself: redirects and realms were refused first.
    own = {("127.0.0.1", server.port), ("127.0.0.1", int(url.rsplit(":", 1)[1]))}
    assert set(connects.targets) <= own, connects.targets
    assert run.injected == len(STEPS)


# -- Docker Registry: /v2/ answers, the catalog fails -------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database question here
@pytest.mark.parametrize(
    ("mode", "category"),
    [
        pytest.param("/status/404", None, id="catalog-disabled"),  # the case "disabled" is for
        pytest.param("/status/401", "auth_failed", id="catalog-401"),
        *(
            pytest.param(mode, category, id=name)
            for name, mode, category in (
                ("catalog-resets", "/reset", "unreachable"),
                ("catalog-10mb-garbage", "/huge-unsized", "too_large"),
                ("catalog-html", "/html", "bad_response"),
            )
        ),
    ],
)
def test_a_catalog_that_fails_is_not_a_disabled_catalog(
    app: Flask, api: Api, server: FaultyServer, mode: str, category: str | None
) -> None:
    """Test connection tells a disabled catalog (404: connected, nothing to sync) from a
    broken one, which sync then reports as the failure it is."""
    server.route("/", "/registry").route("/v2/_catalog", mode)
    platform = seed(app, "docker", server.url)
    before = snapshot()
    api.as_user("root")
    response = api.post(f"/api/integrations/{platform.integration_id}/test")
    assert response.status_code == 200
    report = response.get_json()
    assert_no_garbage(response, server.port)
    assert snapshot() == before
    if category is None:
        assert (report["ok"], report["catalog"]) == (True, False), report
        return
    if report["ok"]:
        raise ReportedOk(f"test connection reported ok: {report}")
    assert report["category"] == category, report
    assert_clear(report["message"], category, server.port)
    factories.session().expire_all()
    row = factories.session().get(Integration, platform.integration_id)
    assert (row.health, row.last_error) == ("unhealthy", report["message"])
    synced = api.post(f"/api/integrations/{platform.integration_id}/sync?wait=true")
    assert synced.status_code == 502
    assert synced.get_json()["error"]["category"] == category


# -- the matrix ------------------------------------------------------------------------------


def test_every_fault_of_the_issue_is_injected_into_every_step() -> None:
    """The issue's list, each for both registry kinds where it applies: 25 cases, 4 steps."""
    names = {fault.name for fault in FAULTS}
    for required in (
        "connection-refused",
        "reset-mid-body",
        "never-answers",
        "10mb-garbage",
        "wrong-content-type",
        "invalid-utf8",
        "token-realm-401-loop",
        "token-rejected-401-loop",
        "redirect-to-loopback",
        "redirect-to-metadata",
    ):
        assert required in names
    assert all(f.kinds == BOTH for f in FAULTS if "token" not in f.name)
    assert len(CASES) == 25
    injected = len(CASES) * len(STEPS)
    print(f"{len(CASES)} fault cases x {len(STEPS)} API steps = {injected} faulty calls")
    assert injected == 100
