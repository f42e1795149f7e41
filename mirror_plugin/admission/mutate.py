"""``POST <MIRROR_URL_PREFIX>/admission/<cluster>/mutate``: the optional mutating webhook.

Off unless the Admin turns it on for the cluster (``cluster add --mutate on`` or ``cluster
mutate NAME on``). It adds the namespace's pull secret (``MIRROR_PULL_SECRET_NAME``, the
Secret a cluster agent applies from ``/api/clusters/<cluster>/pull-secrets``) to the
``imagePullSecrets`` of a Pod created with an image from a registry that Secret has
credentials for, unless the Pod lists it already. It never refuses anything: the validating
webhook decides; this one only answers ``allowed`` with a JSONPatch or without one. It is
authenticated exactly like ``/validate`` (the cluster's bearer token, nothing else).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue

from mirror_plugin.adapter import UnknownNamespace
from mirror_plugin.admission import clusters
from mirror_plugin.admission.review import BadReview, Review, answer, images_of, pod_spec
from mirror_plugin.admission.webhook import console_namespace, serve
from mirror_plugin.policy.hostkey import registry_key
from mirror_plugin.policy.reference import InvalidReference, parse_reference
from mirror_plugin.services.pull_secret import pull_secret

ENDPOINT = "mirror_plugin.admission_mutate"


def _listed(spec: dict[str, Any]) -> list[str] | None:
    """Names in ``spec.imagePullSecrets``; ``None`` when the Pod has no such list."""
    entries = spec.get("imagePullSecrets")
    if entries is None:
        return None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadReview("request.object.spec.imagePullSecrets must be a list of objects.")
    return [str(entry.get("name") or "") for entry in entries]


def _needs_secret(namespace: str, images: list[str]) -> bool:
    """Whether the namespace's pull secret has credentials for the registry of an image."""
    try:
        hosts = {registry_key(host) for host in pull_secret(namespace).registries}
    except UnknownNamespace:
        return False
    for image in images:
        try:
            domain = parse_reference(image).domain
        except InvalidReference:
            continue  # the validating webhook explains it; nothing to pull with here
        if registry_key(domain) in hosts:
            return True
    return False


def pod_patch(cluster: clusters.Caller, review: Review, obj: Any) -> list[dict[str, Any]]:
    """The JSONPatch for a Pod CREATE (empty: nothing to add)."""
    if (
        not cluster.mutate
        or review.kind != "Pod"
        or review.operation != "CREATE"
        or review.subresource
        or review.namespace in cluster.exempt_namespaces
    ):
        return []
    spec = pod_spec("Pod", obj)
    images = images_of("Pod", obj)
    if not spec or not images:
        return []
    name = str(current_app.config["MIRROR_PULL_SECRET_NAME"])
    listed = _listed(spec)
    if listed is not None and name in listed:
        return []
    mapped = console_namespace(cluster.name, review.namespace)
    if mapped is None or not _needs_secret(mapped, images):
        return []
    if listed is None:
        return [{"op": "add", "path": "/spec/imagePullSecrets", "value": [{"name": name}]}]
    return [{"op": "add", "path": "/spec/imagePullSecrets/-", "value": {"name": name}}]


def mutate(cluster: clusters.Caller, review: Review, obj: Any) -> dict[str, Any]:
    """The AdmissionReview answer: always allowed, with a base64 JSONPatch when one applies."""
    if review.kind == "Pod" and review.operation == "CREATE" and not review.namespace:
        raise BadReview("request.namespace is required: Pods are namespaced.")
    result = answer(review.uid, allowed=True)
    patch = pod_patch(cluster, review, obj)
    if patch:
        encoded = json.dumps(patch, separators=(",", ":")).encode()
        result["response"]["patchType"] = "JSONPatch"
        result["response"]["patch"] = base64.b64encode(encoded).decode("ascii")
    return result


def admission_mutate(cluster: str) -> ResponseReturnValue:
    """Answer one AdmissionReview for ``cluster`` (bearer token of that cluster only)."""
    return serve(cluster, mutate)
