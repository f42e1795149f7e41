"""A real Chromium: the picker's Refresh is a POST carrying the CSRF token, and it works."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .test_browser_picker import picker, row

pytestmark = pytest.mark.browser


def test_refresh_asks_the_registry_with_a_csrf_protected_post(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page("eddie")
    dialog = picker(page, "cluster-1/alpha-web")
    dialog.get_by_role("tab", name="Public").click()
    row(dialog, "library").click()
    row(dialog, "library/nginx").click()
    expect(dialog.locator("li[data-tag]")).to_have_count(3)

    def refresh(response: Any) -> bool:
        return "/api/picker/tags?" in response.url and response.request.method == "POST"

    with page.expect_response(refresh) as answered:
        dialog.get_by_role("button", name="Refresh").click()
    response = answered.value
    assert response.status == 200, response.text()
    assert "refresh=" not in response.url
    assert response.request.headers.get("x-mirror-csrf")
    expect(dialog.locator("li[data-tag]")).to_have_count(3)


def test_a_slow_repository_refresh_shows_refreshing_then_the_list(open_page: Any) -> None:
    """Past the server's wait the POST answers 202 with the refresh job (stood in for here: a
    test cannot make the demo's registry slow); the picker says it is refreshing, polls the
    job through its status URL with the namespace, and loads the list again once it ends."""
    from playwright.sync_api import expect

    page = open_page("eddie")
    polls: list[str] = []

    def slow_refresh(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        api = route.request.url.split("/picker/repositories")[0]
        status_url = api.split("://", 1)[1].split("/", 1)[1]
        job = {
            "id": 424242,
            "kind": "refresh",
            "status": "running",
            "status_url": f"/{status_url}/jobs/424242",
        }
        route.fulfill(status=202, json=job, headers={"Location": job["status_url"]})

    def job_status(route: Any) -> None:
        polls.append(route.request.url)
        status = "running" if len(polls) < 2 else "succeeded"
        route.fulfill(json={"id": 424242, "kind": "refresh", "status": status, "error": None})

    page.route(re.compile(r"/api/picker/repositories\?"), slow_refresh)
    page.route(re.compile(r"/api/jobs/424242"), job_status)
    dialog = picker(page, "cluster-1/alpha-web")
    dialog.get_by_role("tab", name="Public").click()
    row(dialog, "library").click()
    expect(row(dialog, "library/nginx")).to_be_visible()

    dialog.get_by_role("button", name="Refresh").click()
    refreshing = dialog.locator("[data-refreshing]")
    expect(refreshing).to_contain_text("Refreshing the repositories of library")
    expect(row(dialog, "library/nginx")).to_be_visible()  # the list stays usable meanwhile
    dialog.get_by_role("button", name="Refresh").click()  # again: the same job, one poll
    expect(refreshing).to_contain_text("Refreshing the repositories of library")
    with page.expect_response(lambda r: "/api/picker/repositories?" in r.url) as reloaded:
        expect(refreshing).to_have_count(0, timeout=10_000)
    assert reloaded.value.request.method == "GET" and reloaded.value.status == 200
    page.wait_for_timeout(1500)  # longer than a poll interval: a second poller would show
    assert len(polls) == 2 and all("namespace=cluster-1%2Falpha-web" in url for url in polls)
    expect(row(dialog, "library/nginx")).to_be_visible()
