"""A revoked binding stops allowing images: at once in the same process, within the refresh
bound in another worker sharing the database."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.adapter import Workspace
from mirror_plugin.services.bindings import unbind
from mirror_plugin.testing import FakeHostAdapter

from .conftest import drop_plugin_tables, make_app, world
from .factories import integration, session, space

IMAGE = "harbor.example.com/secret/app:1"


def test_same_process_denies_at_once(app: Flask) -> None:
    harbor = integration("harbor", "https://harbor.example.com")
    secret = space(harbor, "secret", bound=("ws-a",))
    session().commit()
    plugin = app.extensions["mirror_plugin"].plugin
    app.config["MIRROR_RULE_REFRESH_SECONDS"] = 3600.0  # only the commit itself may refresh
    app.extensions["mirror_plugin"].rules.refresh_seconds = 3600.0
    for _ in range(3):
        assert plugin.check_image("prod/a-web", IMAGE).allowed
    unbind([secret.id], ["ws-a"], actor="root")
    assert not plugin.check_image("prod/a-web", IMAGE).allowed


@pytest.fixture
def two_workers(postgres_url: str) -> Iterator[tuple[Flask, Flask]]:
    """Two app instances (as two workers would be) on one PostgreSQL database."""
    first = make_app(postgres_url, world())
    second = make_app(postgres_url, world())
    with first.app_context():
        dbmigrate.upgrade()
    yield first, second
    with first.app_context():
        engine = first.extensions["mirror_plugin"].db.engine
        drop_plugin_tables(engine)
        engine.dispose()
    with second.app_context():
        second.extensions["mirror_plugin"].db.engine.dispose()


@pytest.mark.postgres
def test_another_worker_denies_within_one_second(two_workers: tuple[Flask, Flask]) -> None:
    first, second = two_workers
    with first.app_context():
        harbor = integration("harbor", "https://harbor.example.com")
        secret_id = space(harbor, "secret", bound=("ws-a",)).id
        session().commit()
    with second.app_context():
        other = second.extensions["mirror_plugin"].plugin
        assert other.check_image("prod/a-web", IMAGE).allowed  # its snapshot now holds it
        assert other.check_image("prod/a-web", IMAGE).allowed
    with first.app_context():
        unbind([secret_id], ["ws-a"], actor="root")
        committed = time.monotonic()
        assert not first.extensions["mirror_plugin"].plugin.check_image("prod/a-web", IMAGE).allowed
    with second.app_context():
        while other.check_image("prod/a-web", IMAGE).allowed:
            assert time.monotonic() - committed < 1.0, "still allowed 1 s after the unbind"
            time.sleep(0.01)
        assert time.monotonic() - committed < 1.0


def test_writes_outside_the_plugin_are_seen_too(app: Flask, adapter: FakeHostAdapter) -> None:
    """Triggers bump the generation for any writer, e.g. a raw SQL statement."""
    harbor = integration("harbor", "https://harbor.example.com")
    space(harbor, "secret", bound=("ws-a",))
    session().commit()
    plugin = app.extensions["mirror_plugin"].plugin
    rules = app.extensions["mirror_plugin"].rules
    assert plugin.check_image("prod/a-web", IMAGE).allowed
    engine = app.extensions["mirror_plugin"].db.engine
    other_engine = sa.create_engine(engine.url)  # not watched: like another process
    with other_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM mirror_bindings"))
    other_engine.dispose()
    rules.checked_at = 0.0  # the refresh interval has passed
    assert not plugin.check_image("prod/a-web", IMAGE).allowed


def test_workspace_names_are_not_listed_at_every_counter_check(
    app: Flask, adapter: FakeHostAdapter
) -> None:
    """A host with thousands of workspaces is asked for their names when the rule changes or
    a decision meets a workspace it did not know, not at every counter check; a workspace
    created since the last list is named in the very next decision."""
    harbor = integration("harbor", "https://harbor.example.com")
    space(harbor, "secret", bound=("ws-a",))
    session().commit()
    plugin = app.extensions["mirror_plugin"].plugin
    rules = app.extensions["mirror_plugin"].rules
    listed = 0
    list_workspaces = adapter.list_workspaces

    def counting() -> list[Workspace]:
        nonlocal listed
        listed += 1
        return list_workspaces()

    adapter.list_workspaces = counting  # type: ignore[method-assign]  # counts the host's calls
    assert "Team A" in plugin.check_image("prod/a-web", IMAGE).message
    before = listed
    for _ in range(20):
        rules.checked_at = 0.0  # every decision re-reads the counter, as after each interval
        assert "Team A" in plugin.check_image("prod/a-web", IMAGE).message
    assert listed == before, "listed the host's workspaces at a counter check"

    adapter.workspaces["ws-n"] = "Team New"  # created in the host since the last list
    adapter.namespaces["prod/n-web"] = "ws-n"
    plugin.check_image("prod/n-web", IMAGE)  # meets a workspace the list does not have
    rules.checked_at = 0.0
    assert "Team New" in plugin.check_image("prod/n-web", IMAGE).message
    assert listed == before + 1
