"""Reconciling pull access at scale: many workspaces applied concurrently, a Harbor that fails
some calls, and changes queued while a round runs, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.models import AuditEvent
from mirror_plugin.models.pull import PullOutbox, PullRobot
from mirror_plugin.services.pull_reconcile import reconcile
from mirror_plugin.services.pull_worker import PullWorker
from mirror_plugin.signals import pull_credentials_changed
from mirror_plugin.testing import FakeHostAdapter
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api, make_app, migrated, world
from .factories import session
from .test_db_faults import _create, _drop, own_database  # noqa: F401  (fixture)
from .test_pull_access import connect_harbor, robot_projects

WORKSPACES = [f"ws-{n:03d}" for n in range(40)]


@pytest.fixture
def harbor() -> Iterator[HarborEmulator]:
    with HarborEmulator() as emulator:
        for name in ("team-a", "shared", "late"):
            emulator.add_project(name)
        yield emulator


@pytest.fixture
def many(database_url: str, harbor: HarborEmulator) -> Iterator[tuple[Flask, Api, dict[str, int]]]:
    """An app whose host has 40 workspaces, reconciling 8 pairs at a time, with the emulator
    connected as its platform Harbor; its spaces by name."""
    adapter = FakeHostAdapter(
        workspaces={w: w.upper() for w in WORKSPACES},
        namespaces={f"prod/{w}": w for w in WORKSPACES},
        platform_admins={"root"},
    )
    with migrated(make_app(database_url, adapter, MIRROR_PULL_CONCURRENCY=8)) as app:
        api = Api(app.test_client(), adapter)
        yield app, api, connect_harbor(api, harbor)


def _bind(api: Api, space: int, workspaces: list[str]) -> None:
    answer = api.post("/api/bindings", {"spaces": [space], "workspaces": workspaces})
    assert answer.status_code == 200, answer.get_json()


def _expected(*groups: tuple[str, list[str]]) -> dict[str, list[str]]:
    """Workspace -> the sorted projects its robot must hold."""
    wanted: dict[str, set[str]] = {}
    for project, workspaces in groups:
        for workspace in workspaces:
            wanted.setdefault(workspace, set()).add(project)
    return {w: sorted(p) for w, p in wanted.items()}


def _robots_by_workspace(harbor: HarborEmulator) -> dict[str, list[str]]:
    names = {r.robot_name: r.workspace_id for r in session().query(PullRobot)}
    return {names[name]: projects for name, projects in robot_projects(harbor).items()}


def _pending() -> set[str]:
    session().expire_all()
    return {row.workspace_id for row in session().query(PullOutbox).filter_by(done_at=None)}


def test_many_workspaces_are_applied_concurrently_and_exactly(
    many: tuple[Flask, Api, dict[str, int]], harbor: HarborEmulator
) -> None:
    _, api, spaces = many
    _bind(api, spaces["team-a"], WORKSPACES)
    _bind(api, spaces["shared"], WORKSPACES[::3])
    outcomes = reconcile(due_only=False)
    assert sorted(o.workspace for o in outcomes if o.action == "created") == WORKSPACES
    session().expire_all()
    assert _robots_by_workspace(harbor) == _expected(
        ("team-a", WORKSPACES), ("shared", WORKSPACES[::3])
    )
    assert _pending() == set() and session().query(PullOutbox).count() == 0  # applied: gone
    rows = session().query(PullRobot).all()
    assert len(rows) == 40 and all(r.secret_encrypted for r in rows)
    created = session().query(AuditEvent).filter_by(action="pull.robot_created").count()
    assert created == 40

    # A second round finds nothing to do; unbinding half of them removes exactly those.
    assert reconcile(due_only=False) == []
    answer = api.post(
        "/api/bindings",
        {"spaces": [spaces["team-a"], spaces["shared"]], "workspaces": WORKSPACES[20:],
         "action": "unbind"},
    )  # fmt: skip
    assert answer.status_code == 200
    reconcile(due_only=False)
    session().expire_all()
    assert _robots_by_workspace(harbor) == _expected(
        ("team-a", WORKSPACES[:20]), ("shared", WORKSPACES[:20:3])
    )


def test_harbor_failing_some_calls_leaves_exactly_those_changes_pending(
    many: tuple[Flask, Api, dict[str, int]], harbor: HarborEmulator
) -> None:
    _, api, spaces = many
    _bind(api, spaces["team-a"], WORKSPACES)
    harbor.fail_next(500, times=12)  # Harbor's own error: refused, not retried
    outcomes = reconcile(due_only=False)
    failed = {o.workspace for o in outcomes if o.error}
    assert failed and len(failed) < len(WORKSPACES)
    assert _pending() == failed  # each failure kept its entry, each success lost its own
    assert set(_robots_by_workspace(harbor)) == set(WORKSPACES) - failed
    for row in session().query(PullOutbox):
        assert row.attempts == 1 and row.last_error
    reconcile(due_only=False)
    session().expire_all()
    assert _robots_by_workspace(harbor) == _expected(("team-a", WORKSPACES))
    assert _pending() == set()


def test_changes_queued_during_a_round_are_not_lost(
    many: tuple[Flask, Api, dict[str, int]], harbor: HarborEmulator
) -> None:
    """Binds committed while a slow round applies the same workspaces stay queued for the
    next round (a round only removes the entries it read), so the robots end as bound."""
    app, api, spaces = many
    _bind(api, spaces["team-a"], WORKSPACES)
    harbor.latency = 0.03
    errors: list[BaseException] = []

    def round_in_background() -> None:
        try:
            with app.app_context():
                reconcile(due_only=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=round_in_background)
    worker.start()
    time.sleep(0.2)
    _bind(api, spaces["late"], WORKSPACES)
    worker.join(timeout=120)
    assert not worker.is_alive() and errors == []
    harbor.latency = 0.0
    assert _pending(), "the bind during the round should still be queued"
    reconcile(due_only=False)
    session().expire_all()
    assert _robots_by_workspace(harbor) == _expected(("team-a", WORKSPACES), ("late", WORKSPACES))
    assert _pending() == set()


@pytest.mark.postgres
def test_worker_logs_a_database_outage_once_then_a_line_per_round_and_the_recovery(
    own_database: str,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database is dropped under the worker (a server that is down): one error naming the
    cause, no traceback, a short line per later round, and a line when it answers again."""
    app = make_app(own_database, world(), MIRROR_HEALTH_INTERVAL=0)
    worker = PullWorker(app)
    with app.app_context():
        dbmigrate.upgrade()
        worker.run_once()
        _drop(own_database)
        caplog.set_level(logging.INFO, logger="mirror_plugin.services.pull_worker")
        for _ in range(3):
            worker.run_once()
        records = [r for r in caplog.records if r.name == "mirror_plugin.services.pull_worker"]
        assert [r.levelno for r in records] == [logging.ERROR, logging.INFO, logging.INFO]
        # The cause, from the driver: the killed connection, or the database missing.
        assert "cannot be reached (terminating connection" in records[0].getMessage() or (
            "does not exist" in records[0].getMessage()
        )
        assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)
        assert "round 3" in records[2].getMessage()

        caplog.clear()
        _create(own_database)
        dbmigrate.upgrade()
        worker.run_once()
        worker.run_once()
        (back,) = [r for r in caplog.records if r.name == "mirror_plugin.services.pull_worker"]
        assert "answers again" in back.getMessage() and "3 failed rounds" in back.getMessage()
        app.extensions["mirror_plugin"].db.session.remove()
        app.extensions["mirror_plugin"].db.engine.dispose()


def test_a_receiver_of_the_signal_may_reconcile_again(
    many: tuple[Flask, Api, dict[str, int]], harbor: HarborEmulator
) -> None:
    """``pull_credentials_changed`` is sent once the pair is released: a host receiver that
    reconciles right away (the same pair among others) does not wait on itself."""
    app, api, spaces = many
    _bind(api, spaces["team-a"], WORKSPACES[:3])
    nested: list[int] = []

    def receive(sender: Flask, **kwargs: object) -> None:
        if not nested:
            nested.append(len(reconcile(due_only=False, drift=True)))

    pull_credentials_changed.connect(receive, sender=app)
    try:
        worker = threading.Thread(target=lambda: _in_context(app))
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "reconcile waited on itself"
    finally:
        pull_credentials_changed.disconnect(receive, sender=app)
    assert nested and len(harbor.robot_accounts()) == 3


def _in_context(app: Flask) -> None:
    with app.app_context():
        reconcile(due_only=False)
