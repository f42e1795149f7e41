"""The console as a new user meets it, in a real Chromium: what people see, not the markup.

Each test is one rough edge of issue #15 that a browser shows and a template test cannot: a
filtered list's visible rows, a text's box inside its card, an error inside the console layout.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def inside(page: Any, inner: str, outer: str) -> None:
    """Every element matching ``inner`` lies within the box of its closest ``outer`` ancestor
    and shows its whole text (nothing clipped by an overflow or cut by the card's edge)."""
    problems = page.eval_on_selector_all(
        inner,
        """(elements, outer) => elements.flatMap((el) => {
            const card = el.closest(outer);
            if (!card) return [`${el.textContent.trim()}: no ${outer} around it`];
            const a = el.getBoundingClientRect(), b = card.getBoundingClientRect();
            const out = a.left < b.left - 0.5 || a.right > b.right + 0.5
                || a.top < b.top - 0.5 || a.bottom > b.bottom + 0.5;
            const clipped = el.scrollWidth > el.clientWidth + 1;
            const where = `${JSON.stringify(a)} in ${JSON.stringify(b)}`;
            return out || clipped ? [`${el.textContent.trim()}: ${where}`] : [];
        })""",
        outer,
    )
    assert problems == []


def open_spaces(admin: Any, tab: str = "All") -> None:
    admin.get_by_role("link", name="Warehouse Integration").click()
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("link", name="Warehouse Space").first.click()
    if tab != "All":
        admin.get_by_role("link", name=tab, exact=True).click()


def test_bind_dialog_search_hides_the_workspaces_that_do_not_match(open_page: Any) -> None:
    from playwright.sync_api import expect

    admin = open_page("admin", "/mirror/")
    open_spaces(admin, "Private")
    admin.locator("tr[data-space-name='alpha-tools']").get_by_role(
        "link", name="Bind Workspace"
    ).click()
    dialog = admin.locator("#mirror-bind-dialog")
    labels = dialog.locator("[data-dialog-list] label")
    expect(labels.filter(visible=True)).to_have_count(3)
    dialog.get_by_label("Search workspaces").fill("beta")
    expect(labels.filter(visible=True)).to_have_text(["Team Beta"])
    dialog.get_by_label("Search workspaces").fill("")
    expect(labels.filter(visible=True)).to_have_count(3)


def test_errors_are_pages_of_the_console_with_the_right_words(
    demo: tuple[str, Any], open_page: Any
) -> None:
    from playwright.sync_api import expect

    base_url, _ = demo
    eddie = open_page("eddie", "/mirror/")
    cases = [
        ("/mirror/audit", 403, "The audit log is the platform Admin's page"),
        ("/mirror/integrations/", 403, "Warehouse Integration is the platform Admin's page"),
        ("/mirror/workspaces/beta/warehouses/", 404, "No such registry here."),
        ("/mirror/explain?namespace=cluster-1/alpha-wbe&image=nginx", 404, "no namespace"),
        ("/mirror/no-such-page", 404, "no such page"),
    ]
    for path, status, words in cases:
        response = eddie.goto(base_url + path)
        assert response is not None and response.status == status, path
        # Inside the console: its sidebar, the plugin's tabs, the sentence and a way back.
        expect(eddie.get_by_role("navigation", name="Main")).to_be_visible()
        expect(eddie.get_by_role("navigation", name="Mirror Warehouse")).to_be_visible()
        expect(eddie.get_by_role("alert")).to_contain_text(words, ignore_case=True)
        expect(eddie.get_by_role("link", name="Mirror Warehouse overview")).to_be_visible()
        assert "manages Warehouse Integration" not in eddie.content()
    eddie.goto(base_url + "/mirror/audit", referer=base_url + "/mirror/")
    eddie.get_by_role("link", name="Back to the previous page").click()
    expect(eddie).to_have_url(base_url + "/mirror/")

    # The JSON API answers exactly as before.
    api = eddie.request.get(base_url + "/mirror/api/integrations")
    assert api.status == 403
    assert api.json()["error"]["status"] == 403
    missing = eddie.request.get(base_url + "/mirror/api/no-such-thing")
    assert missing.status == 404 and missing.json()["error"]["message"] == "No such API endpoint."


def test_a_flash_message_shows_once(open_page: Any) -> None:
    from playwright.sync_api import expect

    admin = open_page("admin", "/mirror/integrations/")
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("button", name="Refresh spaces").click()
    expect(admin.get_by_text("Synced", exact=False)).to_have_count(1)


def test_detail_page_keeps_every_text_inside_its_card(
    demo: tuple[str, Any], open_page: Any
) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    admin = open_page("admin", "/mirror/integrations/")
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("button", name="Refresh spaces").click()
    sandbox.harbor.fail_next(503, times=20)  # every retry of the test meets a down Harbor
    try:
        admin.get_by_role("button", name="Test connection").click()
    finally:
        sandbox.harbor.clear_faults()
    expect(admin.locator(".mirror-stats .mirror-label--unhealthy")).to_be_visible()
    inside(admin, ".mirror-stats dd, .mirror-stats .mirror-error-detail", ".mirror-stats > div")
    last_sync = admin.locator(".mirror-stats div", has_text="Last sync").locator("dd")
    expect(last_sync).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))


def test_test_connection_keeps_the_password_for_save(demo: tuple[str, Any], open_page: Any) -> None:
    from playwright.sync_api import expect

    from demo.sandbox import ROBOT

    _, sandbox = demo
    alice = open_page("alice", "/mirror/workspaces/alpha/warehouses/new")
    alice.get_by_label("Name", exact=True).fill("alpha-robot")
    alice.get_by_label("URL", exact=True).fill(sandbox.harbor_url)
    alice.get_by_label("User name").fill(ROBOT[0])
    alice.get_by_label("Password", exact=True).fill("not-the-secret")
    alice.get_by_role("button", name="Test connection").click()
    verdict = alice.locator("[data-mirror-report]")
    expect(verdict.locator("strong")).to_have_text("Connection failed")
    # The verdict's word on one line, however long the explanation beside it.
    height, line = verdict.locator("strong").evaluate(
        "el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).lineHeight)]"
    )
    assert height < line * 1.5
    expect(alice.get_by_label("Password", exact=True)).to_have_value("not-the-secret")

    alice.get_by_label("Password", exact=True).fill(ROBOT[1])
    alice.get_by_role("button", name="Test connection").click()
    expect(verdict.locator("strong")).to_have_text("Connection works")
    expect(alice.get_by_label("Password", exact=True)).to_have_value(ROBOT[1])
    expect(alice.get_by_role("button", name="Test connection")).to_be_focused()
    assert ROBOT[1] not in alice.content()  # kept by the page's input, never sent back
    alice.get_by_role("button", name="Save").click()
    expect(alice.get_by_role("heading", name="alpha-robot")).to_be_visible()
    expect(alice.locator(".mirror-stats")).to_contain_text("robot$alpha")
