"""One per-user limit on every call that reaches a registry, and what registry failures tell whom.

Through the JSON API and the pages: every registry-touching call counts (test, create, edit,
sync, the picker's refresh and tag fetch, Harbor space actions), the one over the limit never
reaches the registry, the limit is per user, holds across two apps sharing one Redis, and
leaves the host's own routes alone. The picker's refresh is a POST; ``GET ...&refresh=1`` is a
405 that asks nothing of the registry. Tenants get one "unreachable" sentence for every way an
address can fail to be a registry; the platform Admin keeps the detail.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import Integration, Space
from mirror_plugin.testing.harbor import HarborEmulator
from mirror_plugin.web import disclosure

from . import factories
from .conftest import Api, make_app, world
from .factories import session
from .faulty_server import FaultyServer

CLOSED = "http://127.0.0.1:9"  # discard: nothing listens there
PROBE = {"name": "w", "kind": "docker", "url": CLOSED}


@pytest.fixture
def harbor(app: Flask, api: Api) -> Iterator[HarborEmulator]:
    """A platform Harbor with a public project holding one repository, connected and synced."""
    with HarborEmulator() as emulator:
        emulator.add_project("library", public=True)
        emulator.add_repository("library", "nginx", [{"tags": ["1.27"]}])
        api.as_user("root")
        created = api.post("/api/integrations", HARBOR_BODY | {"url": emulator.url})
        assert created.status_code == 201, created.get_json()
        yield emulator


HARBOR_BODY = {"name": "harbor", "kind": "harbor", "username": "admin", "password": "Harbor12345"}


def _library() -> Space:
    return session().query(Space).filter_by(name="library").one()


def _limit(app: Flask, calls: int) -> None:
    """Allow ``calls`` from now on (the counts of the fixtures' own calls are cleared)."""
    app.config["MIRROR_REGISTRY_CALLS_PER_MINUTE"] = calls
    app.extensions["mirror_plugin"].extras["ratelimit"].limiter.reset()


def _assert_limited(response: Any) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == 429 and "per minute per user; try again in" in error["message"]


# -- every registry-touching call counts, and the refused one never reaches the registry -------


@pytest.mark.parametrize(
    "call",
    ["test_saved", "test_unsaved", "edit", "sync", "create", "space_create", "space_flip"],
)
def test_each_registry_call_counts_and_the_one_over_the_limit_sends_nothing(
    app: Flask, api: Api, harbor: HarborEmulator, call: str
) -> None:
    row = session().query(Integration).one()
    # One registry is connected once per owner (a second is a 409), so each create connects
    # it as the warehouse of another workspace.
    owners = iter(["ws-a", "ws-b", "ws-c"])
    requests = {
        "test_saved": lambda: api.post(f"/api/integrations/{row.id}/test"),
        "test_unsaved": lambda: api.post(
            "/api/integrations/test", HARBOR_BODY | {"url": harbor.url}
        ),
        "edit": lambda: api.patch(f"/api/integrations/{row.id}", {"description": "x"}),
        "sync": lambda: api.post(f"/api/integrations/{row.id}/sync?wait=true"),
        "create": lambda: api.post(
            f"/api/workspaces/{next(owners)}/integrations",
            HARBOR_BODY | {"url": harbor.url, "name": f"h{uuid.uuid4().hex[:6]}"},
        ),
        "space_create": lambda: api.post(
            f"/api/integrations/{row.id}/spaces", {"name": f"s{uuid.uuid4().hex[:6]}"}
        ),
        "space_flip": lambda: api.patch(
            f"/api/spaces/{_library().id}", {"public": not _library().public}
        ),
    }
    _limit(app, 2)
    api.as_user("root")
    for _ in range(2):
        assert requests[call]().status_code in (200, 201)
    sent = len(harbor.requests)
    _assert_limited(requests[call]())
    assert len(harbor.requests) == sent  # refused before anything left for the registry
    # Another user has a count of their own.
    alice = api.as_user("alice").post("/api/workspaces/ws-a/integrations/test", PROBE)
    assert alice.status_code != 429


def test_space_delete_and_every_call_share_one_count(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    row = session().query(Integration).one()
    _limit(app, 3)
    api.as_user("root")
    created = api.post(f"/api/integrations/{row.id}/spaces", {"name": "doomed"})
    assert created.status_code == 201
    assert api.post(f"/api/integrations/{row.id}/sync?wait=true").status_code == 200
    assert api.delete(f"/api/spaces/{created.get_json()['id']}").status_code == 200
    _assert_limited(api.post(f"/api/integrations/{row.id}/test"))
    # Listing is not a registry call: it still answers.
    assert api.get(f"/api/integrations/{row.id}/spaces").status_code == 200


def test_test_connection_keeps_its_own_stricter_limit(app: Flask, api: Api) -> None:
    app.config["MIRROR_TEST_CONNECTION_PER_MINUTE"] = 1
    api.as_user("alice")
    url = "/api/workspaces/ws-a/integrations/test"
    assert api.post(url, {"name": "w", "kind": "docker", "url": CLOSED}).status_code == 200
    answer = api.post(url, {"name": "w", "kind": "docker", "url": CLOSED})
    assert answer.status_code == 429
    assert answer.get_json()["error"]["message"].startswith("Too many connection tests")


# -- the picker -----------------------------------------------------------------------------


def test_picker_refresh_is_a_csrf_protected_post_and_get_refresh_sends_nothing(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    space = _library().id
    tags = f"/api/picker/tags?namespace=prod/a-web&space={space}&repository=library/nginx"
    repositories = f"/api/picker/repositories?namespace=prod/a-web&space={space}"
    api.as_user("vera")  # a viewer
    assert api.get(tags).status_code == 200  # fills the tag cache
    sent = len(harbor.requests)
    for url in (tags, repositories):
        old = api.get(url + "&refresh=1")
        assert old.status_code == 405
        assert "send POST" in old.get_json()["error"]["message"]
        assert api.post(url, csrf=False).status_code == 403
    assert len(harbor.requests) == sent
    # The token the picker sends comes with its context.
    context = api.get("/api/picker/context?namespace=prod/a-web").get_json()
    assert context["csrf_token"] == Api.TOKEN
    assert api.post(tags).status_code == 200 and len(harbor.requests) > sent
    assert api.post(repositories).status_code == 200


def test_picker_counts_refreshes_and_cache_misses_but_not_cache_hits(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    tags = f"/api/picker/tags?namespace=prod/a-web&space={_library().id}&repository=library/nginx"
    _limit(app, 2)
    api.as_user("vera")
    assert api.get(tags).status_code == 200  # a cache miss: 1
    for _ in range(5):
        assert api.get(tags).status_code == 200  # cache hits are free
    assert api.post(tags).status_code == 200  # 2
    sent = len(harbor.requests)
    _assert_limited(api.post(tags))
    app.config["MIRROR_CATALOGUE_TTL"] = 0  # every GET now needs the registry
    _assert_limited(api.get(tags))
    assert len(harbor.requests) == sent


# -- pages: an error message instead of the registry call -----------------------------------------


def test_pages_say_the_limit_was_reached(app: Flask, api: Api, harbor: HarborEmulator) -> None:
    row = session().query(Integration).one()
    _limit(app, 1)
    api.as_user("root")
    form = {"mirror_csrf_token": Api.TOKEN}
    assert api.client.post(f"/mirror/integrations/{row.id}/sync", data=form).status_code == 302
    sent = len(harbor.requests)
    again = api.client.post(f"/mirror/integrations/{row.id}/sync", data=form)
    assert again.status_code == 302
    page = api.get(f"/integrations/{row.id}").get_data(as_text=True)
    assert "Too many requests that reach a registry" in page
    edit = api.client.post(
        f"/mirror/integrations/{row.id}/edit",
        data=form | {"name": "harbor", "kind": "harbor", "url": harbor.url, "action": "test"},
    )
    assert edit.status_code == 429 and "try again in" in edit.get_data(as_text=True)
    flip = api.client.post(
        f"/mirror/spaces/{_library().id}/visibility", data=form | {"public": "false"}
    )
    assert flip.status_code == 302
    assert "was not changed: Too many" in api.get(flip.location.removeprefix("/mirror")).get_data(
        as_text=True
    )
    assert len(harbor.requests) == sent and _library().public is True


# -- the limiter is the plugin's own ----------------------------------------------------------


def test_host_routes_and_host_limiter_settings_are_left_alone(tmp_path: Any) -> None:
    adapter = world()
    app = make_app(
        f"sqlite:///{tmp_path}/host.db",
        adapter,
        MIRROR_REGISTRY_CALLS_PER_MINUTE=1,
        # A host's settings for its own Flask-Limiter: the plugin's limiter ignores them.
        RATELIMIT_DEFAULT="1 per minute",
        RATELIMIT_APPLICATION="1 per minute",
        RATELIMIT_ENABLED=False,
    )
    app.add_url_rule("/host", "host", lambda: "host page")
    client = app.test_client()
    assert [client.get("/host").status_code for _ in range(5)] == [200] * 5
    api = Api(client, adapter).as_user("alice")
    body = {"name": "w", "kind": "docker", "url": CLOSED}
    assert api.post("/api/workspaces/ws-a/integrations/test", body).status_code == 200
    _assert_limited(api.post("/api/workspaces/ws-a/integrations/test", body))
    assert [client.get("/host").status_code for _ in range(5)] == [200] * 5


def test_an_unreachable_limit_storage_refuses_registry_calls(tmp_path: Any) -> None:
    pytest.importorskip("redis")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = world()
    app = make_app(
        f"sqlite:///{tmp_path}/down.db",
        adapter,
        MIRROR_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}",
    )
    api = Api(app.test_client(), adapter).as_user("alice")
    answer = api.post("/api/workspaces/ws-a/integrations/test", PROBE)
    assert answer.status_code == 503
    assert "rate limit" in answer.get_json()["error"]["message"]


@pytest.mark.redis
def test_the_limit_holds_across_two_apps_sharing_one_redis(redis_url: str, tmp_path: Any) -> None:
    """Two workers (two apps, as two processes would be) count one user's calls together."""
    prefix = f"mirror_test_{uuid.uuid4().hex}"  # runs sharing the Redis never collide
    apis = []
    for name in ("one", "two"):
        adapter = world()
        app = make_app(
            f"sqlite:///{tmp_path}/{name}.db",
            adapter,
            MIRROR_RATELIMIT_STORAGE_URI=redis_url,
            MIRROR_RATELIMIT_KEY_PREFIX=prefix,
            MIRROR_REGISTRY_CALLS_PER_MINUTE=3,
        )
        apis.append(Api(app.test_client(), adapter).as_user("alice"))
    first, second = apis
    url, body = "/api/workspaces/ws-a/integrations/test", PROBE
    codes = [api.post(url, body).status_code for api in (first, second, first)]
    assert codes == [200, 200, 200]
    _assert_limited(second.post(url, body))
    _assert_limited(first.post(url, body))
    # The count is the user's: another user of either app starts afresh.
    assert second.as_user("root").post("/api/integrations/test", body).status_code == 200


# -- what a registry failure tells whom ------------------------------------------------------


@pytest.fixture
def targets() -> Iterator[dict[str, str]]:
    """Addresses that fail to be a registry in different ways."""
    with FaultyServer() as http_404, FaultyServer() as not_http, FaultyServer() as http_503:
        http_404.route("/", "/status/404")
        not_http.route("/", "/not-http")
        http_503.route("/", "/status/503")
        yield {
            "closed port": CLOSED,
            "HTTP 404": http_404.url,
            "not HTTP": not_http.url,
            "HTTP 503": http_503.url,
        }


def test_a_workspace_admin_cannot_tell_apart_what_answers_at_an_address(
    app: Flask, api: Api, targets: dict[str, str]
) -> None:
    app.config["MIRROR_TEST_CONNECTION_PER_MINUTE"] = 100
    app.config["MIRROR_REGISTRY_CALLS_PER_MINUTE"] = 100
    tenant, admin = {}, {}
    for what, url in targets.items():
        for kind in ("docker", "harbor"):
            body = {"name": "w", "kind": kind, "url": url}
            answer = api.as_user("alice").post("/api/workspaces/ws-a/integrations/test", body)
            tenant[what, kind] = (answer.status_code, answer.get_json())
            created = api.post("/api/workspaces/ws-a/integrations", body)
            assert created.status_code == 422
            tenant[what, kind, "create"] = created.get_json()["error"]["fields"]
            answer = api.as_user("root").post("/api/workspaces/ws-a/integrations/test", body)
            admin[what, kind] = answer.get_json()["message"]
    report = {
        "ok": False,
        "message": disclosure.UNREACHABLE,
        "category": "unreachable",
        "account": "",
        "version": "",
        "catalog": None,
    }
    for key, value in tenant.items():
        expected = {"url": disclosure.UNREACHABLE} if "create" in key else (200, report)
        assert value == expected, key
    assert len(set(admin.values())) > 2, admin  # the platform Admin keeps the detail


def test_last_error_and_sync_failures_are_detailed_for_the_platform_admin_only(
    app: Flask, api: Api
) -> None:
    row_id = factories.integration("w", CLOSED, kind="docker", workspace_id="ws-a").id
    session().commit()
    api.as_user("alice")
    synced = api.post(f"/api/integrations/{row_id}/sync?wait=true")
    assert synced.status_code == 502
    assert synced.get_json()["error"] == {
        "status": 502,
        "message": disclosure.UNREACHABLE,
        "category": "unreachable",
    }
    tested = api.post(f"/api/integrations/{row_id}/test").get_json()
    assert tested["message"] == disclosure.UNREACHABLE
    detail = session().get(Integration, row_id).last_error
    assert detail and detail != disclosure.UNREACHABLE
    for user in ("alice", "vera"):
        api.as_user(user)
        shown = api.get(f"/api/integrations/{row_id}").get_json()["last_error"]
        assert shown == disclosure.LAST_CHECK_FAILED
        page = api.get(f"/workspaces/ws-a/warehouses/{row_id}").get_data(as_text=True)
        assert disclosure.LAST_CHECK_FAILED in page and detail not in page
    assert api.as_user("root").get(f"/api/integrations/{row_id}").get_json()["last_error"] == detail
