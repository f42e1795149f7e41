"""Fixtures for real-browser tests: the demo console with its registry sandbox, and Chromium.

Registered through ``pytest_plugins`` in conftest. Chromium is Debian's (``/usr/bin/chromium``)
driven by Playwright; nothing is downloaded. Without either, tests skip locally and fail under CI.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import require_tool

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, Any]]:
    """``(base_url, sandbox)`` of a prepared demo console served on a free port."""
    require_tool(
        shutil.which(CHROMIUM) is not None or shutil.which("chromium") is not None,
        "Chromium (apt install chromium)",
    )
    require_tool(importlib.util.find_spec("playwright") is not None, "playwright (pip)")
    from demo.screenshots import serve_demo

    with serve_demo() as served:
        yield served


@pytest.fixture(scope="module")
def chromium(demo: tuple[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from demo.screenshots import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Any, demo: tuple[str, Any]) -> Iterator[Callable[..., Any]]:
    """``open_page(username, path="/deploy", locale="en-US")``: a page signed in as that user,
    on ``path``, in a browser speaking ``locale``.

    Pages close after the test, which then fails if any page had a script error (a CSP
    violation or a broken widget shows up here).
    """
    base_url, _ = demo
    contexts: list[Any] = []

    def signed_in(username: str, path: str = "/deploy", locale: str = "en-US") -> Any:
        # ``locale`` is the browser's language: its Accept-Language and navigator.language.
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.script_errors = errors
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/workloads")
        page.goto(f"{base_url}{path}")
        return page

    yield signed_in
    for context in contexts:
        page_errors = [e for p in context.pages for e in p.script_errors]
        context.close()
        assert not page_errors, page_errors
