"""Database faults: killed connections and an unreachable database never make the deploy hook
raise or allow what it denied; pages and the JSON API answer 503 while the database is gone."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask, current_app

from mirror_plugin import dbmigrate
from mirror_plugin.policy.rule import Reason
from mirror_plugin.services import rulecache
from mirror_plugin.testing import FakeHostAdapter

from .conftest import POSTGRES_URL, Api, make_app, world
from .factories import integration, session, space

IMAGES = [
    "harbor.example.com/secret/app:1",  # private, bound to ws-a
    "harbor.example.com/library/nginx:1",  # public
    "harbor.example.com/other/app:1",  # private, bound to nobody
    "harbor.example.com/missing/app:1",  # no such space
]
NAMESPACES = ["prod/a-web", "prod/b-api", "dev/sandbox"]
KILL = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _platform() -> None:
    harbor = integration("harbor", "https://harbor.example.com")
    space(harbor, "secret", bound=("ws-a",))
    space(harbor, "library", public=True)
    space(harbor, "other")
    session().commit()


def _decisions(app: Flask) -> dict[tuple[str, str], bool]:
    plugin = app.extensions["mirror_plugin"].plugin
    return {(ns, im): plugin.check_image(ns, im).allowed for ns in NAMESPACES for im in IMAGES}


@pytest.fixture
def own_database(postgres_url: str) -> Iterator[str]:
    """A throwaway PostgreSQL database (connections to it can be killed, or it can be
    dropped, without touching the session's shared one); dropped at the end if still there."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"mirror_fault_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_app(own_database: str) -> Iterator[Flask]:
    app = make_app(own_database, world(), MIRROR_RULE_REFRESH_SECONDS=0.0)
    with app.app_context():
        dbmigrate.upgrade()
        _platform()
        yield app
        app.extensions["mirror_plugin"].db.session.remove()
        app.extensions["mirror_plugin"].db.engine.dispose()


@contextmanager
def killing(url: str) -> Iterator[list[int]]:
    """Terminate every other backend of ``url``'s database every 20 ms, from a connection of
    its own, until the block ends; yields how many each round terminated."""
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    killed: list[int] = []
    done = threading.Event()

    def kill() -> None:
        with killer.connect() as conn:
            while not done.is_set():
                killed.append(conn.execute(sa.text(KILL)).scalar_one())
                time.sleep(0.02)

    thread = threading.Thread(target=kill)
    thread.start()
    try:
        yield killed
    finally:
        done.set()
        thread.join()
        killer.dispose()


def _until_killed(killed: list[int], seconds: float = 3.0) -> Iterator[int]:
    """Rounds for ``seconds``, and on until at least five connections were killed."""
    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline or sum(killed) < 5:
        assert time.monotonic() < deadline + 10, "the killer never hit a connection"
        rounds += 1
        yield rounds


@pytest.mark.postgres
def test_killed_connections_are_retried_without_an_error_or_a_wrong_allow(
    pg_app: Flask, own_database: str
) -> None:
    """pg_terminate_backend (what a failover or restart does) from another connection while
    check_image runs in a loop: every decision is the one made before the kills."""
    expected = _decisions(pg_app)
    assert sum(expected.values()) == 4  # public for all three, secret for ws-a
    plugin = pg_app.extensions["mirror_plugin"].plugin
    errors: list[BaseException] = []
    wrong: list[tuple[str, str, str]] = []
    calls = 0
    with killing(own_database) as killed:
        for _ in _until_killed(killed):
            for (namespace, image), allowed in expected.items():
                calls += 1
                try:
                    decision = plugin.check_image(namespace, image)
                except Exception as exc:  # noqa: BLE001 - counting is the point
                    errors.append(exc)
                    continue
                if decision.allowed != allowed:
                    wrong.append((namespace, image, decision.reason.value))
    assert sum(killed) >= 5, killed
    assert errors == [], f"{len(errors)} of {calls} calls raised: {errors[:3]}"
    assert wrong == []


@pytest.mark.postgres
def test_killed_connections_over_http_no_500_no_wrong_allow(own_database: str) -> None:
    """The same through the JSON API, on a host that set pool_pre_ping as the README says:
    /api/check answers every call with the decision made before the kills; a listing that
    lost its connection mid-request answers 503 (never a 500 or an exception)."""
    app = make_app(
        own_database,
        world(),
        MIRROR_RULE_REFRESH_SECONDS=0.0,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    )
    with app.app_context():
        dbmigrate.upgrade()
        _platform()
        expected = _decisions(app)
    api = Api(app.test_client(), app.extensions["mirror_plugin"].host).as_user("root")
    statuses: Counter[int] = Counter()
    wrong: list[tuple[str, str]] = []
    with killing(own_database) as killed:
        for _ in _until_killed(killed):
            for (namespace, image), allowed in expected.items():
                response = api.get(f"/api/check?namespace={namespace}&image={image}")
                statuses[response.status_code] += 1
                if response.status_code != 200 or response.get_json()["allowed"] != allowed:
                    wrong.append((namespace, image))
            listed = api.get("/api/integrations")
            statuses[listed.status_code] += 1
            assert listed.status_code in (200, 503), listed.get_data(as_text=True)
    with app.app_context():
        app.extensions["mirror_plugin"].db.engine.dispose()
    assert sum(killed) >= 5, killed
    assert wrong == [], f"{len(wrong)} wrong answers; statuses {dict(statuses)}"
    assert statuses[500] == 0


def _drop(url: str) -> None:
    """The database is gone, its open connections with it (a server that is down)."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = sa.engine.make_url(url).database
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _create(url: str) -> None:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{sa.engine.make_url(url).database}"'))
    admin.dispose()


class _Clock:
    """rulecache's ``time``, stopped and moved forward by hand (the staleness bound, without
    waiting). Stopped: on a loaded machine the real seconds between two steps of a test would
    add to ``offset`` and could carry "29 s" past the 30 s bound."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.offset = 0.0

    def monotonic(self) -> float:
        return self.start + self.offset


@pytest.mark.postgres
def test_unreachable_database_answers_from_the_snapshot_then_unavailable(
    pg_app: Flask, own_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr(rulecache, "time", clock)
    expected = _decisions(pg_app)
    _drop(own_database)

    # Within MIRROR_RULE_STALE_SECONDS (30 s): the last snapshot decides, exactly as before.
    assert _decisions(pg_app) == expected
    clock.offset = 29.0
    assert _decisions(pg_app) == expected

    # Past it: every image is denied as unavailable, with a sentence saying to retry.
    clock.offset = 31.0
    plugin = pg_app.extensions["mirror_plugin"].plugin
    for namespace in NAMESPACES:
        for image in IMAGES:
            decision = plugin.check_image(namespace, image)
            assert not decision.allowed
            assert decision.reason is Reason.UNAVAILABLE
            assert "could not be checked" in decision.message
            assert "Try again" in decision.message
    explanation = plugin.explain("prod/a-web", IMAGES[0])
    assert explanation.decision.reason is Reason.UNAVAILABLE
    assert [check.key for check in explanation.checks] == ["database"]

    # Pages and the JSON API: 503 with a clear message, never a 500.
    adapter = pg_app.extensions["mirror_plugin"].host
    api = Api(pg_app.test_client(), adapter).as_user("root")
    page = api.client.get("/mirror/")
    assert page.status_code == 503
    assert "database cannot be reached" in page.get_data(as_text=True)
    listed = api.get("/api/integrations")
    assert listed.status_code == 503
    assert "database cannot be reached" in listed.get_json()["error"]["message"]
    checked = api.get("/api/check?namespace=prod/a-web&image=" + IMAGES[0])
    assert checked.status_code == 200
    assert checked.get_json()["reason"] == "unavailable"

    # The database is back (restored, migrated, the same rows): decisions resume.
    _create(own_database)
    dbmigrate.upgrade()
    _platform()
    assert _decisions(pg_app) == expected
    assert api.client.get("/mirror/").status_code == 200


@pytest.mark.postgres
def test_admission_webhook_decides_from_the_snapshot_during_an_outage(
    pg_app: Flask, own_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mirror_plugin.admission import clusters

    from .admission_objects import review, workload
    from .test_admission_webhook import Webhook, register

    clock = _Clock()
    monkeypatch.setattr(rulecache, "time", clock)
    monkeypatch.setattr(clusters, "time", clock)
    hook = Webhook(pg_app, "prod", register(pg_app, "prod"))

    def allowed(image: str) -> bool:
        return bool(hook.answer(review(workload("Pod", [image]), namespace="a-web"))["allowed"])

    assert allowed(IMAGES[0]) and not allowed(IMAGES[2])
    _drop(own_database)
    assert allowed(IMAGES[0]) and not allowed(IMAGES[2])
    clock.offset = 31.0
    # Past the bound the webhook cannot tell who calls: 503, and the cluster's failurePolicy.
    response = hook.post(review(workload("Pod", [IMAGES[0]]), namespace="a-web"))
    assert response.status_code == 503


class DatabaseHost(FakeHostAdapter):
    """A host whose adapter asks its own database, as a real console's does."""

    def workspace_of_namespace(self, namespace: str) -> str | None:
        current_app.extensions["mirror_plugin"].db.session.execute(sa.text("SELECT 1"))
        return super().workspace_of_namespace(namespace)


@pytest.mark.postgres
def test_a_host_adapter_losing_its_database_is_an_unavailable_decision(
    own_database: str,
) -> None:
    host = DatabaseHost(workspaces=world().workspaces, namespaces=world().namespaces)
    app = make_app(own_database, host)
    with app.app_context():
        dbmigrate.upgrade()
        _platform()
        plugin = app.extensions["mirror_plugin"].plugin
        assert plugin.check_image("prod/a-web", IMAGES[0]).allowed
        _drop(own_database)
        for _ in range(3):  # the host's session is rolled back, not left failing
            decision = plugin.check_image("prod/a-web", IMAGES[0])
            assert decision.reason is Reason.UNAVAILABLE
        app.extensions["mirror_plugin"].db.session.remove()
        app.extensions["mirror_plugin"].db.engine.dispose()


def test_other_database_errors_are_not_turned_into_503(app: Flask) -> None:
    """A missing table is a bug to see (the host's 500), not an outage."""
    adapter = app.extensions["mirror_plugin"].host
    api = Api(app.test_client(), adapter).as_user("root")
    with app.extensions["mirror_plugin"].db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE mirror_bindings"))
    with pytest.raises(sa.exc.DBAPIError):
        api.client.get("/mirror/")


def test_unavailable_is_a_documented_reason() -> None:
    assert Reason.UNAVAILABLE.value == "unavailable"
