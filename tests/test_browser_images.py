"""A real Chromium on Image List: an editor finds an image by searching, opens its tags and
copies a pull reference by tag and by digest to the clipboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .test_browser_picker import DIGEST

pytestmark = pytest.mark.browser


def test_search_narrows_the_rows_and_copy_puts_the_reference_on_the_clipboard(
    demo: tuple[str, Any], open_page: Any
) -> None:
    from playwright.sync_api import expect

    base_url, sandbox = demo
    page = open_page("eddie", "/mirror/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.get_by_role("navigation", name="Mirror Warehouse").get_by_role(
        "link", name="Image List"
    ).click()
    expect(page.get_by_role("heading", name="Image List")).to_be_visible()
    rows = page.locator("tr[data-image]")
    expect(rows.first).to_be_visible()
    everything = rows.count()
    assert everything > 2
    expect(page.locator("tr[data-image^='beta-private/']")).to_have_count(0)  # Team Beta's

    page.get_by_label("Search images").fill("nginx")
    page.get_by_label("Search images").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{sandbox.harbor_host}/library/nginx")
    page.get_by_role("link", name="Private").click()  # the search stays, the tab narrows it
    expect(page.get_by_label("Search images")).to_have_value("nginx")
    expect(page.locator("td.mirror-empty")).to_have_text("No image matches “nginx”.")
    page.get_by_role("link", name="All").click()

    page.get_by_role("link", name="Tags of library/nginx").click()
    expect(page.get_by_role("heading", name="library/nginx")).to_be_visible()
    tag = page.locator("tr[data-tag='1.25']")
    by_tag = f"{sandbox.harbor_host}/library/nginx:1.25"
    tag.get_by_role("button", name=re.compile("^Copy by tag")).click()
    expect(page.locator("[data-mirror-copy-status]")).to_have_text(f"Copied {by_tag}")
    assert page.evaluate("navigator.clipboard.readText()") == by_tag

    tag.get_by_role("button", name=re.compile("^Copy by digest")).click()
    expect(page.locator("[data-mirror-copy-status]")).to_contain_text("@sha256:")
    pinned = page.evaluate("navigator.clipboard.readText()")
    assert re.fullmatch(re.escape(f"{sandbox.harbor_host}/library/nginx") + DIGEST, pinned)
    assert pinned in tag.inner_text()  # the reference copied is the one shown on the row


def test_a_chinese_tags_page_keeps_its_headings_whole_and_dates_localised(
    open_page: Any,
) -> None:
    page = open_page("eddie", "/mirror/workspaces/alpha/images?q=nginx", "zh-CN")
    page.locator("a[href*='tags?repository=library/nginx']").first.click()
    page.locator("tr[data-tag='1.25']").wait_for()
    headings = page.locator("table.mirror-table thead th")
    assert headings.count() == 5
    # Each heading is read on one line: "平台" is not cut into "平" over "台" in a narrow column.
    lines = page.evaluate(
        """() => [...document.querySelectorAll('table.mirror-table thead th')].map(th => {
            const range = document.createRange();
            range.selectNodeContents(th);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return [th.textContent.trim(), tops.size];
        })"""
    )
    assert [text for text, count in lines if count != 1] == [], lines
    pushed = page.locator("tr[data-tag='1.25'] td").nth(3).inner_text()
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d UTC", pushed), pushed
