"""A real Chromium: registry text with bidi and control characters is shown escaped by the
Select Image widget and the Warehouse Space dialog (the pages themselves are covered without
a browser in test_web_hardening.py).

The sandbox's Harbor only holds well-formed names, so the tests rewrite the plugin's answers
on their way to the page, as a hostile registry's sync would have filled them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .test_browser_picker import picker

pytestmark = pytest.mark.browser

RLO, LRI, PDI, RLM, ESC = "\u202e", "\u2066", "\u2069", "\u200f", "\x1b"

#: Every text node and every attribute a person reads (tooltips, screen-reader labels).
SHOWN = """(root) => {
  const parts = [root.textContent];
  root.querySelectorAll("[title], [aria-label], [placeholder]").forEach((node) => {
    parts.push(node.getAttribute("title"), node.getAttribute("aria-label"),
               node.getAttribute("placeholder"));
  });
  return parts.filter(Boolean).join("\\n");
}"""


def shown(locator: Any) -> str:
    return str(locator.evaluate(SHOWN))


def assert_no_raw(text: str) -> None:
    for raw in (RLO, LRI, PDI, RLM, ESC):
        assert raw not in text, f"raw U+{ord(raw):04X} shown: {text!r}"


def rewrite(page: Any, pattern: str, change: Any) -> None:
    def handler(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        change(body)
        route.fulfill(response=response, body=json.dumps(body))

    page.route(re.compile(pattern), handler)


def test_picker_shows_hidden_characters_in_registry_text_escaped(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page("eddie")

    def context(body: dict[str, Any]) -> None:
        for registry in body["registries"]:
            registry.update(
                name=f"harbor{RLO}xob",
                health="unhealthy",
                last_error=f"refused {LRI}admin{PDI} {ESC}[31m",
                age_seconds=60,
            )

    def spaces(body: dict[str, Any]) -> None:
        for item in body["items"]:
            item["name"] = f"{item['name']}{RLO}gpj.exe"

    def repositories(body: dict[str, Any]) -> None:
        for item in body["items"]:  # only what is shown: the name is the tags call's key
            item["short_name"] = f"{item['short_name']}{RLM}"

    def tags(body: dict[str, Any]) -> None:
        for item in body["items"]:
            if item.get("tag"):
                item["tag"] = f"{item['tag']}{RLO}"

    rewrite(page, r"/api/picker/context\?", context)
    rewrite(page, r"/api/picker/spaces\?", spaces)
    rewrite(page, r"/api/picker/repositories\?", repositories)
    rewrite(page, r"/api/picker/tags\?", tags)
    dialog = picker(page, "cluster-1/alpha-web")
    expect(dialog).to_contain_text("harbor\\u202exob did not answer its last health check")
    expect(dialog).to_contain_text("refused \\u2066admin\\u2069 \\u001b[31m")
    expect(dialog.locator("li[data-row]").first).to_contain_text("\\u202egpj.exe")
    assert_no_raw(shown(dialog))

    dialog.locator("li[data-row] button").first.click()  # a space: its repositories
    expect(dialog.locator("li[data-row]").first).to_contain_text("\\u200f")
    assert_no_raw(shown(dialog))
    dialog.locator("li[data-row] button").first.click()  # a repository: its tags
    expect(dialog.locator("li[data-tag]").first).to_contain_text("\\u202e")
    assert_no_raw(shown(dialog))
    assert_no_raw(shown(page.locator("body")))


def test_bind_dialog_shows_the_registry_space_name_escaped(open_page: Any) -> None:
    from playwright.sync_api import expect

    admin = open_page("admin", "/workloads")
    admin.get_by_role("link", name="Mirror Warehouse").first.click()
    admin.get_by_role("link", name="Warehouse Integration").click()
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("link", name="Warehouse Space").click()
    row = admin.locator("tr[data-space-name='alpha-tools']")

    def answer(body: dict[str, Any]) -> None:
        body["space"] = f"alpha{RLO}slot"

    rewrite(admin, r"/api/spaces/\d+/workspaces$", answer)
    for check in (True, False):  # bind, then leave the sandbox as it was
        row.get_by_role("link", name="Bind Workspace").click()
        dialog = admin.locator("#mirror-bind-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Team Gamma").set_checked(check)
        dialog.get_by_role("button", name="OK").click()
        expect(dialog).to_be_hidden()
    expect(admin.locator(".mirror-flash--success").first).to_contain_text(
        "Bound alpha\\u202eslot to Team Gamma."
    )
    assert_no_raw(shown(admin.locator("body")))
