"""The deploy hook over HTTP: check, filter and explain for one namespace.

A caller must be allowed to use the namespace (a role in its workspace, or the platform
Admin; a namespace in no workspace is open to every signed-in user). Anything else, an
unknown namespace included, is the same 404, so the endpoints cannot probe other tenants.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app

from mirror_plugin.i18n import _
from mirror_plugin.state import mirror_state
from mirror_plugin.web.access import may_use_namespace, require_principal
from mirror_plugin.web.api.declare import declared
from mirror_plugin.web.schemas import hook as schemas
from mirror_plugin.web.schemas.shared import Decision, Explanation

#: The document's tag for this area.
TAG = "Deploy hook"


def _usable(namespace: str) -> str:
    """``namespace`` if the caller may use it; else the 404 an unknown one gets."""
    if not may_use_namespace(require_principal(), namespace):
        abort(404, description=_("You have no namespace %(namespace)r.", namespace=namespace))
    return namespace


def _plugin() -> Any:
    return mirror_state().plugin


@declared(
    "checkImage",
    summary="May this image be deployed into this namespace?",
    tag=TAG,
    gate=require_principal,
    query=schemas.ImageQuery,
    ok=Decision,
    errors=(400, 404),
)
def api_check(query: schemas.ImageQuery) -> Decision:
    """May IMAGE be deployed into NAMESPACE? Always 200 with a decision for valid requests."""
    decision = _plugin().check_image(_usable(query.namespace), query.image)
    return Decision.model_validate(decision)


@declared(
    "explainImage",
    summary="The FAQ checks for an image in a namespace, one by one",
    tag=TAG,
    gate=require_principal,
    query=schemas.ImageQuery,
    ok=Explanation,
    errors=(400, 404),
)
def api_explain(query: schemas.ImageQuery) -> Explanation:
    """The FAQ checks one by one ("Can't find your image?")."""
    explanation = _plugin().explain(_usable(query.namespace), query.image)
    return Explanation.model_validate(explanation)


@declared(
    "filterImages",
    summary="Split images into those the namespace may deploy and the denied decisions",
    tag=TAG,
    gate=require_principal,
    body=schemas.FilterBody,
    body_description="The namespace (400 when missing or blank) and the image references.",
    ok=schemas.FilterResult,
    errors=(400, 403, 404, 422),
)
def api_filter(body: schemas.FilterBody) -> schemas.FilterResult:
    namespace = _usable(body.namespace)
    limit = int(current_app.config["MIRROR_FILTER_MAX_IMAGES"])
    if len(body.images) > limit:
        # Each image is a decision: an unbounded list holds a worker (MIRROR_FILTER_MAX_IMAGES).
        abort(
            422,
            description=_(
                "Send at most %(limit)s images per request (%(sent)s sent); "
                "split the list into several calls.",
                limit=limit,
                sent=len(body.images),
            ),
        )
    return schemas.FilterResult.model_validate(_plugin().filter_images(namespace, body.images))


def register(bp: Blueprint) -> None:
    """The deploy hook over HTTP."""
    bp.add_url_rule("/api/check", view_func=api_check, methods=["GET"])
    bp.add_url_rule("/api/explain", view_func=api_explain, methods=["GET"])
    bp.add_url_rule("/api/filter", view_func=api_filter, methods=["POST"])
