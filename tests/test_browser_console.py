"""The console as a new user meets it, in a real Chromium: what people see, not the markup.

Each test is one rough edge of issue #15 that a browser shows and a template test cannot: a
filtered list's visible rows, a text's box inside its card, an error inside the console layout.
"""

from __future__ import annotations

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
