"""The deploy hook over HTTP: check, filter and explain for one namespace.

A caller must be allowed to use the namespace (a role in its workspace, or the platform
Admin; a namespace in no workspace is open to every signed-in user). Anything else, an
unknown namespace included, is the same 404, so the endpoints cannot probe other tenants.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from mirror_plugin.config import DEFAULTS
from mirror_plugin.i18n import _
from mirror_plugin.state import mirror_state
from mirror_plugin.web.access import may_use_namespace, require_principal

#: The default cap on images per filter call (the OpenAPI document states this one).
MAX_FILTER_IMAGES: int = DEFAULTS["MIRROR_FILTER_MAX_IMAGES"]


def _namespace(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        abort(400, description=_("Give the namespace, e.g. namespace=cluster-1/team-a."))
    if not may_use_namespace(require_principal(), value):
        abort(404, description=_("You have no namespace %(namespace)r.", namespace=value))
    return value


def _image(value: Any) -> str:
    if not isinstance(value, str) or not value:
        abort(400, description=_("Give the image reference, e.g. image=harbor.example.com/app:1."))
    if len(value) > 4096:
        abort(400, description=_("The image reference is longer than 4096 characters."))
    return value


def _plugin() -> Any:
    return mirror_state().plugin


def api_check() -> ResponseReturnValue:
    """May IMAGE be deployed into NAMESPACE? Always 200 with a decision for valid requests."""
    namespace = _namespace(request.args.get("namespace"))
    return jsonify(_plugin().check_image(namespace, _image(request.args.get("image"))).to_dict())


def api_explain() -> ResponseReturnValue:
    """The FAQ checks one by one ("Can't find your image?")."""
    namespace = _namespace(request.args.get("namespace"))
    return jsonify(_plugin().explain(namespace, _image(request.args.get("image"))).to_dict())


def api_filter() -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=_("Send a JSON object with 'namespace' and 'images'."))
    namespace = _namespace(body.get("namespace"))
    images = body.get("images")
    if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
        abort(422, description=_("'images' must be a list of image references (strings)."))
    limit = int(current_app.config["MIRROR_FILTER_MAX_IMAGES"])
    if len(images) > limit:
        # Each image is a decision: an unbounded list holds a worker (MIRROR_FILTER_MAX_IMAGES).
        abort(
            422,
            description=_(
                "Send at most %(limit)s images per request (%(sent)s sent); "
                "split the list into several calls.",
                limit=limit,
                sent=len(images),
            ),
        )
    result = _plugin().filter_images(namespace, images)
    return jsonify({"allowed": result.allowed, "denied": [d.to_dict() for d in result.denied]})


def register(bp: Blueprint) -> None:
    """The deploy hook over HTTP."""
    bp.add_url_rule("/api/check", view_func=api_check, methods=["GET"])
    bp.add_url_rule("/api/explain", view_func=api_explain, methods=["GET"])
    bp.add_url_rule("/api/filter", view_func=api_filter, methods=["POST"])
