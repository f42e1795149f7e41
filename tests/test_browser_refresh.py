"""A real Chromium: the picker's Refresh is a POST carrying the CSRF token, and it works."""

from __future__ import annotations

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
