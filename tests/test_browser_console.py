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
    admin.get_by_role("button", name="Test connection").click()
    expect(admin.get_by_text("Connected as", exact=False)).to_have_count(1)


def test_refresh_spaces_shows_the_job_until_its_result(open_page: Any) -> None:
    """The sync runs as a job: its page answers at once and reloads itself (no script) until
    the runner in the demo's worker has done it, then shows the result and stops."""
    from playwright.sync_api import expect

    admin = open_page("admin", "/mirror/integrations/")
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("button", name="Refresh spaces").click()
    expect(admin).to_have_url(re.compile(r"/mirror/integrations/\d+/jobs/\d+$"))
    expect(admin.get_by_role("heading", name="Sync of harbor-sandbox")).to_be_visible()
    job = admin.locator("#mirror-job")
    expect(job).to_have_attribute("data-status", "succeeded", timeout=15000)
    expect(admin.get_by_text(re.compile(r"^Synced: \d+ spaces?: "))).to_have_count(1)
    expect(job).to_contain_text("Done")
    assert admin.locator('meta[http-equiv="refresh"]').count() == 0
    admin.get_by_role("link", name="Back to harbor-sandbox").click()
    expect(admin.get_by_role("button", name="Refresh spaces")).to_be_visible()


def test_detail_page_keeps_every_text_inside_its_card(
    demo: tuple[str, Any], open_page: Any
) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    admin = open_page("admin", "/mirror/integrations/")
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("button", name="Refresh spaces").click()
    job = admin.locator("#mirror-job")
    expect(job).to_have_attribute("data-status", "succeeded", timeout=15000)
    admin.get_by_role("link", name="Back to harbor-sandbox").click()
    sandbox.harbor.fail_next(503, times=20)  # every retry of the test meets a down Harbor
    try:
        admin.get_by_role("button", name="Test connection").click()
    finally:
        sandbox.harbor.clear_faults()
    expect(admin.locator(".mirror-stats .mirror-label--unhealthy")).to_be_visible()
    inside(admin, ".mirror-stats dd, .mirror-stats .mirror-error-detail", ".mirror-stats > div")
    last_sync = admin.locator(".mirror-stats div", has_text="Last sync").locator("dd")
    # The whole date, time and how long ago, as the locale writes them (en-US here).
    expect(last_sync).to_have_text(
        re.compile(
            r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d UTC "
            r"\(\d+ (second|minute)s? ago\)\s*$"
        )
    )


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


def test_make_public_asks_first_naming_the_bound_workspaces(open_page: Any) -> None:
    from playwright.sync_api import expect

    admin = open_page("admin", "/mirror/")
    open_spaces(admin, "Private")
    admin.locator("tr[data-space-name='shared-tools']").get_by_role(
        "link", name="Make public"
    ).click()
    expect(admin.get_by_role("heading", name="Make shared-tools public?")).to_be_visible()
    expect(admin.locator(".mirror-bound-list li")).to_have_text(["Team Alpha", "Team Beta"])
    admin.get_by_role("link", name="Cancel").click()
    row = admin.locator("tr[data-space-name='shared-tools']")
    expect(row.locator(".mirror-label")).to_have_text("Private")  # nothing changed

    row.get_by_role("link", name="Make public").click()
    admin.get_by_role("button", name="Make shared-tools public").click()
    expect(admin.get_by_text("shared-tools is now public.")).to_be_visible()
    admin.get_by_role("link", name="Public", exact=True).click()
    row = admin.locator("tr[data-space-name='shared-tools']")
    row.get_by_role("button", name="Make private").click()  # narrowing needs no question
    expect(admin.get_by_text("shared-tools is now private.")).to_be_visible()


def connect_robot_warehouse(alice: Any, harbor_url: str) -> None:
    """Alice connects the sandbox's robot account as Team Alpha's warehouse (once)."""
    from demo.sandbox import ROBOT

    alice.goto(alice.url.split("/mirror", 1)[0] + "/mirror/workspaces/alpha/warehouses/")
    if alice.get_by_role("link", name="alpha-robot").count():
        return
    alice.get_by_role("link", name="Add registry").click()
    alice.get_by_label("Name", exact=True).fill("alpha-robot")
    alice.get_by_label("URL", exact=True).fill(harbor_url)
    alice.get_by_label("User name").fill(ROBOT[0])
    alice.get_by_label("Password", exact=True).fill(ROBOT[1])
    alice.get_by_role("button", name="Save").click()
    alice.get_by_role("heading", name="alpha-robot").wait_for()


def test_a_space_opened_by_a_workspace_warehouse_says_so(
    demo: tuple[str, Any], open_page: Any
) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    connect_robot_warehouse(open_page("alice", "/mirror/"), sandbox.harbor_url)
    admin = open_page("admin", "/mirror/")
    open_spaces(admin, "Private")
    tools = admin.locator("tr[data-space-name='alpha-tools']")
    expect(tools.locator(".mirror-chip--via")).to_have_text("via Team Alpha's warehouse")
    expect(tools).not_to_contain_text("No binding")
    beta = admin.locator("tr[data-space-name='beta-private']")
    expect(beta.locator(".mirror-chip--via")).to_have_count(0)  # robot$alpha cannot read it


def test_workspace_members_see_the_spaces_their_warehouse_found(
    demo: tuple[str, Any], open_page: Any
) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    connect_robot_warehouse(open_page("alice", "/mirror/"), sandbox.harbor_url)
    vera = open_page("vera", "/mirror/")
    vera.get_by_role("link", name="Team Alpha warehouses").click()
    vera.get_by_role("link", name="alpha-robot").click()
    vera.get_by_role("link", name="Warehouse Space").click()
    expect(vera.get_by_role("heading", name="Spaces of alpha-robot")).to_be_visible()
    names = vera.locator("tbody tr td:first-child")
    expect(names).to_contain_text(["alpha-private", "alpha-tools"])
    expect(vera.locator("tbody")).not_to_contain_text("beta-private")
    vera.get_by_label("Search spaces").fill("tools")
    vera.get_by_role("button", name="Search").click()
    expect(names).to_have_text(["alpha-tools"])


def test_a_member_chooses_among_her_namespaces_and_sees_her_totals(open_page: Any) -> None:
    from playwright.sync_api import expect

    eddie = open_page("eddie", "/mirror/")
    # Overview: harbor-sandbox counts library (public), alpha-private and shared-tools (bound
    # to Team Alpha), never beta-private nor the unbound alpha-tools.
    row = eddie.locator("tr", has_text="harbor-sandbox")
    expect(row.locator("td.num").first).to_have_text("3")
    eddie.get_by_role("link", name="Can't find your image?").click()
    choice = eddie.get_by_label("Namespace")
    options = choice.locator("option:not([value=''])")
    expect(options).to_have_text(["cluster-1/alpha-jobs", "cluster-1/alpha-web"])
    choice.select_option("cluster-1/alpha-web")
    eddie.get_by_label("Image").fill("nginx:1.25")
    eddie.get_by_role("button", name="Check").click()
    expect(eddie.locator("[data-reason]")).to_be_visible()
    expect(eddie.get_by_label("Namespace")).to_have_value("cluster-1/alpha-web")


def test_batch_binding_uses_a_searchable_checklist_and_public_spaces_need_none(
    open_page: Any,
) -> None:
    from playwright.sync_api import expect

    admin = open_page("admin", "/mirror/")
    open_spaces(admin)
    library = admin.locator("tr[data-space-name='library']")
    expect(library.get_by_role("link", name="Bind Workspace")).to_have_count(0)
    expect(library).to_contain_text("Public: every workspace may use it")
    expect(library.locator("[data-workspaces]")).to_have_text("Every workspace")

    batch = admin.get_by_role("group", name="Batch: the selected spaces")
    boxes = batch.locator("#batch-workspaces label")
    expect(boxes.filter(visible=True)).to_have_count(3)
    batch.get_by_label("Search workspaces").fill("gam")
    expect(boxes.filter(visible=True)).to_have_text(["Team Gamma"])
    batch.get_by_label("Team Gamma").check()
    admin.get_by_label("Select beta-private").check()
    batch.get_by_role("button", name="Bind to workspaces").click()
    expect(admin.get_by_text("Bound beta-private to Team Gamma.")).to_be_visible()
    row = admin.locator("tr[data-space-name='beta-private']")
    expect(row.locator("[data-workspace-id='gamma']")).to_have_text("Team Gamma")


def test_layout_rough_edges(demo: tuple[str, Any], chromium: Any, open_page: Any) -> None:
    from playwright.sync_api import expect

    from tests.test_browser_picker import picker, row

    base_url, _ = demo
    # The login error stays inside the sign-in card.
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        login = context.new_page()
        missing: list[str] = []
        login.on("console", lambda m: "404" in m.text and missing.append(m.text))
        login.goto(f"{base_url}/login")
        login.fill("input[name=username]", "admin")
        login.fill("input[name=password]", "wrong")
        login.click("button[type=submit]")
        expect(login.locator(".card--login .alert--error")).to_be_visible()
        inside(login, ".card--login .alert--error", ".card--login")
        assert missing == []  # no favicon 404
    finally:
        context.close()

    admin = open_page("admin", "/mirror/audit")
    admin.set_viewport_size({"width": 1280, "height": 420})
    sidebar, page_height = admin.evaluate(
        "[document.querySelector('.sidebar').getBoundingClientRect().height,"
        " document.documentElement.scrollHeight]"
    )
    assert page_height > 420 and sidebar >= page_height - 1
    admin.goto(f"{base_url}/mirror/integrations/?q=no-such-registry")
    aligns = admin.eval_on_selector_all(
        ".mirror-table th", "ths => ths.map(th => getComputedStyle(th).textAlign)"
    )
    assert set(aligns) == {"left"}

    # The picker's footer does not repeat an empty tab's sentence; a viewer browses, and the
    # choices are there but disabled.
    bob = open_page("bob")  # Team Beta has no warehouse of its own
    dialog = picker(bob)
    dialog.get_by_role("tab", name="Workspace warehouses").click()
    empty = dialog.locator(".mirror-picker__empty-state")
    expect(empty).to_be_visible()
    box = dialog.locator(".mirror-picker__foot [role=status]").bounding_box()
    assert box is not None and box["width"] <= 1  # still said to screen readers, not shown
    vera = open_page("vera")
    vera.set_viewport_size({"width": 700, "height": 900})  # a narrow window: crumbs wrap
    dialog = picker(vera)
    dialog.get_by_role("tab", name="Public").click()
    row(dialog, "library").click()
    row(dialog, "library/team/tools/busybox").click()
    use = dialog.get_by_role("button", name="Use tag")
    expect(use.first).to_be_disabled()
    expect(dialog.get_by_role("button", name="Use digest").first).to_be_disabled()
    crumbs = dialog.locator(".mirror-picker__where .mirror-picker__crumbs").bounding_box()
    details = dialog.locator(".mirror-picker__where .mirror-picker__registry").bounding_box()
    assert crumbs and details
    apart = (
        crumbs["x"] + crumbs["width"] <= details["x"] + 0.5
        or crumbs["y"] + crumbs["height"] <= details["y"] + 0.5
    )
    assert apart, (crumbs, details)
