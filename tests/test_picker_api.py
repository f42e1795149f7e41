"""The picker's endpoints: what each namespace sees, scope escapes, cache, stale registries."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import Repository, Space
from mirror_plugin.models.jobs import Job
from mirror_plugin.services import catalogue
from mirror_plugin.testing.harbor import HarborEmulator
from mirror_plugin.web import disclosure
from mirror_plugin.web.schemas import picker as picker_schemas

from .conftest import Api
from .factories import session


@pytest.fixture
def harbor(app: Flask, api: Api) -> Iterator[HarborEmulator]:
    with HarborEmulator() as emulator:
        emulator.add_project("library", public=True)
        emulator.add_repository(
            "library", "nginx", [{"tags": ["1.27", "latest"]}, {"tags": ["1.25"]}]
        )
        emulator.add_repository("library", "team/tools/busybox", [{"tags": None}])
        emulator.add_project("alpha")
        emulator.add_repository("alpha", "web", [{"tags": ["1.0"], "index": True}])
        emulator.add_project("beta")
        emulator.add_repository("beta", "api", [{"tags": ["3.1"]}])
        api.as_user("root")
        created = api.post(
            "/api/integrations",
            {
                "name": "harbor",
                "kind": "harbor",
                "url": emulator.url,
                "username": "admin",
                "password": "Harbor12345",
            },
        )
        assert created.status_code == 201, created.get_json()
        api.post("/api/bindings", {"spaces": [space_id("alpha")], "workspaces": ["ws-a"]})
        api.post("/api/bindings", {"spaces": [space_id("beta")], "workspaces": ["ws-b"]})
        yield emulator


def space_id(name: str) -> int:
    return session().query(Space).filter_by(name=name).one().id


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def test_each_namespace_sees_its_spaces(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    assert names(api.get("/api/picker/spaces?namespace=prod/a-web")) == ["alpha", "library"]
    assert names(api.get("/api/picker/spaces?namespace=prod/a-web&tab=private")) == ["alpha"]
    api.as_user("bob")
    assert names(api.get("/api/picker/spaces?namespace=prod/b-api")) == ["beta", "library"]
    api.as_user("eddie")
    assert names(api.get("/api/picker/spaces?namespace=dev/sandbox")) == ["library"]
    context = api.get("/api/picker/context?namespace=dev/sandbox").get_json()
    assert context["workspace"] is None and "not bound to any workspace" in context["notice"]
    assert context["registries"][0]["spaces"] == {"public": 1, "private": 0, "workspace": 0}


def test_even_the_platform_admin_sees_only_the_namespaces_view(
    api: Api, harbor: HarborEmulator
) -> None:
    api.as_user("root")
    assert names(api.get("/api/picker/spaces?namespace=prod/a-web")) == ["alpha", "library"]
    search = api.get("/api/picker/repositories?namespace=prod/b-api&q=web").get_json()
    assert search["items"] == []


def test_search_repositories_and_tags(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    found = api.get("/api/picker/repositories?namespace=prod/a-web&q=WEB").get_json()["items"]
    assert [r["name"] for r in found] == ["alpha/web"]
    every = api.get("/api/picker/repositories?namespace=prod/a-web").get_json()
    assert [r["name"] for r in every["items"]] == [
        "alpha/web",
        "library/nginx",
        "library/team/tools/busybox",
    ]
    assert every["items"][2]["short_name"] == "team/tools/busybox"
    tags = api.get(
        f"/api/picker/tags?namespace=prod/a-web&space={space_id('library')}"
        "&repository=library/nginx"
    ).get_json()
    assert [t["tag"] for t in tags["items"]] == ["1.27", "latest", "1.25"]
    first = tags["items"][0]
    assert first["reference_tag"].endswith("/library/nginx:1.27")
    assert first["reference_digest"].endswith("/library/nginx@" + first["digest"])
    assert tags["stale"] is False and tags["error"] is None
    untagged = api.get(
        f"/api/picker/tags?namespace=prod/a-web&space={space_id('library')}"
        "&repository=library/team/tools/busybox"
    ).get_json()["items"]
    assert untagged[0]["tag"] is None and untagged[0]["reference_digest"]
    index = api.get(
        f"/api/picker/tags?namespace=prod/a-web&space={space_id('alpha')}&repository=alpha/web"
    ).get_json()["items"][0]
    assert index["index"] is True and "linux/arm64" in index["platforms"]


@pytest.mark.parametrize("user", ["bob", "alice"])
def test_scope_escapes_look_like_missing_things(
    api: Api, harbor: HarborEmulator, user: str
) -> None:
    api.as_user(user)
    own = "prod/b-api" if user == "bob" else "prod/a-web"
    other_space = space_id("alpha" if user == "bob" else "beta")
    assert (
        api.get(f"/api/picker/repositories?namespace={own}&space={other_space}").status_code == 404
    )
    assert api.get(f"/api/picker/repositories?namespace={own}&space=999999").status_code == 404
    repo = "alpha/web" if user == "bob" else "beta/api"
    assert (
        api.get(
            f"/api/picker/tags?namespace={own}&space={other_space}&repository={repo}"
        ).status_code
        == 404
    )
    foreign_ns = "prod/a-web" if user == "bob" else "prod/b-api"
    assert api.get(f"/api/picker/spaces?namespace={foreign_ns}").status_code == 404
    assert api.get("/api/picker/spaces?namespace=no/such").status_code == 404
    assert (
        api.get(
            f"/api/picker/tags?namespace={own}&space={space_id('library')}&repository=library/ghost"
        ).status_code
        == 404
    )


def test_viewer_browses_but_cannot_deploy(api: Api, harbor: HarborEmulator) -> None:
    context = api.as_user("vera").get("/api/picker/context?namespace=prod/a-web").get_json()
    assert context["can_deploy"] is False and "cannot deploy" in context["notice"]
    assert names(api.get("/api/picker/spaces?namespace=prod/a-web")) == ["alpha", "library"]
    assert (
        api.as_user("eddie")
        .get("/api/picker/context?namespace=prod/a-web")
        .get_json()["can_deploy"]
        is True
    )


def test_tags_are_cached_and_served_stale_when_the_registry_is_down(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    api.as_user("eddie")
    url = (
        f"/api/picker/tags?namespace=prod/a-web&space={space_id('library')}"
        "&repository=library/nginx"
    )
    assert len(api.get(url).get_json()["items"]) == 3
    calls = len(harbor.requests)
    assert len(api.get(url).get_json()["items"]) == 3
    assert len(harbor.requests) == calls  # served from the shared cache
    harbor.stop()
    app.config["MIRROR_CATALOGUE_TTL"] = 0
    stale = api.get(url).get_json()
    # A tenant learns that the registry failed, not how (a closed port, a timeout...).
    assert stale["stale"] is True and stale["error"] == disclosure.UNREACHABLE
    assert len(stale["items"]) == 3
    detail = api.as_user("root").get(url).get_json()
    assert detail["stale"] is True and "could not be reached" in detail["error"]
    api.as_user("eddie")
    context = api.get("/api/picker/context?namespace=prod/a-web").get_json()
    assert context["registries"][0]["age_seconds"] is not None
    harbor.start()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/picker/spaces", 400),
        ("/api/picker/spaces?namespace=prod/a-web&tab=secret", 400),
        ("/api/picker/spaces?namespace=prod/a-web&registry=x", 400),
        ("/api/picker/spaces?namespace=prod/a-web&page=0", 400),
        ("/api/picker/spaces?namespace=prod/a-web&per_page=1000", 400),
        ("/api/picker/tags?namespace=prod/a-web&space=abc&repository=x", 404),
        ("/api/picker/tags?namespace=prod/a-web", 404),
    ],
)
def test_bad_input(api: Api, harbor: HarborEmulator, path: str, status: int) -> None:
    response = api.as_user("eddie").get(path)
    assert response.status_code == status and response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Choose a namespace first (namespace=cluster/name)."),
        ("namespace=%20", "Choose a namespace first (namespace=cluster/name)."),
        ("namespace=prod/a-web&tab=secret", "'tab' must be public, private or workspace."),
        ("namespace=prod/a-web&registry=%C2%B2", "'registry' must be a registry id."),
        ("namespace=prod/a-web&page=%2B5", "'page' must be a whole number from 1 to 1000000."),
        ("namespace=prod/a-web&per_page=%205", "'per_page' must be a whole number from 1 to 100."),
    ],
)
def test_a_refused_query_says_which_parameter(
    api: Api, harbor: HarborEmulator, query: str, message: str
) -> None:
    """A query string is refused with 400 and one sentence (no per-field list: that is a
    body's 422), whatever else the request gets wrong."""
    answer = api.as_user("eddie").get(f"/api/picker/spaces?{query}")
    assert answer.status_code == 400
    assert answer.get_json() == {"error": {"status": 400, "message": message}}


def test_every_tab_of_the_catalogue_is_one_the_picker_accepts() -> None:
    """The query model names the tabs itself (models import no service): a tab added to
    the catalogue must be accepted, and documented, too."""
    assert picker_schemas.TABS == catalogue.TABS


def test_refresh_on_a_get_is_refused_before_its_parameters_are_read(
    api: Api, harbor: HarborEmulator
) -> None:
    api.as_user("eddie")
    for path in ("repositories", "tags"):
        answer = api.get(f"/api/picker/{path}?namespace=prod/a-web&page=0&refresh=1")
        assert answer.status_code == 405
        assert "send POST to this URL" in answer.get_json()["error"]["message"]


def test_a_refresh_takes_the_listings_query(api: Api, harbor: HarborEmulator) -> None:
    """The POST reads the GET's parameters: a refreshed space is paged like its listing."""
    api.as_user("eddie")
    url = f"/api/picker/repositories?namespace=prod/a-web&space={space_id('library')}"
    first = api.post(url + "&per_page=1&page=2").get_json()
    assert (first["page"], first["per_page"], first["total"]) == (2, 1, 2)
    assert [item["name"] for item in first["items"]] == ["library/team/tools/busybox"]
    assert api.post(url + "&per_page=0").status_code == 400
    assert api.post(url.replace(str(space_id("library")), "x")).status_code == 404


def test_faq_without_and_with_an_image(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    plain = api.get("/api/picker/faq?namespace=dev/sandbox").get_json()
    assert plain["checks"][0]["status"] == "fail"
    assert "not bound to any workspace" in plain["checks"][0]["answer"]
    host = api.get("/api/picker/context?namespace=prod/a-web").get_json()["registries"][0]["host"]
    image = api.get(f"/api/picker/faq?namespace=prod/a-web&image={host}/beta/api:3.1").get_json()
    assert image["decision"]["reason"] == "space_not_bound"


def test_docker_registry_tags_with_digests_sizes_and_platforms(
    app: Flask, api: Api, registry_open: Any
) -> None:
    single = registry_open.push("pickdock/app", "1.0", "1.1")
    multi = registry_open.push(
        "pickdock/multi", "2.0", platforms=[("linux", "amd64"), ("linux", "arm64")]
    )
    api.as_user("root")
    created = api.post(
        "/api/integrations", {"name": "dist", "kind": "docker", "url": registry_open.url}
    )
    assert created.status_code == 201, created.get_json()
    space = space_id("pickdock")
    api.as_user("eddie")
    tags = api.get(
        f"/api/picker/tags?namespace=prod/a-web&space={space}&repository=pickdock/app"
    ).get_json()
    assert {t["tag"]: t["digest"] for t in tags["items"]} == {
        "1.1": single,
        "1.0": tags["items"][1]["digest"],
    }
    assert all(t["size"] and t["size"] > 0 for t in tags["items"])
    index = api.get(
        f"/api/picker/tags?namespace=prod/a-web&space={space}&repository=pickdock/multi"
    ).get_json()["items"][0]
    assert index["digest"] == multi and index["index"] is True
    assert sorted(index["platforms"]) == ["linux/amd64", "linux/arm64"]


def test_refreshing_a_space_lists_new_repositories(
    app: Flask, api: Api, registry_open: Any
) -> None:
    fresh = f"fresh{uuid.uuid4().hex[:8]}"  # the registry is shared by the whole session
    registry_open.push(f"{fresh}/one", "1")
    api.as_user("root")
    api.post("/api/integrations", {"name": "dist", "kind": "docker", "url": registry_open.url})
    registry_open.push(f"{fresh}/two", "1")
    api.as_user("eddie")
    url = f"/api/picker/repositories?namespace=prod/a-web&space={space_id(fresh)}"
    assert names(api.get(url)) == [f"{fresh}/one"]
    assert names(api.post(url)) == [f"{fresh}/one", f"{fresh}/two"]


def test_refreshing_a_harbor_space_stores_what_a_sync_stores(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    harbor.add_repository("library", "redis", [{"tags": ["7"]}])
    api.as_user("eddie")
    url = f"/api/picker/repositories?namespace=prod/a-web&space={space_id('library')}"
    assert "library/redis" in names(api.post(url))

    def stored() -> list[tuple[str, int | None, Any]]:
        session().expire_all()
        return sorted(
            (r.name, r.artifact_count, r.updated_at)
            for r in session().query(Repository).filter_by(space_id=space_id("library"))
        )

    refreshed = stored()
    assert all(updated is not None for _, _, updated in refreshed)
    api.as_user("root")
    registry = session().query(Space).filter_by(name="library").one().integration_id
    assert api.post(f"/api/integrations/{registry}/sync?wait=true").status_code == 200
    assert stored() == refreshed


def refresh_url(space: str, namespace: str = "prod/a-web") -> str:
    return f"/api/picker/repositories?namespace={namespace}&space={space_id(space)}"


def finished(api: Api, job: dict[str, Any], query: str = "") -> dict[str, Any]:
    """Poll the job as the picker does, until it finished (a few seconds at most)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = api.get(f"/api/jobs/{job['id']}{query}")
        assert status.status_code == 200, status.get_json()
        if status.get_json()["status"] in ("succeeded", "failed"):
            return dict(status.get_json())
        time.sleep(0.05)
    raise AssertionError("the refresh job did not finish")


def test_a_refresh_within_the_bound_is_a_finished_job_of_its_member(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    harbor.add_repository("library", "redis", [{"tags": ["7"]}])
    api.as_user("eddie")
    answered = api.post(refresh_url("library"))
    assert answered.status_code == 200 and "library/redis" in names(answered)
    assert answered.get_json()["error"] is None
    job = session().query(Job).filter_by(kind="refresh").one()
    assert job.status == "succeeded" and job.actor == "eddie"
    assert job.space_id == space_id("library") and job.active_key is None
    shown = api.get(f"/api/jobs/{job.id}").get_json()
    assert shown["result"]["repositories"] == 3
    assert shown["result"]["summary"] == "Listed 3 repositories in library."


def test_a_registry_failure_during_a_refresh_shows_as_before(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    harbor.stop()
    try:
        tenant = api.as_user("eddie").post(refresh_url("library"))
        # The last synced list, and the failure as a tenant may see it.
        assert names(tenant) == ["library/nginx", "library/team/tools/busybox"]
        assert tenant.get_json()["error"] == disclosure.UNREACHABLE
        admin = api.as_user("root").post(refresh_url("library")).get_json()
        assert "could not be reached" in admin["error"]
    finally:
        harbor.start()


def test_a_slow_refresh_answers_202_and_the_job_finishes_the_list(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    harbor.add_repository("library", "redis", [{"tags": ["7"]}])
    app.config["MIRROR_REFRESH_WAIT"] = 0.2
    harbor.latency = 2.0
    api.as_user("eddie")
    started = time.monotonic()
    answered = api.post(refresh_url("library"))
    assert time.monotonic() - started < 1.5  # not the registry's time
    assert answered.status_code == 202, answered.get_json()
    job = answered.get_json()
    assert job["kind"] == "refresh" and job["status"] == "running"
    assert answered.headers["Location"] == job["status_url"] == f"/mirror/api/jobs/{job['id']}"
    # A second refresh of the space, by another member through her own namespace: one job.
    again = api.as_user("bob").post(refresh_url("library", "prod/b-api"))
    assert again.status_code == 202 and again.get_json()["id"] == job["id"]
    harbor.latency = 0.0
    done = finished(api.as_user("eddie"), job)
    assert done["status"] == "succeeded" and done["result"]["repositories"] == 3
    assert "library/redis" in names(api.get(refresh_url("library")))
    assert session().query(Job).filter_by(kind="refresh").count() == 1


def test_only_who_may_start_a_refresh_may_follow_it(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    app.config["MIRROR_REFRESH_WAIT"] = 0.0
    harbor.latency = 0.5
    job = api.as_user("eddie").post(refresh_url("alpha")).get_json()
    status = f"/api/jobs/{job['id']}"
    # Bob sees neither the private space alpha nor the platform's registry; naming a
    # namespace of his own, or one he may not use, changes nothing.
    for query in ("", "?namespace=prod/b-api", "?namespace=prod/a-web"):
        refused = api.as_user("bob").get(status + query)
        assert refused.status_code == 404 and refused.get_json()["error"]["message"]
    assert api.as_user("vera").get(status).status_code == 404  # not hers ...
    assert api.get(status + "?namespace=prod/a-web").status_code == 200  # ... but she may start it
    assert api.as_user("root").get(status).status_code == 200  # the registry's Admin
    assert finished(api.as_user("eddie"), job)["status"] == "succeeded"
