"""The console's app factory: the host's database, sign-in, pages, and the mounted plugin.

Everything a host team does to adopt ``mirror_plugin`` happens in :func:`create_app`: hand the
plugin the host's ``db`` and an adapter, point ``MIRROR_BASE_TEMPLATE`` at the console layout,
and render ``menu_items()`` in the sidebar.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, request, url_for
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from mirror_plugin import MirrorPlugin
from mirror_plugin.i18n import CataloguedDomain, current_locale

from .access import may_see, role_badge, role_label
from .adapter import ConsoleAdapter
from .admission import bp as admission_bp
from .identity import IdentityCache, SignedInUser, account
from .models import db
from .security import csrf_token
from .views import bp

#: Used when DEMO_SECRET_KEY is unset: sessions then last as long as this process.
_PROCESS_SECRET = secrets.token_urlsafe(32)

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = _l("Sign in to continue.")
login_manager.login_message_category = "info"
# Changing registry credentials in the Mirror Warehouse needs a fresh sign-in.
login_manager.refresh_view = "console.login"
login_manager.needs_refresh_message = _l("Sign in again to change registry credentials.")
login_manager.needs_refresh_message_category = "info"

#: The console's own catalogue (demo/translations, domain "messages").
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class ConsoleBabel(Babel):
    """Flask-Babel for the console's pages, compiled in memory from .po like the plugin's
    catalogues (no .mo build step for the demo). Its locale selector is the plugin's
    ``current_locale``: the adapter's ``locale()`` (the language switch's cookie), else
    Accept-Language, so the console and the plugin always speak the same language."""

    @cached_property
    def domain_instance(self) -> CataloguedDomain:
        return CataloguedDomain("messages", TRANSLATIONS)


babel = ConsoleBabel()

#: One plugin object for every app this factory makes; its state lives per app.
mirror = MirrorPlugin(db=db, host=ConsoleAdapter())


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    """The signed-in identity, remembered for a second by this app's cache (identity.py)."""
    cache: IdentityCache = current_app.extensions["console_identity"]
    return cache.load(user_id)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a console app. ``config`` overrides everything, including the environment."""
    # demo/instance/ (the README's promise); Flask's default would be the checkout's root.
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent / "instance"))
    app.config["SECRET_KEY"] = os.environ.get("DEMO_SECRET_KEY") or _PROCESS_SECRET
    app.config["MIRROR_BASE_TEMPLATE"] = "console/base.html"
    # The registry sandbox (demo/sandbox.py) listens on loopback. The plugin refuses registry
    # URLs that resolve to loopback or private addresses unless they are allow-listed here
    # (so a registry URL can never be used to reach the platform's own services); a production
    # console lists its internal registries' networks instead, never all of loopback.
    app.config["MIRROR_ALLOWED_NETWORKS"] = ["127.0.0.0/8", "::1/128"]
    # Set by ``python -m demo`` from the running sandbox; read by the seed and the sign-in page.
    app.config["DEMO_HARBOR_URL"] = ""
    app.config["DEMO_REGISTRY_URL"] = ""
    app.config.update(config or {})
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DEMO_DATABASE_URL") or _sqlite(app)
    if not app.config.get("MIRROR_SECRET_KEYS"):
        app.config["MIRROR_SECRET_KEYS"] = [_fernet_key(app)]

    db.init_app(app)
    babel.init_app(app, locale_selector=current_locale)
    login_manager.init_app(app)
    app.extensions["console_identity"] = IdentityCache()
    app.register_blueprint(bp)
    app.register_blueprint(admission_bp)
    mirror.init_app(app)
    app.context_processor(_chrome)
    app.cli.add_command(_seed_command)
    return app


def _fernet_key(app: Flask) -> str:
    """The key encrypting registry passwords: env MIRROR_SECRET_KEYS, else one kept in the
    instance folder (a real console mounts it as a secret)."""
    if os.environ.get("MIRROR_SECRET_KEYS"):
        return os.environ["MIRROR_SECRET_KEYS"]
    path = Path(app.instance_path) / "mirror-secret.key"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def _sqlite(app: Flask) -> str:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'demo.db'}"


def _chrome() -> dict[str, Any]:
    """What the layout needs on every page, plugin pages included."""
    context: dict[str, Any] = {
        "csrf_token": csrf_token,
        "nav": [],
        "badge": None,
        "role_label": role_label,
    }
    user = account()
    if user is None:
        return context
    endpoint = request.endpoint or ""
    nav = [
        (_l("Workloads"), url_for("console.workloads"), endpoint == "console.workloads", "grid"),
        (_l("Deploy"), url_for("console.deploy"), endpoint == "console.deploy", "rocket"),
    ]
    if user.is_platform_admin:
        here = endpoint == "console_admission.admission_page"
        nav.append((_l("Admission"), url_for("console_admission.admission_page"), here, "grid"))
    for item in mirror.menu_items():
        if may_see(item, user):
            blueprint = item.endpoint.partition(".")[0]
            active = endpoint == item.endpoint or request.blueprint == blueprint
            nav.append((item.title, url_for(item.endpoint), active, "box"))
    context.update(nav=nav, badge=role_badge(user))
    return context


@click.command("demo-init")
def _seed_command() -> None:
    """Migrate the plugin's tables, create the console's and load the demo data."""
    from .seed import prepare

    prepare()
    click.echo("Demo database ready; every user's password is 'demo'.")
    if not current_app.config.get("DEMO_HARBOR_URL"):
        click.echo("No registry sandbox ran: `python -m demo` starts it and connects it.")
