"""Image List (镜像列表): a workspace's images for its members, scoped exactly as Select Image
scopes a namespace of that workspace, with each tag's pull references."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import Repository
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api
from .factories import integration, session, space
from .test_picker_api import harbor, space_id

__all__ = ["harbor"]  # the fixture, imported for its use here


def listed(response: Any) -> list[str]:
    """The repositories the page lists, in order."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.findall(r'<tr data-image="([^"]+)"', response.get_data(as_text=True))


def picker_names(api: Api, namespace: str) -> list[str]:
    found = api.get(f"/api/picker/repositories?namespace={namespace}&per_page=100").get_json()
    return [item["name"] for item in found["items"]]


def test_members_see_what_the_picker_offers_their_namespaces(
    api: Api, harbor: HarborEmulator
) -> None:
    api.as_user("eddie")
    mine = listed(api.get("/workspaces/ws-a/images"))
    assert mine == ["alpha/web", "library/nginx", "library/team/tools/busybox"]
    assert mine == picker_names(api, "prod/a-web")
    api.as_user("bob")
    theirs = listed(api.get("/workspaces/ws-b/images"))
    assert theirs == ["beta/api", "library/nginx", "library/team/tools/busybox"]
    assert theirs == picker_names(api, "prod/b-api")


def test_tabs_and_search_narrow_the_list(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("vera")  # a viewer browses too
    assert listed(api.get("/workspaces/ws-a/images?tab=private")) == ["alpha/web"]
    assert listed(api.get("/workspaces/ws-a/images?tab=workspace")) == []
    assert listed(api.get("/workspaces/ws-a/images?q=NGINX")) == ["library/nginx"]
    page = api.get("/workspaces/ws-a/images?tab=public&q=zzz")
    assert listed(page) == [] and "No image matches “zzz”." in page.get_data(as_text=True)
    bad = api.get("/workspaces/ws-a/images?tab=everything")
    assert bad.status_code == 400 and "must be public, private or workspace" in bad.get_data(
        as_text=True
    )


def test_a_page_past_the_end_shows_the_last_page(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    first = listed(api.get("/workspaces/ws-a/images"))
    assert listed(api.get("/workspaces/ws-a/images?page=99")) == first  # one page of three
    assert listed(api.get("/workspaces/ws-a/images?q=zzz&page=5")) == []


def test_the_pager_walks_the_pages_and_keeps_the_search(
    api: Api, harbor: HarborEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mirror_plugin.web.pages import images

    monkeypatch.setattr(images, "PER_PAGE", 2)
    api.as_user("eddie")
    last = api.get("/workspaces/ws-a/images?q=a&page=99")  # three match: two pages of two
    html = last.get_data(as_text=True)
    assert listed(last) == ["library/team/tools/busybox"]
    assert "3 images · page 2 of 2" in html and ">Next</a>" not in html
    assert 'href="/mirror/workspaces/ws-a/images?q=a&amp;page=1">Previous</a>' in html
    first = api.get("/workspaces/ws-a/images?q=a").get_data(as_text=True)
    assert 'href="/mirror/workspaces/ws-a/images?q=a&amp;page=2">Next</a>' in first
    assert ">Previous</a>" not in first


def test_another_workspace_and_its_spaces_are_not_found(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    assert api.get("/workspaces/ws-b/images").status_code == 404
    assert api.get("/workspaces/ws-nope/images").status_code == 404
    beta = space_id("beta")  # bound to ws-b only: not in ws-a's list, whoever asks
    assert api.get(f"/workspaces/ws-a/images/{beta}/tags?repository=beta/api").status_code == 404
    api.as_user("root")
    assert api.get(f"/workspaces/ws-a/images/{beta}/tags?repository=beta/api").status_code == 404
    assert "beta/api" not in listed(api.get("/workspaces/ws-a/images"))
    api.as_user(None)
    assert api.get("/workspaces/ws-a/images").status_code == 401


def test_tags_page_offers_references_by_tag_and_by_digest(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    library = space_id("library")
    page = api.get(f"/workspaces/ws-a/images/{library}/tags?repository=library/nginx")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    copies = re.findall(r'data-mirror-copy="([^"]+)"', html)
    host = copies[0].split("/", 1)[0]
    assert f"{host}/library/nginx:1.27" in copies and f"{host}/library/nginx:1.25" in copies
    digests = [c for c in copies if "@sha256:" in c]
    assert len(digests) == 3  # one per tag: 1.27 and latest share an artifact
    tags = api.get(
        f"/api/picker/tags?namespace=prod/a-web&space={library}&repository=library/nginx"
    )
    pinned = {item["reference_digest"] for item in tags.get_json()["items"]}
    assert set(digests) == pinned
    untagged = api.get(
        f"/workspaces/ws-a/images/{library}/tags?repository=library/team/tools/busybox"
    ).get_data(as_text=True)
    assert "untagged" in untagged
    assert re.findall(r'data-mirror-copy="([^"]+)"', untagged)[0].count("@sha256:") == 1
    missing = api.get(f"/workspaces/ws-a/images/{library}/tags?repository=library/nope")
    assert missing.status_code == 404


def test_a_workspace_warehouse_is_listed_for_its_own_workspace_only(app: Flask, api: Api) -> None:
    with app.app_context():
        own = integration("beta-own", "http://127.0.0.1:9", kind="docker", workspace_id="ws-b")
        session().add(Repository(space=space(own, "team"), name="team/worker"))
        session().commit()
    api.as_user("bob")
    assert listed(api.get("/workspaces/ws-b/images?tab=workspace")) == ["team/worker"]
    api.as_user("alice")
    assert listed(api.get("/workspaces/ws-a/images")) == []
    page = api.get("/workspaces/ws-a/images").get_data(as_text=True)
    assert "No image is available to Team A here yet." in page


def test_the_navigation_links_each_members_image_list(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    page = api.get("/").get_data(as_text=True)
    assert 'href="/mirror/workspaces/ws-a/images"' in page
    assert "/mirror/workspaces/ws-b/images" not in page


@pytest.mark.parametrize("size, shown", [(None, "–"), (512, "512 B"), (1536, "1.5 KiB")])
def test_sizes_read_like_the_pickers(size: Any, shown: str) -> None:
    from mirror_plugin.web.pages.images import human_size

    assert human_size(size) == shown


def test_a_registry_that_fails_is_said_so_not_a_500(api: Api, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    alpha = space_id("alpha")
    harbor.fail_next(503, times=10)
    page = api.get(f"/workspaces/ws-a/images/{alpha}/tags?repository=alpha/web")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The registry did not answer" in html and "No tags are known" in html
