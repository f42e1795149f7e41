"""``python -m demo.screenshots [OUT_DIR]``: the docs' screenshots (default ``docs/``).

Starts a throw-away demo (its own sandbox on free ports, a temporary database), serves it on a
free port in a thread, and drives the system Chromium (``/usr/bin/chromium``) through Playwright
as the demo users would click: the platform Admin's Warehouse Integration list and the sandbox
integration, Alice's form connecting a workspace warehouse (tested, not saved), Eddie's
deployment of a Team Beta image into a Team Alpha namespace, refused with the reason, and the
Select Image picker beside it (private spaces, a repository's tags, "Can't find your image?").
The same pictures are taken again in Chinese (the browser asking for zh-CN) into ``zh-Hans/``.

It never downloads a browser (no ``playwright install``); without Chromium it says so and exits.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet
from werkzeug.serving import WSGIRequestHandler, make_server

from .console import create_app
from .sandbox import ROBOT, Sandbox, start_sandbox
from .seed import PASSWORD, prepare

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
DOCS = Path(__file__).resolve().parent.parent / "docs"
SHOTS = (
    "warehouse-integration.png",
    "integration-detail.png",
    "warehouse-space.png",
    "workspace-warehouse-form.png",
    "deploy-denied.png",
    "picker-private.png",
    "picker-tags.png",
    "picker-faq.png",
)


#: The words the script clicks, in each language it takes the pictures in (browser locale).
WORDS = {
    "en-US": {
        "Warehouse Space": "Warehouse Space",
        "Select Image": "Select Image",
        "Private": "Private",
        "Public": "Public",
        "Can't find your image?": "Can't find your image?",
    },
    "zh-CN": {
        "Warehouse Space": "仓库空间",
        "Select Image": "选择镜像",
        "Private": "私有",
        "Public": "公开",
        "Can't find your image?": "找不到镜像？",
    },
}
#: Where each language's set goes, under the output folder.
SUBFOLDER = {"en-US": "", "zh-CN": "zh-Hans"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """No access log: the script prints the files it wrote, nothing else."""


@contextmanager
def serve_demo() -> Iterator[tuple[str, Sandbox]]:
    """A prepared demo on ``http://127.0.0.1:<free port>`` for the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="demo-shots-") as tmp:
        sandbox = start_sandbox(harbor_port=0, registry=False)
        try:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.db",
                    "MIRROR_SECRET_KEYS": [Fernet.generate_key().decode()],
                    "MIRROR_HEALTH_INTERVAL": 0,
                    **sandbox.app_config(),
                }
            )
            with app.app_context():
                prepare()
            server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield f"http://127.0.0.1:{server.server_port}", sandbox
            finally:
                server.shutdown()
                thread.join(timeout=5)
                # The pull-access worker and the job runner started with the first request;
                # left running, they would fail every round once the database below is deleted.
                app.extensions["mirror_plugin"].pull_worker.stop()
                app.extensions["mirror_plugin"].jobs.stop()
                with app.app_context():
                    from .models import db

                    db.engine.dispose()
        finally:
            sandbox.stop()


def take(out_dir: Path, base_url: str, sandbox: Sandbox, locale: str = "en-US") -> list[Path]:
    """Save the screenshots of :data:`SHOTS` into ``out_dir``, with a browser speaking
    ``locale`` (a key of :data:`WORDS`); return their paths."""
    words = WORDS[locale]
    from playwright.sync_api import Page, sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def still(page: Page) -> None:
        """No focus ring or caret in a picture of a dialog."""
        page.evaluate("document.activeElement && document.activeElement.blur()")

    def shot(page: Page, name: str) -> None:
        path = out_dir / name
        page.screenshot(path=str(path), full_page=False)
        saved.append(path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:

            def signed_in(username: str) -> Page:
                context = browser.new_context(viewport=VIEWPORT, locale=locale)
                page = context.new_page()
                page.goto(f"{base_url}/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base_url}/workloads")
                return page

            admin = signed_in("admin")
            admin.goto(f"{base_url}/mirror/integrations/")
            shot(admin, "warehouse-integration.png")
            admin.click("text=harbor-sandbox")
            admin.wait_for_selector(".mirror-stats")
            shot(admin, "integration-detail.png")
            admin.click(f"text={words['Warehouse Space']}")
            admin.wait_for_selector("[data-mirror-spaces]")
            shot(admin, "warehouse-space.png")
            admin.context.close()

            alice = signed_in("alice")
            alice.goto(f"{base_url}/mirror/workspaces/alpha/warehouses/new")
            alice.fill("input[name=name]", "alpha-harbor")
            alice.select_option("select[name=kind]", "harbor")
            alice.fill("input[name=url]", sandbox.harbor_url)
            alice.fill("input[name=username]", ROBOT[0])
            alice.fill("input[name=password]", ROBOT[1])
            alice.fill("textarea[name=description]", "Team Alpha's projects, through a robot.")
            alice.click("button[value=test]")  # Test connection: checks, saves nothing
            alice.wait_for_selector(".mirror-verdict")
            shot(alice, "workspace-warehouse-form.png")
            alice.context.close()

            eddie = signed_in("eddie")
            eddie.goto(f"{base_url}/deploy")
            eddie.select_option("select[name=namespace]", "cluster-1/alpha-web")
            eddie.fill("input[name=name]", "api")
            eddie.fill("input[name=image]", f"{sandbox.harbor_host}/beta-private/api:3.1")
            eddie.click("form.form--deploy button[type=submit]")
            eddie.wait_for_selector(".alert--error")
            shot(eddie, "deploy-denied.png")
            # Select Image, beside the refused image: the private spaces Team Alpha may use,
            # a repository's tags, then "Can't find your image?" about the refused one.
            eddie.get_by_role("button", name=words["Select Image"]).click()
            picker = eddie.get_by_role("dialog", name=words["Select Image"])
            picker.get_by_role("tab", name=words["Private"]).click()
            picker.locator("li[data-row='alpha-private']").wait_for()
            still(eddie)
            shot(eddie, "picker-private.png")
            picker.get_by_role("tab", name=words["Public"]).click()
            picker.locator("li[data-row='library'] button").click()
            picker.locator("li[data-row='library/nginx'] button").click()
            picker.locator("li[data-tag='1.25']").wait_for()
            still(eddie)
            shot(eddie, "picker-tags.png")
            picker.get_by_role("button", name=words["Can't find your image?"]).click()
            picker.locator(".mirror-picker__checks").wait_for()
            still(eddie)
            shot(eddie, "picker-faq.png")
            eddie.context.close()
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else DOCS
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is not installed: no screenshots taken.")
        return 0
    with serve_demo() as (base_url, sandbox):
        for locale, folder in SUBFOLDER.items():
            for path in take(out_dir / folder, base_url, sandbox, locale):
                print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
