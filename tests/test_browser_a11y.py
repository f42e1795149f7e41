"""axe-core in a real Chromium: every page of the demo, and the open Select Image picker, as
the platform Admin, a Workspace Admin and an editor, has no WCAG 2.1 A or AA violation.

axe-core comes from its PyPI packaging (``axe-playwright-python`` bundles ``axe.min.js``; the
test extra pins it), so ``make setup`` is all it needs. The script is injected into each page
through Playwright; the test's browser context bypasses the pages' Content-Security-Policy
for that, the pages themselves keep theirs. A failure lists every violation with its rule id,
impact, page and the elements' selectors.

The pages are found by following links from each user's start pages, so a new page is checked
as soon as something links to it; states no link reaches (a refused deploy, a form sent back
with errors, an error page, the picker's tabs, a tag list and its FAQ) are driven by hand.
``LANGUAGES`` is the browser's preferred language: a second locale is one more entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from .test_browser_picker import picker, row

pytestmark = pytest.mark.browser

USERS = ("admin", "alice", "eddie")
LANGUAGES = ("en", "zh-Hans")
#: What the hand-driven states click, in each of LANGUAGES (the catalogues' words).
WORDS = {
    "en": {
        "Deploy": "Deploy",
        "Warehouse Space": "Warehouse Space",
        "Bind Workspace": "Bind Workspace",
        "Save": "Save",
        "Test connection": "Test connection",
        "Select Image": "Select Image",
        "Public": "Public",
        "Private": "Private",
        "Workspace warehouses": "Workspace warehouses",
        "Can't find your image?": "Can't find your image?",
    },
    "zh-Hans": {
        "Deploy": "部署",
        "Warehouse Space": "仓库空间",
        "Bind Workspace": "绑定工作空间",
        "Save": "保存",
        "Test connection": "测试连接",
        "Select Image": "选择镜像",
        "Public": "公开",
        "Private": "私有",
        "Workspace warehouses": "工作空间关联仓库",
        "Can't find your image?": "找不到镜像？",
    },
}
#: WCAG 2.0 and 2.1, levels A and AA: the rules the issue asks for, nothing stricter.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
START = ("/workloads", "/deploy", "/mirror/")
MAX_PAGES = 80  # per user: a safety net against a link loop, far above what the demo has
SKIP = re.compile(r"^/(logout|mirror/static/|static/)")


def axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return str(AXE_SCRIPT)


def violations(page: Any, where: str) -> list[str]:
    """axe's violations on ``page`` as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    found = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)["violations"]
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} -> "
        + "; ".join(f"{' '.join(node['target'])} [{why(node)}]" for node in v["nodes"])
        for v in found
    ]


def why(node: dict[str, Any]) -> str:
    """axe's own sentence for one element (for contrast: the colours and the ratio)."""
    checks = node.get("any") or node.get("all") or node.get("none") or [{}]
    return str(checks[0].get("message", "")).strip()


def page_key(path: str, query: str) -> str:
    """One check per kind of page: ids become N, query values are dropped except ``tab``
    (each tab lists different things)."""
    params = sorted(
        f"{k}={v}" if k == "tab" else k for k, v in parse_qsl(query, keep_blank_values=True)
    )
    return re.sub(r"/\d+(?=/|$)", "/N", path) + ("?" + "&".join(params) if params else "")


@pytest.fixture
def signed_in(chromium: Any, demo: tuple[str, Any]) -> Iterator[Callable[[str, str], Any]]:
    """``signed_in(username, language)``: a page of a new context that ignores CSP (for axe's
    script only) and prefers ``language``, signed in as that user. Script errors fail the test."""
    base_url, _ = demo
    contexts: list[Any] = []
    errors: list[str] = []

    def open_as(username: str, language: str) -> Any:
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, bypass_csp=True, locale=language
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/workloads")
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert not errors, errors


def crawl(page: Any, base_url: str, username: str) -> list[str]:
    """Visit every page reachable by links from the start pages; axe each kind once."""
    found: list[str] = []
    queue = [base_url + path for path in START]
    seen: set[str] = set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        key = page_key(parts.path, parts.query)
        if key in seen:
            continue
        seen.add(key)
        page.goto(url)
        found += violations(page, f"{username} {parts.path}?{parts.query}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = urlsplit(href)
            if f"{target.scheme}://{target.netloc}" != base_url or SKIP.match(target.path):
                continue
            queue.append(f"{base_url}{target.path}" + (f"?{target.query}" if target.query else ""))
    assert len(seen) > 5, f"{username} reached only {sorted(seen)}"
    return found


@pytest.fixture(params=[(u, lang) for lang in LANGUAGES for u in USERS], ids="-".join)
def user_page(request: pytest.FixtureRequest, signed_in: Any) -> tuple[str, Any]:
    """``(username, page)`` for each user in each language, signed in."""
    username, language = request.param
    return username, signed_in(username, language)


def test_every_page_a_user_reaches_has_no_violation(
    user_page: tuple[str, Any], demo: tuple[str, Any]
) -> None:
    username, page = user_page
    found = crawl(page, demo[0], username)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_no_link_reaches_have_no_violation(
    signed_in: Any, demo: tuple[str, Any], language: str
) -> None:
    """A refused deploy, the Bind Workspace dialog, forms sent back with their errors, the
    explain page's answer and an error page inside the console layout."""
    base_url, sandbox = demo
    words = WORDS[language]
    found: list[str] = []
    eddie = signed_in("eddie", language)
    eddie.goto(f"{base_url}/deploy")
    eddie.select_option("#namespace", "cluster-1/alpha-web")
    eddie.fill("#name", "web")
    eddie.fill("#image", f"{sandbox.harbor_host}/beta-private/api:3.1")
    eddie.get_by_role("button", name=words["Deploy"]).click()
    eddie.wait_for_selector(".alert--error")
    found += violations(eddie, "eddie: deploy refused")
    eddie.goto(
        f"{base_url}/mirror/explain?namespace=cluster-1/alpha-web"
        f"&image={sandbox.harbor_host}/beta-private/api:3.1"
    )
    found += violations(eddie, "eddie: explain answer")
    eddie.goto(f"{base_url}/mirror/workspaces/beta/warehouses/")
    found += violations(eddie, "eddie: 404 page")

    admin = signed_in("admin", language)
    admin.goto(f"{base_url}/mirror/integrations/")
    admin.get_by_role("link", name="harbor-sandbox").click()
    admin.get_by_role("link", name=words["Warehouse Space"]).click()
    admin.locator("tr[data-space-name='alpha-tools']").get_by_role(
        "link", name=words["Bind Workspace"]
    ).click()
    admin.locator("#mirror-bind-dialog label").first.wait_for()
    found += violations(admin, "admin: Bind Workspace dialog")
    admin.goto(f"{base_url}/mirror/integrations/new")
    admin.get_by_role("button", name=words["Save"]).click()
    admin.wait_for_selector(".mirror-field--error")
    found += violations(admin, "admin: integration form with errors")

    alice = signed_in("alice", language)
    alice.goto(f"{base_url}/mirror/workspaces/alpha/warehouses/new")
    alice.get_by_role("button", name=words["Test connection"]).click()
    alice.wait_for_selector(".mirror-field--error, [data-mirror-report]")
    found += violations(alice, "alice: warehouse form after a test")
    assert not found, "\n".join(found)


def test_the_open_picker_has_no_violation(
    user_page: tuple[str, Any], demo: tuple[str, Any]
) -> None:
    from playwright.sync_api import expect

    username, page = user_page
    words = WORDS[page.evaluate("document.documentElement.lang") or "en"]
    page.goto(f"{demo[0]}/deploy")
    dialog = picker(page, "cluster-1/alpha-web", words)
    found: list[str] = []
    for tab in (words["Public"], words["Private"], words["Workspace warehouses"]):
        dialog.get_by_role("tab", name=tab).click()
        expect(dialog.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        found += violations(page, f"{username}: picker, {tab} tab")
    dialog.get_by_role("tab", name=words["Public"]).click()
    row(dialog, "library").click()
    row(dialog, "library/nginx").click()
    expect(dialog.locator("li[data-tag]").first).to_be_visible()
    found += violations(page, f"{username}: picker, a tag list")
    dialog.get_by_role("button", name=words["Can't find your image?"]).click()
    expect(dialog.locator("[data-check]").first).to_be_visible()
    found += violations(page, f"{username}: picker, the FAQ")
    assert not found, "\n".join(found)
