"""A real Chromium in the demo's Deploy form: the Select Image picker, as members use it.

The demo runs with its registry sandbox (a Harbor emulator); every request the picker makes goes
to the real plugin endpoints, except where a test says it rewrites an answer to show a registry
that is down (the sandbox's own Harbor never is).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

DIGEST = r"@sha256:[0-9a-f]{64}"

#: Records the input and change events that reach the document (so: they bubble) from #image.
LISTEN = """() => {
  window.pickerEvents = [];
  const input = document.getElementById("image");
  for (const type of ["input", "change"]) {
    document.addEventListener(type, (event) => {
      if (event.target === input) window.pickerEvents.push(type + ":" + input.value);
    });
  }
}"""


def picker(page: Any, namespace: str | None = None, words: dict[str, str] | None = None) -> Any:
    """Choose ``namespace`` in the form, click Select Image, wait for the tabs."""
    from playwright.sync_api import expect

    select_image = (words or ENGLISH)["Select Image"]
    if namespace is not None:
        page.select_option("#namespace", namespace)
    page.get_by_role("button", name=select_image).click()
    dialog = page.get_by_role("dialog", name=select_image)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("tablist")).to_be_visible()
    return dialog


def row(dialog: Any, name: str) -> Any:
    return dialog.locator(f"li[data-row='{name}'] button")


#: What the mission reads and clicks, in each language the console speaks.
ENGLISH = {
    "Select Image": "Select Image",
    "subtitle": "Namespace cluster-1/alpha-web · Workspace Team Alpha",
    "Private": "Private",
    "Public": "Public",
    "pushed": "pushed",
    "2 tags": "2 tags in alpha-private/web.",
    "Use tag": "Use tag",
    "Use digest": "Use digest",
    "in the form": "in the form",
    "Deploy": "Deploy",
    "accepted": "accepted",
}
CHINESE = {
    "Select Image": "选择镜像",
    "subtitle": "命名空间 cluster-1/alpha-web · 工作空间 Team Alpha",
    "Private": "私有",
    "Public": "公开",
    "pushed": "推送于",
    "2 tags": "alpha-private/web 有 2 个标签。",
    "Use tag": "使用标签",
    "Use digest": "使用摘要",
    "in the form": "已在表单中",
    "Deploy": "部署",
    "accepted": "已接受",
}


@pytest.mark.parametrize(
    ("locale", "words"), [("en-US", ENGLISH), ("zh-CN", CHINESE)], ids=["en", "zh_Hans"]
)
def test_editor_picks_a_bound_private_tag_then_a_pinned_public_digest_and_deploys(
    demo: tuple[str, Any], open_page: Any, locale: str, words: dict[str, str]
) -> None:
    """The mission, once in each language: the browser's Accept-Language decides."""
    from playwright.sync_api import expect

    _, sandbox = demo
    host = sandbox.harbor_host
    page = open_page("eddie", locale=locale)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if words is CHINESE else "en")
    page.evaluate(LISTEN)
    dialog = picker(page, "cluster-1/alpha-web", words)
    expect(dialog).to_contain_text(words["subtitle"])

    dialog.get_by_role("tab", name=words["Private"]).click()
    expect(dialog.get_by_role("tab", name=words["Private"])).to_have_attribute(
        "aria-selected", "true"
    )
    row(dialog, "alpha-private").click()
    row(dialog, "alpha-private/web").click()
    tag = dialog.locator("li[data-tag='1.0']")
    expect(tag).to_contain_text("sha256:")
    expect(tag.locator(".mirror-picker__digest")).to_have_attribute("title", re.compile("^sha256:"))
    expect(tag).to_contain_text("KiB")
    expect(tag).to_contain_text(words["pushed"])
    expect(dialog.get_by_role("status")).to_have_text(words["2 tags"])
    tag.get_by_role("button", name=words["Use tag"]).click()

    expect(dialog).to_be_hidden()
    chosen = f"{host}/alpha-private/web:1.0"
    expect(page.locator("#image")).to_have_value(chosen)
    assert page.evaluate("window.pickerEvents") == [f"input:{chosen}", f"change:{chosen}"]
    expect(page.get_by_role("button", name=words["Select Image"])).to_be_focused()

    # Again: the dialog remembers where it was, and marks what the form holds.
    page.get_by_role("button", name=words["Select Image"]).click()
    expect(dialog.locator("li[data-tag='1.0']")).to_contain_text(words["in the form"])
    dialog.get_by_role("tab", name=words["Public"]).click()
    row(dialog, "library").click()
    row(dialog, "library/nginx").click()
    expect(dialog.locator("li[data-tag]")).to_have_count(3)  # 1.27, latest, 1.25
    dialog.locator("li[data-tag='1.25']").get_by_role("button", name=words["Use digest"]).click()
    expect(dialog).to_be_hidden()
    value = page.input_value("#image")
    assert re.fullmatch(re.escape(f"{host}/library/nginx") + DIGEST, value), value

    page.fill("#name", "web")
    page.get_by_role("button", name=words["Deploy"], exact=True).click()
    expect(page.locator(".alert--success")).to_contain_text(words["accepted"])
    expect(page.locator(".alert--success")).to_contain_text(value)


def test_breadcrumb_filter_and_search_across_spaces(demo: tuple[str, Any], open_page: Any) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    page = open_page("eddie")
    dialog = picker(page, "cluster-1/alpha-web")
    dialog.get_by_role("tab", name="Private").click()
    row(dialog, "alpha-private").click()
    crumbs = dialog.get_by_role("navigation", name="Location")
    expect(crumbs).to_contain_text("harbor-sandbox")
    expect(crumbs).to_contain_text("alpha-private")
    dialog.get_by_placeholder("Filter repositories in alpha-private").fill("work")
    expect(dialog.locator("li[data-row]")).to_have_count(1)
    expect(row(dialog, "alpha-private/jobs/worker")).to_be_visible()
    crumbs.get_by_role("button", name="harbor-sandbox").click()
    expect(dialog.locator("li[data-row]")).to_have_count(2)  # alpha-private, shared-tools

    dialog.get_by_label("Search all images").fill("runner")
    group = dialog.locator("[data-group='private']")
    expect(group.locator("li[data-row]")).to_have_count(1)
    expect(dialog.locator("[data-group='public']")).to_contain_text("No match.")
    expect(dialog.get_by_role("tablist")).to_be_hidden()
    group.locator("li[data-row='shared-tools/ci/runner'] button").click()
    # A search result opens where it lives: the Private tab, with its breadcrumb.
    expect(dialog.get_by_role("tab", name="Private")).to_have_attribute("aria-selected", "true")
    expect(crumbs).to_contain_text("shared-tools")
    dialog.locator("li[data-tag='1.0']").get_by_role("button", name="Use tag").click()
    expect(page.locator("#image")).to_have_value(
        f"{sandbox.harbor_host}/shared-tools/ci/runner:1.0"
    )


def test_another_workspace_never_sees_alpha_private(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page("bob")
    dialog = picker(page, "cluster-1/beta-api")
    expect(dialog).to_contain_text("Workspace Team Beta")
    dialog.get_by_role("tab", name="Private").click()
    expect(dialog.locator("li[data-row]")).to_have_count(2)
    expect(row(dialog, "beta-private")).to_be_visible()
    expect(row(dialog, "shared-tools")).to_be_visible()
    expect(row(dialog, "alpha-private")).to_have_count(0)
    dialog.get_by_label("Search all images").fill("alpha")
    expect(dialog.get_by_role("status")).to_have_text("0 images matching “alpha”.")
    expect(dialog.locator("li[data-row]")).to_have_count(0)


def test_namespace_in_no_workspace_shows_only_public_and_says_why(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page("eddie")
    dialog = picker(page, "cluster-1/alpha-web")
    expect(dialog.get_by_role("tab", name="Private")).to_contain_text("2")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The picker follows the form: another namespace, another context.
    dialog = picker(page, "cluster-1/sandbox")
    expect(dialog).to_contain_text("Namespace cluster-1/sandbox · no workspace")
    expect(row(dialog, "library")).to_be_visible()
    for tab in ("Private", "Workspace warehouses"):
        dialog.get_by_role("tab", name=tab).click()
        expect(dialog.get_by_role("tab", name=tab)).to_contain_text("0")
        expect(dialog.locator("[data-empty]")).to_contain_text(
            "Namespace cluster-1/sandbox is not bound to any workspace"
        )
        expect(dialog.locator("li[data-row]")).to_have_count(0)
    dialog.get_by_label("Search all images").fill("private")
    expect(dialog.locator("[data-group]")).to_have_count(1)  # only Public is searched
    expect(dialog.locator("[data-group='public']")).to_contain_text("No match.")

    dialog.get_by_role("button", name="Can't find your image?").click()
    check = dialog.locator("[data-check='namespace']")
    expect(check).to_have_attribute("data-status", "fail")
    expect(check).to_contain_text("Namespace cluster-1/sandbox is not bound to any workspace")
    expect(dialog.locator("[data-check='bound']")).to_have_attribute("data-status", "skip")
    dialog.get_by_role("button", name="Back to images").click()
    expect(dialog.get_by_label("Search all images")).to_be_focused()


def test_faq_explains_the_image_in_the_form(demo: tuple[str, Any], open_page: Any) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    page = open_page("eddie")
    page.select_option("#namespace", "cluster-1/alpha-web")
    page.fill("#image", f"{sandbox.harbor_host}/beta-private/api:3.1")
    dialog = picker(page)
    dialog.get_by_role("button", name="Can't find your image?").click()
    verdict = dialog.locator(".mirror-picker__verdict")
    expect(verdict).to_have_attribute("data-reason", "space_not_bound")
    expect(verdict).to_contain_text("Not allowed")
    expect(dialog.locator("[data-check='bound']")).to_have_attribute("data-status", "fail")
    expect(dialog.locator("[data-check='bound']")).to_contain_text(
        "No mirror space 'beta-private' is bound to workspace Team Alpha"
    )
    expect(dialog.get_by_role("status")).to_have_text(re.compile(r"\d checks? failed\."))


def test_keyboard_only(demo: tuple[str, Any], open_page: Any) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    page = open_page("eddie")
    page.select_option("#namespace", "cluster-1/alpha-web")
    button = page.get_by_role("button", name="Select Image")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Select Image")
    search = dialog.get_by_label("Search all images")
    expect(search).to_be_focused()

    page.keyboard.press("Tab")
    expect(dialog.get_by_role("tab", name="Public")).to_be_focused()
    page.keyboard.press("ArrowRight")
    private = dialog.get_by_role("tab", name="Private")
    expect(private).to_be_focused()
    expect(private).to_have_attribute("aria-selected", "true")
    expect(row(dialog, "alpha-private")).to_be_visible()
    page.keyboard.press("Tab")  # the filter
    page.keyboard.press("Tab")  # the first space
    expect(row(dialog, "alpha-private")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row(dialog, "alpha-private/jobs/worker")).to_be_visible()
    page.keyboard.press("Tab")  # the repositories' Refresh, then the first of them
    expect(dialog.get_by_role("button", name="Refresh")).to_be_focused()
    page.keyboard.press("Tab")
    expect(row(dialog, "alpha-private/jobs/worker")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(row(dialog, "alpha-private/web")).to_be_focused()
    page.keyboard.press(" ")
    use = dialog.locator("li[data-tag='1.1']").get_by_role("button", name="Use tag")
    expect(use).to_be_visible()
    while not use.evaluate("b => b === document.activeElement"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#image")).to_have_value(f"{sandbox.harbor_host}/alpha-private/web:1.1")
    expect(button).to_be_focused()

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()


def test_viewer_browses_and_is_told_they_cannot_deploy(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page("vera")
    expect(page.locator("fieldset[disabled]").first).to_be_attached()
    button = page.get_by_role("button", name="Select Image")
    expect(button).to_be_enabled()
    dialog = picker(page)
    notice = dialog.get_by_role("note").first
    expect(notice).to_contain_text("cannot deploy")
    expect(row(dialog, "library")).to_be_visible()


def test_no_namespace_and_unknown_namespace(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page("eddie")
    page.evaluate("document.getElementById('namespace').selectedIndex = -1")
    page.get_by_role("button", name="Select Image").click()
    expect(page.locator(".mirror-picker__hint")).to_have_text("Choose a namespace first.")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#namespace")).to_be_focused()

    # A namespace the user may not use: the API's 404 message, never a blank dialog.
    page.evaluate(
        """() => {
          const select = document.getElementById("namespace");
          select.add(new Option("cluster-9/nowhere", "cluster-9/nowhere"));
          select.value = "cluster-9/nowhere";
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }"""
    )
    expect(page.locator(".mirror-picker__hint")).to_have_text("")
    page.get_by_role("button", name="Select Image").click()
    dialog = page.get_by_role("dialog", name="Select Image")
    expect(dialog.get_by_role("alert")).to_contain_text(
        "You have no namespace 'cluster-9/nowhere'."
    )
    expect(dialog.get_by_role("button", name="Try again")).to_be_focused()


def test_unhealthy_registry_and_stale_tags_are_marked(open_page: Any) -> None:
    """The sandbox's Harbor always answers, so the answers are rewritten as a dead one's."""
    from playwright.sync_api import expect

    page = open_page("eddie")

    def down(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        registries = body["registries"] if "registries" in body else [body["registry"]]
        for registry in registries:
            registry.update(health="unhealthy", last_error="connection refused", age_seconds=720)
        if "stale" in body:
            body.update(stale=True, error="read timed out", age_seconds=600)
        route.fulfill(response=response, body=json.dumps(body))

    page.route(re.compile(r"/api/picker/(context|tags)\?"), down)
    dialog = picker(page, "cluster-1/alpha-web")
    banner = dialog.locator(".mirror-picker__banner").first
    expect(banner).to_contain_text("Unhealthy")
    expect(banner).to_contain_text("connection refused")
    expect(banner).to_contain_text("Showing its catalogue as synced 12 minutes ago.")
    row(dialog, "library").click()
    row(dialog, "library/redis").click()
    stale = dialog.locator("[data-stale]")
    expect(stale).to_contain_text("Cached 10 minutes ago; the registry did not answer")
    expect(stale).to_contain_text("read timed out")
    expect(dialog.locator("li[data-tag='7.2']")).to_be_visible()  # the cached list still serves


def test_two_pickers_on_one_page_fill_their_own_inputs(
    demo: tuple[str, Any], open_page: Any
) -> None:
    from playwright.sync_api import expect

    _, sandbox = demo
    page = open_page("eddie")
    page.select_option("#namespace", "cluster-1/alpha-web")
    page.evaluate(
        """() => {
          const host = document.querySelector(".mirror-picker-host");
          const input = document.createElement("input");
          input.id = "sidecar";
          const copy = host.cloneNode(true);
          const button = copy.querySelector("[data-mirror-picker]");
          button.dataset.target = "sidecar";
          button.querySelector("span").textContent = "Select sidecar image";
          button.setAttribute("aria-describedby", "sidecar-hint");
          copy.querySelector(".mirror-picker__hint").id = "sidecar-hint";
          host.after(input, copy);
          window.mirrorPicker.init();
        }"""
    )
    page.get_by_role("button", name="Select sidecar image").click()
    dialog = page.get_by_role("dialog").filter(has=page.get_by_role("tablist"))
    expect(dialog).to_have_count(1)
    row(dialog, "library").click()
    row(dialog, "library/redis").click()
    dialog.locator("li[data-tag='7.2']").get_by_role("button", name="Use tag").click()
    expect(page.locator("#sidecar")).to_have_value(f"{sandbox.harbor_host}/library/redis:7.2")
    expect(page.locator("#image")).to_have_value("")
    expect(page.get_by_role("button", name="Select sidecar image")).to_be_focused()


def test_the_picker_loads_its_modules_under_the_plugin_s_content_security_policy(
    demo: tuple[str, Any], open_page: Any
) -> None:
    """The demo's Deploy page sends no CSP of its own: served here with the one the plugin sends
    its pages (script-src 'self'), the picker's ES modules must all load, nothing may be
    refused (a CSP violation or a failed module fetch is a console error), and it still works."""
    from playwright.sync_api import expect

    base_url, sandbox = demo
    page = open_page("eddie", "/workloads")
    policy = page.request.get(f"{base_url}/mirror/").headers["content-security-policy"]
    assert "script-src 'self'" in policy

    def with_policy(route: Any) -> None:
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": policy}
        route.fulfill(response=response, headers=headers)

    page.route(f"{base_url}/deploy", with_policy)
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}"))
    answer = page.goto(f"{base_url}/deploy")
    assert answer is not None and answer.headers["content-security-policy"] == policy

    dialog = picker(page, "cluster-1/alpha-web")
    row(dialog, "library").click()
    row(dialog, "library/redis").click()
    dialog.locator("li[data-tag='7.2']").get_by_role("button", name="Use tag").click()
    expect(page.locator("#image")).to_have_value(f"{sandbox.harbor_host}/library/redis:7.2")
    assert problems == []


def test_several_registries_start_at_the_registry_level(open_page: Any) -> None:
    """With two registries in a tab, the drill-down starts with them (the second is made up)."""
    from playwright.sync_api import expect

    page = open_page("eddie")

    def two(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        backup = {
            **body["registries"][0],
            "id": 999,
            "name": "harbor-backup",
            "host": "backup.example.com",
            "health": "unhealthy",
            "last_error": "TLS handshake timed out",
            "age_seconds": 7200,
        }
        body["registries"].insert(0, backup)
        route.fulfill(response=response, body=json.dumps(body))

    page.route(re.compile(r"/api/picker/context\?"), two)
    dialog = picker(page, "cluster-1/alpha-web")
    expect(dialog.get_by_role("tab", name="Public")).to_contain_text("2")
    expect(dialog.locator("li[data-row]")).to_have_count(2)
    backup = dialog.locator("li[data-row='harbor-backup']")
    expect(backup).to_contain_text("Unhealthy")
    expect(backup).to_contain_text("TLS handshake timed out Catalogue cached 2 hours ago.")
    dialog.get_by_placeholder("Filter registries").fill("sandbox")
    expect(dialog.locator("li[data-row]")).to_have_count(1)
    row(dialog, "harbor-sandbox").click()
    expect(row(dialog, "library")).to_be_visible()
    crumbs = dialog.get_by_role("navigation", name="Location")
    crumbs.get_by_role("button", name="All registries").click()
    expect(dialog.get_by_placeholder("Filter registries")).to_have_value("sandbox")
