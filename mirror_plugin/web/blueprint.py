"""The plugin's blueprint, built for each app from the areas of the console.

Each area module (``pages/*``, ``api/*``) lists its URL rules in its own ``register(bp)``;
this module is the one place that says which areas the console has. Nothing registers a
route by being imported, so a module can be imported (by a test, a benchmark, the OpenAPI
generator) without changing an app, and every app gets its own blueprint.
"""

from __future__ import annotations

from flask import Blueprint

from mirror_plugin.resources import static_dir, templates_dir
from mirror_plugin.web import views
from mirror_plugin.web.api import hook, jobs, openapi, picker
from mirror_plugin.web.api import integrations as api_integrations
from mirror_plugin.web.api import spaces as api_spaces
from mirror_plugin.web.pages import images, overview
from mirror_plugin.web.pages import integrations as pages_integrations
from mirror_plugin.web.pages import spaces as pages_spaces

BLUEPRINT_NAME = "mirror_plugin"

AREAS = (
    views,  # what every route shares: limits, CSRF, headers, error pages
    overview,
    pages_integrations,
    pages_spaces,
    images,
    api_integrations,
    api_spaces,
    jobs,
    hook,
    picker,
    openapi,
)


def build_blueprint() -> Blueprint:
    """A new blueprint with every area's routes (the admission webhook adds its own)."""
    bp = Blueprint(
        BLUEPRINT_NAME,
        __name__,
        template_folder=str(templates_dir()),
        static_folder=str(static_dir()),
        static_url_path="/static",
    )
    for area in AREAS:
        area.register(bp)
    return bp
