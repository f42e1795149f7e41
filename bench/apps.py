"""The host app each in-process benchmark builds: Flask, Flask-SQLAlchemy and the plugin.

One factory so every benchmark measures the same plugin set-up, and a change to it (a config
key every benchmark needs) is made once.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from mirror_plugin import MirrorPlugin
from mirror_plugin.testing import FakeHostAdapter

#: For benchmarks whose registry (the Harbor emulator) answers on loopback, slowly on purpose.
LOOPBACK_REGISTRY = {"MIRROR_ALLOWED_NETWORKS": ["127.0.0.0/8"], "MIRROR_REGISTRY_TIMEOUT": 30.0}


def plugin_app(name: str, url: str, adapter: FakeHostAdapter, **config: Any) -> Flask:
    """A host app on ``url`` with the plugin mounted for ``adapter``. ``TESTING`` keeps the
    plugin's background threads off: a benchmark runs what it measures itself."""
    logging.getLogger("mirror_plugin.crypto").setLevel(logging.ERROR)  # the dev-key notice
    app = Flask(name)
    app.config.update(SQLALCHEMY_DATABASE_URI=url, TESTING=True, SECRET_KEY="bench", **config)
    SQLAlchemy(app)
    MirrorPlugin(app, host=adapter)
    return app
