"""A real Chromium in the demo console: the platform Admin binds a space through the dialog."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def check(page: Any, base_url: str, namespace: str, image: str) -> dict[str, Any]:
    response = page.request.get(
        f"{base_url}/mirror/api/check", params={"namespace": namespace, "image": image}
    )
    assert response.ok, response.text()
    return response.json()  # type: ignore[no-any-return]


def test_admin_binds_and_unbinds_through_the_dialog(demo: tuple[str, Any], open_page: Any) -> None:
    from playwright.sync_api import expect

    base_url, sandbox = demo
    image = f"{sandbox.harbor_host}/alpha-tools/lint:0.9"
    bob = open_page("bob", "/workloads")
    assert check(bob, base_url, "cluster-1/beta-api", image)["reason"] == "space_not_bound"

    admin = open_page("admin", "/workloads")
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
