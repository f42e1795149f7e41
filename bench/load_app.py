"""The WSGI app ``python -m bench load`` serves with gunicorn: ``bench.load_app:app``.

It is the demo console exactly as ``demo.console.create_app`` builds it, on the PostgreSQL
database named by ``MIRROR_LOAD_DATABASE_URL`` (prepared by ``bench/load.py`` before gunicorn
starts), plus one plain Flask view, ``GET /trivial`` returning ``ok``: the baseline every
plugin endpoint is compared with, served by the same app, workers and middleware.

Authentication is the console's own: the benchmark signs in once through ``POST /login`` (the
demo's CSRF form) and wrk replays that session cookie. Nothing here bypasses Flask-Login, so
every measured request pays what a signed-in user's request pays: the cookie check, and the
user lookup, which the console answers from its one-second identity memory (demo/identity.py)
as it does for any user between two queries. ``/trivial`` never asks who is signed in.
For that cookie to be valid in both workers, the session key comes from ``DEMO_SECRET_KEY``
and the registry-password key from ``MIRROR_LOAD_FERNET_KEY``, both set by ``bench/load.py``.

Importing this module builds the app: only gunicorn's workers import it.
"""

from __future__ import annotations

import os

from flask import Flask

from demo.console import create_app

from .load import DATABASE_ENV, FERNET_ENV, HARBOR_ENV


def config_from_env() -> dict[str, object]:
    """The console's configuration for the load run, read from the environment."""
    needed = (DATABASE_ENV, FERNET_ENV, "DEMO_SECRET_KEY")  # the last: one session key for all
    missing = [name for name in needed if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"bench.load_app needs {', '.join(missing)} (set by bench/load.py)")
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ[DATABASE_ENV],
        "MIRROR_SECRET_KEYS": [os.environ[FERNET_ENV]],
        "DEMO_HARBOR_URL": os.environ.get(HARBOR_ENV, ""),
    }


def trivial() -> str:
    return "ok"


def build() -> Flask:
    """The demo console with the ``/trivial`` baseline view added."""
    app = create_app(config_from_env())
    app.add_url_rule("/trivial", "trivial", trivial)
    return app


app = build()
