"""AdmissionReviews as a Kubernetes API server sends them, for tests, the demo and benchmarks.

One builder for the envelope (``admission.k8s.io/v1``, Kubernetes API reference) and one for
a Deployment shaped exactly like ``kubectl create deployment NAME --image=... --dry-run=client
-o json`` prints it (``tests/test_admission_samples.py`` compares the two), so a host team
can drive its webhook set-up, the demo can seed decisions and the benchmarks can load the
endpoint without kubectl or a cluster, all with the same bodies.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from typing import Any

from mirror_plugin.admission.review import API_VERSION, KIND, KINDS
from mirror_plugin.policy.reference import InvalidReference, parse_reference

#: kind -> (API group, version, resource) of every kind the webhook judges.
RESOURCES: dict[str, tuple[str, str, str]] = {
    kind: (group, version, resource) for kind, (group, version, resource, _) in KINDS.items()
}


def container_name(image: str) -> str:
    """The container name kubectl gives ``--image=IMAGE``: the repository's last part."""
    try:
        path = parse_reference(image).path
    except InvalidReference:
        path = image.rsplit("@", 1)[0].rsplit(":", 1)[0]
    return path.rsplit("/", 1)[-1]


def deployment(name: str, images: Sequence[str], init: Sequence[str] = ()) -> dict[str, Any]:
    """``kubectl create deployment NAME --image=...`` (one flag per image), plus ``init``
    containers (kubectl cannot add those; named ``init0``, ``init1``...)."""
    labels = {"app": name}
    spec: dict[str, Any] = {
        "containers": [
            {"name": container_name(image), "image": image, "resources": {}} for image in images
        ]
    }
    if init:
        spec["initContainers"] = [
            {"name": f"init{n}", "image": image, "resources": {}} for n, image in enumerate(init)
        ]
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": dict(labels)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": dict(labels)},
                "spec": spec,
            },
            "strategy": {},
        },
        "status": {},
    }


def admission_review(
    obj: dict[str, Any] | None,
    *,
    namespace: str,
    username: str,
    kind: str | None = None,
    operation: str = "CREATE",
    old: dict[str, Any] | None = None,
    dry_run: bool = False,
    sub_resource: str | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    """The ``AdmissionReview`` the API server sends for ``obj`` (``old`` on UPDATE).

    ``kind`` defaults to the object's own; ``uid`` to a new UUID, as the API server's are.
    """
    kind = kind or (obj or old or {}).get("kind", "Pod")
    group, version, resource = RESOURCES[kind]
    gvk = {"group": group, "version": version, "kind": kind}
    gvr = {"group": group, "version": version, "resource": resource}
    name = ((obj or old or {}).get("metadata") or {}).get("name", "")
    request: dict[str, Any] = {
        "uid": uid or str(uuid.uuid4()),
        "kind": gvk,
        "resource": gvr,
        "requestKind": gvk,
        "requestResource": gvr,
        "name": name,
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": username, "groups": ["system:authenticated"]},
        "object": copy.deepcopy(obj),
        "oldObject": copy.deepcopy(old),
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": f"{operation.title()}Options"},
    }
    if sub_resource:
        request["subResource"] = request["requestSubResource"] = sub_resource
    return {"apiVersion": API_VERSION, "kind": KIND, "request": request}
