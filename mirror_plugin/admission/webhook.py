"""``POST <MIRROR_URL_PREFIX>/admission/<cluster>/validate``: the validating admission webhook.

The cluster's API server is the only caller: the cluster's bearer token is the only
credential (no console session, so no CSRF check and no login redirect: see
``csrf.EXEMPT_ENDPOINTS``). Each image the request adds goes through the plugin's own
``check_image``, so the cluster refuses exactly what the picker hides and the deploy hook
refuses, with the same reason codes and sentences.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from mirror_plugin.adapter import default_console_namespace, default_kubernetes_namespace
from mirror_plugin.admission import clusters
from mirror_plugin.admission.review import BadReview, Review, answer, parse_review
from mirror_plugin.display import visible
from mirror_plugin.i18n import DEFAULT_LOCALE, set_request_locale
from mirror_plugin.policy.rule import Decision, Reason
from mirror_plugin.services import audit
from mirror_plugin.state import mirror_state
from mirror_plugin.web.views import _json_error

log = logging.getLogger(__name__)
ENDPOINT = "mirror_plugin.admission_validate"


def _unauthorized() -> ResponseReturnValue:
    """The one answer for an unknown cluster and a wrong or missing token."""
    body, status = _json_error(401, "Unauthorized.")
    return body, status, {"WWW-Authenticate": 'Bearer realm="mirror-plugin-admission"'}


def _body() -> Any:
    """The decoded JSON body, read up to ``MIRROR_ADMISSION_MAX_REQUEST_BYTES``."""
    limit = int(current_app.config["MIRROR_ADMISSION_MAX_REQUEST_BYTES"])
    too_big = BadReview(f"The AdmissionReview is larger than the {limit} bytes accepted here.")
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise too_big
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadReview("The body is not JSON; send an AdmissionReview object.") from None


def console_namespace(cluster: str, namespace: str) -> str | None:
    """The host's namespace id for a Kubernetes namespace (adapter method, or the default)."""
    host = mirror_state().host
    method = getattr(host, "console_namespace", None)
    if method is None:
        return default_console_namespace(cluster, namespace)
    return method(cluster, namespace)  # type: ignore[no-any-return]


def kubernetes_namespace(cluster: str, console: str) -> str | None:
    """The Kubernetes namespace of host namespace ``console`` in ``cluster`` (adapter method,
    or the default), ``None`` when it is not in that cluster."""
    host = mirror_state().host
    method = getattr(host, "kubernetes_namespace", None)
    if method is None:
        return default_kubernetes_namespace(cluster, console)
    return method(cluster, console)  # type: ignore[no-any-return]


def _decisions(cluster: clusters.Caller, review: Review) -> list[Decision]:
    mapped = console_namespace(cluster.name, review.namespace)
    if mapped is None:
        message = (
            f"Kubernetes namespace {review.namespace!r} of cluster {cluster.name!r} is not a "
            "console namespace; create it in the console first."
        )
        return [
            Decision(False, Reason.UNKNOWN_NAMESPACE, message, image, review.namespace)
            for image in review.images
        ]
    return mirror_state().plugin.check_images(mapped, review.images)


def _short(text: str) -> str:
    return visible(text if len(text) <= 120 else text[:117] + "...")


def _line(decision: Decision) -> str:
    return f"{_short(decision.image)} ({decision.reason.value}): {visible(decision.message)}"


def _record(
    cluster: clusters.Caller, review: Review, outcome: str, refused: list[Decision]
) -> None:
    """Count the decision and audit refusals; a failing database never changes the answer."""
    session = clusters.session()
    try:
        written = clusters.count(cluster, outcome)
        if refused:
            audit.record(
                session,
                actor=(review.username or "(unknown Kubernetes user)")[:255],
                action=f"admission.{outcome}",
                workspaces=[d.workspace_id for d in refused if d.workspace_id],
                cluster=cluster.name,
                namespace=review.namespace[:253],
                kind=review.kind[:63],
                name=review.name[:253],
                operation=review.operation,
                images=[{"image": _short(d.image), "reason": d.reason.value} for d in refused],
            )
        if written or refused:
            session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("admission %s for cluster %s not recorded: %s", outcome, cluster.name, exc)


def judge(cluster: clusters.Caller, review: Review) -> dict[str, Any]:
    """The AdmissionReview answer for ``review``; counts and audits unless it is a dry run."""
    if review.namespace in cluster.exempt_namespaces:
        return answer(review.uid, allowed=True)
    refused = [d for d in _decisions(cluster, review) if not d.allowed]
    if not refused:
        outcome, result = "allowed", answer(review.uid, allowed=True)
    elif cluster.mode == "warn":
        outcome = "warned"
        result = answer(
            review.uid,
            allowed=True,
            warnings=[f"Mirror Warehouse would refuse {_line(d)}" for d in refused],
        )
    else:
        outcome = "denied"
        result = answer(
            review.uid,
            allowed=False,
            code=403,
            message=f"The Mirror Warehouse refused {len(refused)} image(s) for namespace "
            f"{review.namespace}: " + "; ".join(_line(d) for d in refused),
        )
    if not review.dry_run:
        _record(cluster, review, outcome, refused)
    return result


#: What a route makes of an authenticated, parsed review: the AdmissionReview answer (the
#: third argument is ``request.object`` as sent), or :class:`BadReview` for a 400.
Responder = Callable[[clusters.Caller, Review, Any], dict[str, Any]]


def serve(cluster: str, respond: Responder) -> ResponseReturnValue:
    """One admission request to ``cluster``'s URL, for both webhooks: only that cluster's
    bearer token (else the one 401), the body read within its bound, parsed as a v1 review,
    answered by ``respond``; a review this endpoint cannot answer is a 400 saying why.

    In English: the API server has no user language (its message reaches whoever ran
    kubectl), so the adapter's ``locale()`` is not asked; reason codes are English ids anyway.
    """
    set_request_locale(DEFAULT_LOCALE)
    found = clusters.authenticate(cluster, request.headers.get("Authorization"))
    if found is None:
        return _unauthorized()
    try:
        body = _body()
        review = parse_review(body)
        return jsonify(respond(found, review, body["request"].get("object")))
    except BadReview as exc:
        return _json_error(400, str(exc))


def validate(cluster: clusters.Caller, review: Review, obj: Any) -> dict[str, Any]:
    """The validating webhook's answer (:func:`judge`) to a review that names its namespace."""
    if review.images and not review.namespace:
        raise BadReview("request.namespace is required: every judged kind is namespaced.")
    return judge(cluster, review)


def admission_validate(cluster: str) -> ResponseReturnValue:
    """Answer one AdmissionReview for ``cluster`` (bearer token of that cluster only)."""
    return serve(cluster, validate)
