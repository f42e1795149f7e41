"""Bounded conversations with registries, through the JSON API (issue 10, items 3 and 6).

A registry is a tenant's input: a Workspace Admin can point a warehouse at a server they
control. These tests drive the plugin's API against :mod:`tests.faulty_server` playing such a
server, and hold it to what the README's Security section promises:

* a total deadline per registry request and per sync, whatever the server trickles;
* Harbor's ``X-Total-Count`` sizes nothing: a lying total costs a bounded number of requests,
  and the caps on pages, spaces and repositories stop a list that never ends, with a message
  naming the key (never silently, never a partial sync);
* a Docker Registry's ``Link: rel="next"`` chain is capped, stops at the deadline, and is never
  followed to another origin (where the registry's credentials would go);
* names no image reference can use are skipped and counted; a value the database refuses
  rolls back and is reported, never a 500;
* plain http and workspace warehouses are held to their allow-lists when connecting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask

from mirror_plugin.models import Integration, Space
from mirror_plugin.testing import FakeHostAdapter

from . import factories
from .conftest import Api, make_app, migrated
from .faulty_server import FaultyServer
from .test_registry_faults import USERNAME, seed, snapshot

HARBOR_PROJECTS = "/api/v2.0/projects"


@pytest.fixture
def app(database_url: str, adapter: FakeHostAdapter) -> Iterator[Flask]:
    host = make_app(
        database_url,
        adapter,
        MIRROR_ALLOWED_NETWORKS=["127.0.0.1/32"],
        MIRROR_TEST_CONNECTION_PER_MINUTE=10_000,
    )
    with migrated(host) as app:
        yield app


pytestmark = pytest.mark.usefixtures("no_cached_tokens")


def json_mode(body: Any, **query: Any) -> str:
    return "/json?" + urlencode({"body": json.dumps(body), **query})


def project(name: str, number: int, repos: int = 1) -> dict[str, Any]:
    return {"project_id": number, "name": name, "metadata": {"public": "true"}, "repo_count": repos}


def sync(api: Api, integration_id: int, user: str = "root") -> tuple[float, Any]:
    api.as_user(user)
    started = time.monotonic()
    response = api.post(f"/api/integrations/{integration_id}/sync?wait=true")
    return time.monotonic() - started, response


def assert_refused(response: Any, status: int, category: str, *words: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["category"] == category, error
    for word in words:
        assert word in error["message"], error["message"]
    return str(error["message"])


def health(integration_id: int) -> tuple[str, str | None]:
    session = factories.session()
    session.expire_all()
    row = session.get(Integration, integration_id)
    return row.health, row.last_error


# -- deadlines -----------------------------------------------------------------------------------


def test_a_trickling_registry_cannot_hold_a_test_connection_past_the_deadline(
    app: Flask, api: Api, server: FaultyServer
) -> None:
    """One byte every 0.05 s never trips the 2 s read timeout; the 1 s total deadline holds.
    (Before: 1000 bytes at that pace, three tries: two and a half minutes.)"""
    server.route("/", "/trickle?every=0.05")
    app.config.update(MIRROR_REGISTRY_TIMEOUT=2.0, MIRROR_REGISTRY_DEADLINE=1.0)
    platform = seed(app, "harbor", server.url)
    api.as_user("root")
    started = time.monotonic()
    response = api.post(f"/api/integrations/{platform.integration_id}/test")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    report = response.get_json()
    assert (report["ok"], report["category"]) == (False, "total_timeout"), report
    assert "MIRROR_REGISTRY_DEADLINE" in report["message"]
    assert elapsed < 2.5, elapsed
    assert server.hits("/api/v2.0/ping") == 1  # a timed-out call is not retried


def test_a_sync_stops_at_its_deadline(app: Flask, api: Api, server: FaultyServer) -> None:
    """An endless chain of empty catalog pages, each quick: only the sync's deadline ends it."""
    server.route("/", "/registry").route("/v2/_catalog", "/next")
    app.config.update(MIRROR_SYNC_DEADLINE=1.0, MIRROR_SYNC_MAX_PAGES=10**6)
    platform = seed(app, "docker", server.url)
    before = snapshot()
    elapsed, response = sync(api, platform.integration_id)
    message = assert_refused(response, 504, "total_timeout", "MIRROR_SYNC_DEADLINE")
    assert elapsed < 2.5, elapsed
    assert snapshot() == before
    assert health(platform.integration_id) == ("unhealthy", message)


# -- Harbor paging -------------------------------------------------------------------------------


def test_a_lying_total_count_queues_nothing_and_hits_the_spaces_cap(
    app: Flask, api: Api, server: FaultyServer
) -> None:
    """``X-Total-Count: 10**12`` with full pages forever. Before: 10**10 pages queued in
    ``executor.map`` up front (1.37 GB, 11,723 requests in 90 s). Now: a window of workers
    ahead, and the spaces cap stops it after a handful of pages, saying so."""
    server.route(HARBOR_PROJECTS, "/projects")
    app.config.update(MIRROR_SYNC_MAX_SPACES=450, MIRROR_SYNC_WORKERS=4)
    platform = seed(app, "harbor", server.url)
    before = snapshot()
    elapsed, response = sync(api, platform.integration_id)
    assert_refused(response, 502, "limit_exceeded", "450 spaces", "MIRROR_SYNC_MAX_SPACES")
    assert snapshot() == before
    assert server.hits != 0 and len(server.seen(HARBOR_PROJECTS)) <= 5 + 4, server.requests
    assert elapsed < 3, elapsed


def test_full_pages_forever_hit_the_page_cap(app: Flask, api: Api, server: FaultyServer) -> None:
    server.route(HARBOR_PROJECTS, "/projects")
    app.config.update(MIRROR_SYNC_MAX_PAGES=7, MIRROR_SYNC_WORKERS=2)
    platform = seed(app, "harbor", server.url)
    before = snapshot()
    _, response = sync(api, platform.integration_id)
    assert_refused(response, 502, "limit_exceeded", "7 list pages", "MIRROR_SYNC_MAX_PAGES")
    assert snapshot() == before
    assert len(server.seen(HARBOR_PROJECTS)) <= 7


def test_a_short_page_ends_the_list_whatever_the_total_says(
    app: Flask, api: Api, server: FaultyServer
) -> None:
    """Two projects and ``X-Total-Count: 10**12``: one request for the list, a normal sync."""
    projects = [project("alpha", 1), project("beta", 2)]
    server.route(HARBOR_PROJECTS, json_mode(projects, total=10**12))
    for name in ("alpha", "beta"):
        repos = [{"name": f"{name}/web", "artifact_count": 1}]
        server.route(f"{HARBOR_PROJECTS}/{name}/repositories", json_mode(repos))
    platform = seed(app, "harbor", server.url)
    _, response = sync(api, platform.integration_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["result"]["total"] == 2
    assert len([r for r in server.seen(HARBOR_PROJECTS) if "repositories" not in r.path]) == 1


def test_creating_a_harbor_with_a_lying_total_is_bounded_and_says_why(
    app: Flask, api: Api, server: FaultyServer
) -> None:
    """The issue's create call (``X-Total-Count: 2000000``: 20,003 requests, 123 s): the
    registry is saved, its first sync stops at the cap with a sentence naming it."""
    server.route("/", json_mode({"username": USERNAME, "sysadmin_flag": True}))
    server.route("/api/v2.0/ping", "/pong").route(HARBOR_PROJECTS, "/projects?total=2000000")
    app.config.update(MIRROR_SYNC_MAX_SPACES=300)
    api.as_user("root")
    body = {"name": "lying", "kind": "harbor", "url": server.url}
    response = api.post("/api/integrations", json={**body, "username": USERNAME, "password": "x"})
    assert response.status_code == 201, response.get_data(as_text=True)
    first = response.get_json()["sync"]
    assert first["ok"] is False and "MIRROR_SYNC_MAX_SPACES" in first["message"], first
    assert len(server.requests) < 20, len(server.requests)


# -- Docker Registry Link chains -----------------------------------------------------------------


def test_an_endless_link_chain_is_capped(app: Flask, api: Api, server: FaultyServer) -> None:
    """Before: 1,301 pages in 60 s, and on after the client had gone."""
    server.route("/", "/registry").route("/v2/_catalog", "/next")
    app.config.update(MIRROR_SYNC_MAX_PAGES=25)
    platform = seed(app, "docker", server.url)
    before = snapshot()
    _, response = sync(api, platform.integration_id)
    assert_refused(response, 502, "limit_exceeded", "MIRROR_SYNC_MAX_PAGES")
    assert len(server.seen("/v2/_catalog")) == 25
    assert snapshot() == before


def test_a_next_link_to_another_origin_is_not_followed(
    app: Flask, api: Api, server: FaultyServer
) -> None:
    """The seeded registry has Basic credentials; the next page is on another port (another
    origin, inside the allow-list). Before: followed, credentials and all."""
    with FaultyServer() as elsewhere:
        elsewhere.route("/", "/registry")
        target = f"{elsewhere.url}/v2/_catalog?last=x"
        server.route("/", "/registry").route("/v2/_catalog", "/next?" + urlencode({"to": target}))
        platform = seed(app, "docker", server.url)
        before = snapshot()
        _, response = sync(api, platform.integration_id)
        assert_refused(response, 502, "bad_response", "another address")
        assert elsewhere.requests == []
        assert snapshot() == before
    assert all(r.headers.get("authorization") for r in server.seen("/v2/_catalog"))


def test_a_relative_next_link_resolves_against_the_registry(
    app: Flask, api: Api, server: FaultyServer
) -> None:
    """Distribution's own form (a path), followed within the registry to the last page."""
    last = json_mode({"repositories": ["alpha/web", "library/nginx"]})
    server.route("/", "/registry").route("/v2/_catalog", "/next?to=/v2/_catalog/2")
    server.route("/v2/_catalog/2", last)
    platform = seed(app, "docker", server.url)
    _, response = sync(api, platform.integration_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert server.hits("/v2/_catalog/2") == 1


# -- names and the database ----------------------------------------------------------------------


def test_names_no_reference_can_use_are_skipped_and_counted(
    app: Flask, api: Api, server: FaultyServer
) -> None:
    """A 300-character project (before: a 500 on PostgreSQL, on create and every sync),
    upper case, a grammar break, a bidi override, a duplicate; and repositories likewise."""
    long = "a" * 300
    projects = [
        project("alpha", 1, repos=4),
        project(long, 2),
        project("Upper", 3),
        project("a..b", 4),
        project("evil\u202egnp", 5),
        project("alpha", 6),
    ]
    repos = [
        {"name": "alpha/web", "artifact_count": 10**30},
        {"name": "alpha/" + "w" * 260},
        {"name": "alpha/Web"},
        {"name": "other/web"},
        {"name": "alpha/web"},
    ]
    server.route(HARBOR_PROJECTS, json_mode(projects))
    server.route(f"{HARBOR_PROJECTS}/alpha/repositories", json_mode(repos))
    for name in (long, "Upper", "a..b"):
        server.route(f"{HARBOR_PROJECTS}/{name}/repositories", json_mode([]))
    platform = seed(app, "harbor", server.url)
    _, response = sync(api, platform.integration_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()["result"]
    assert (report["total"], report["skipped_spaces"], report["skipped_repositories"]) == (1, 5, 4)
    session = factories.session()
    session.expire_all()
    names = session.scalars(sa.select(Space.name).order_by(Space.name)).all()
    assert names == ["alpha"]
    api.as_user("alice")
    listed = api.get(
        "/api/picker/repositories?namespace=prod/a-web&space="
        + str(session.scalar(sa.select(Space.id).where(Space.name == "alpha")))
    ).get_json()
    assert [(r["name"], r.get("artifact_count")) for r in listed["items"]] == [("alpha/web", None)]


def test_a_value_the_database_refuses_rolls_back_and_is_reported(
    app: Flask, api: Api, server: FaultyServer, database_url: str
) -> None:
    """A project id of 70 digits fits no ``upstream_id`` column on PostgreSQL (VARCHAR(64));
    SQLite stores it. Either way: no 500, and a failed sync changes nothing."""
    projects = [project("alpha", 10**70, repos=0), project("fresh", 3, repos=0)]
    server.route(HARBOR_PROJECTS, json_mode(projects))
    platform = seed(app, "harbor", server.url)
    before = snapshot()
    _, response = sync(api, platform.integration_id)
    if not database_url.startswith("postgresql"):
        assert response.status_code == 200, response.get_data(as_text=True)
        return
    message = assert_refused(response, 502, "bad_response", "could not be stored")
    assert snapshot() == before
    assert health(platform.integration_id) == ("unhealthy", message)


# -- allow-lists at connect time -----------------------------------------------------------------


def test_a_workspace_warehouse_is_held_to_its_own_allow_list(
    database_url: str, adapter: FakeHostAdapter, server: FaultyServer
) -> None:
    """Loopback is open to platform integrations, not to workspace warehouses; the refusal
    names the setting that would open it."""
    host = make_app(
        database_url,
        adapter,
        MIRROR_ALLOWED_NETWORKS=["127.0.0.1/32"],
        MIRROR_WORKSPACE_ALLOWED_NETWORKS="10.0.0.0/8:443",
        MIRROR_TEST_CONNECTION_PER_MINUTE=10_000,
    )
    server.route("/", "/registry")
    with migrated(host) as app:
        api = Api(app.test_client(), adapter)
        body = {"name": "wh", "kind": "docker", "url": server.url}
        api.as_user("alice")
        refused = api.post("/api/workspaces/ws-a/integrations/test", json=body)
        assert refused.status_code == 422, refused.get_data(as_text=True)
        assert "MIRROR_WORKSPACE_ALLOWED_NETWORKS" in refused.get_data(as_text=True)
        api.as_user("root")
        allowed = api.post("/api/integrations/test", json=body)
        assert allowed.get_json()["ok"] is True, allowed.get_json()
        # A warehouse saved before the list narrowed: its sync connects, and is refused.
        warehouse = factories.integration("old", server.url, kind="docker", workspace_id="ws-a")
        factories.session().commit()
        before = len(server.requests)
        _, response = sync(api, warehouse.id, "alice")
        assert_refused(response, 502, "blocked_address", "MIRROR_WORKSPACE_ALLOWED_NETWORKS")
        assert len(server.requests) == before


def test_plain_http_is_checked_when_connecting_not_only_when_saving(
    database_url: str, adapter: FakeHostAdapter, server: FaultyServer
) -> None:
    """Saved while 127.0.0.1 was allow-listed for every port; the list now opens port 443
    only: the saved plain-http URL is refused at connect time, before any connection."""
    host = make_app(
        database_url,
        adapter,
        MIRROR_ALLOWED_NETWORKS=["127.0.0.1/32:443"],
        MIRROR_TEST_CONNECTION_PER_MINUTE=10_000,
    )
    server.route("/", "/registry")
    with migrated(host) as app:
        api = Api(app.test_client(), adapter)
        row = factories.integration("plain", server.url, kind="docker")
        factories.session().commit()
        api.as_user("root")
        report = api.post(f"/api/integrations/{row.id}/test").get_json()
        assert (report["ok"], report["category"]) == (False, "blocked_address"), report
        assert server.requests == []
