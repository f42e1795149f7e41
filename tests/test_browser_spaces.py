"""A real Chromium in the demo console: the platform Admin binds a space through the dialog."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import require_tool

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, Any]]:
    require_tool(
        shutil.which(CHROMIUM) is not None or shutil.which("chromium") is not None,
        "Chromium (apt install chromium)",
    )
    require_tool(importlib.util.find_spec("playwright") is not None, "playwright (pip)")
    from demo.screenshots import serve_demo

    with serve_demo() as served:
        yield served


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from demo.screenshots import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in(chromium: Any, base_url: str, username: str) -> Any:
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/workloads")
    return page


def check(page: Any, base_url: str, namespace: str, image: str) -> dict[str, Any]:
    response = page.request.get(
        f"{base_url}/mirror/api/check", params={"namespace": namespace, "image": image}
    )
    assert response.ok, response.text()
    return response.json()  # type: ignore[no-any-return]


def test_admin_binds_and_unbinds_through_the_dialog(demo: tuple[str, Any], chromium: Any) -> None:
    from playwright.sync_api import expect

    base_url, sandbox = demo
    image = f"{sandbox.harbor_host}/alpha-tools/lint:0.9"
    bob = signed_in(chromium, base_url, "bob")
    assert check(bob, base_url, "cluster-1/beta-api", image)["reason"] == "space_not_bound"

    admin = signed_in(chromium, base_url, "admin")
    admin.get_by_role("link", name="Mirror Warehouse").first.click()
    admin.get_by_role("link", name="Warehouse Integration").click()
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("link", name="Warehouse Space").click()
    admin.get_by_role("link", name="Private", exact=True).click()
    row = admin.locator("tr[data-space-name='alpha-tools']")
    expect(row.locator("[data-workspaces]")).to_have_text("No binding")

    row.get_by_role("link", name="Bind Workspace").click()
    dialog = admin.locator("#mirror-bind-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Search workspaces").fill("team")
    dialog.get_by_label("Team Beta").check()
    dialog.get_by_label("Team Gamma").check()
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".mirror-chip")).to_have_text(["Team Beta", "Team Gamma"])
    expect(admin.locator(".mirror-flash--success")).to_contain_text(
        "Bound alpha-tools to Team Beta, Team Gamma."
    )
    assert check(bob, base_url, "cluster-1/beta-api", image)["allowed"] is True

    row.get_by_role("link", name="Bind Workspace").click()
    expect(dialog.get_by_label("Team Beta")).to_be_checked()
    dialog.get_by_label("Team Beta").uncheck()
    dialog.get_by_role("button", name="OK").click()
    expect(row.locator(".mirror-chip")).to_have_text(["Team Gamma"])
    expect(admin.locator(".mirror-flash--success").last).to_contain_text(
        "Unbound alpha-tools from Team Beta."
    )

    decision = check(bob, base_url, "cluster-1/beta-api", image)
    assert decision["allowed"] is False and decision["reason"] == "space_not_bound"
    admin.reload()
    expect(admin.locator("tr[data-space-name='alpha-tools'] .mirror-chip")).to_have_text(
        ["Team Gamma"]
    )
