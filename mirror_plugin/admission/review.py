"""``AdmissionReview`` (``admission.k8s.io/v1``) in and out, and the images of a workload.

Pure functions over decoded JSON: nothing here touches Flask, the database or the rule, so
the parsing can be tested (and fuzzed) on its own. A review the API server would never send
raises :class:`BadReview` with a sentence saying what is wrong; the route answers it 400.

Where the Pod spec lives, per kind (Kubernetes API reference):

- Pod: ``spec``; EphemeralContainers (the ``pods/ephemeralcontainers`` subresource before
  Kubernetes 1.22): the object itself holds ``ephemeralContainers``;
- Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController:
  ``spec.template.spec``; PodTemplate: ``template.spec``;
- CronJob: ``spec.jobTemplate.spec.template.spec``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
#: Every workload kind judged: its (API group, version, resource), and the path from the
#: object to its Pod spec.
KINDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "Pod": ("", "v1", "pods", ("spec",)),
    "ReplicationController": ("", "v1", "replicationcontrollers", ("spec", "template", "spec")),
    "PodTemplate": ("", "v1", "podtemplates", ("template", "spec")),
    "Deployment": ("apps", "v1", "deployments", ("spec", "template", "spec")),
    "ReplicaSet": ("apps", "v1", "replicasets", ("spec", "template", "spec")),
    "StatefulSet": ("apps", "v1", "statefulsets", ("spec", "template", "spec")),
    "DaemonSet": ("apps", "v1", "daemonsets", ("spec", "template", "spec")),
    "Job": ("batch", "v1", "jobs", ("spec", "template", "spec")),
    "CronJob": ("batch", "v1", "cronjobs", ("spec", "jobTemplate", "spec", "template", "spec")),
}
#: The path from the object to its Pod spec, per ``request.kind.kind`` (an old API server's
#: EphemeralContainers object holds ``ephemeralContainers`` itself).
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    kind: path for kind, (_, _, _, path) in KINDS.items()
} | {"EphemeralContainers": ()}
JUDGED_OPERATIONS = frozenset({"CREATE", "UPDATE"})
#: The built-in controllers (kube-controller-manager's own identity and, with
#: --use-service-account-credentials, its per-controller service accounts). What they create
#: (ReplicaSets of a Deployment, Jobs of a CronJob, Pods of the rest) copies a template that
#: was judged when its workload was created or changed; judging the copy again would stop an
#: existing workload from scaling after an unbind. Nobody else can act as these users without
#: impersonation rights in kube-system.
CONTROLLER_USERS = frozenset(
    {"system:kube-controller-manager"}
    | {
        f"system:serviceaccount:kube-system:{name}"
        for name in (
            "deployment-controller",
            "replicaset-controller",
            "statefulset-controller",
            "daemon-set-controller",
            "job-controller",
            "cronjob-controller",
            "replication-controller",
        )
    }
)


class BadReview(ValueError):
    """The body is not an AdmissionReview this endpoint can answer (a 400 with this text)."""


@dataclass(frozen=True, slots=True)
class Review:
    """The parts of an admission request the webhook uses."""

    uid: str
    kind: str
    operation: str
    namespace: str
    name: str
    username: str
    dry_run: bool
    subresource: str = ""
    #: Images the request adds: every image on CREATE, those not in oldObject on UPDATE.
    images: tuple[str, ...] = field(default_factory=tuple)


def _field(container: dict[str, Any], key: str, expected: type, where: str) -> Any:
    value = container.get(key)
    if value is not None and not isinstance(value, expected):
        raise BadReview(f"{where}.{key} must be a {expected.__name__}.")
    return value


def pod_spec(kind: str, obj: Any, where: str = "request.object") -> dict[str, Any] | None:
    """The Pod spec inside ``obj`` for a workload ``kind``; ``None`` for other kinds."""
    path = POD_SPEC_PATHS.get(kind)
    if path is None or obj is None:
        return None
    node = obj
    for key in path:
        if not isinstance(node, dict):
            raise BadReview(f"{where} must be an object.")
        where, node = f"{where}.{key}", node.get(key)
        if node is None:
            return {}
    if not isinstance(node, dict):
        raise BadReview(f"{where} must be an object.")
    return node


def images_of(kind: str, obj: Any, where: str = "request.object") -> list[str]:
    """Every image of the workload, init and ephemeral containers included, in spec order.

    A container without ``image`` is skipped: the API server's own validation refuses those
    before validating webhooks run, and PodTemplates may leave it to be filled later.
    """
    spec = pod_spec(kind, obj, where)
    if not spec:
        return []
    found: list[str] = []
    for key in CONTAINER_LISTS:
        containers = _field(spec, key, list, where) or []
        for index, container in enumerate(containers):
            place = f"{where}.{key}[{index}]"
            if not isinstance(container, dict):
                raise BadReview(f"{place} must be an object.")
            image = _field(container, "image", str, place)
            if image is not None:
                found.append(image)
    return found


def _unique(images: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(images))


def _text(request: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = request.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise BadReview(f"request.{key} must be a non-empty string.")
    return value


def parse_review(body: Any) -> Review:
    """Check the envelope and pick out what the decision needs.

    Raises :class:`BadReview` for anything but an ``admission.k8s.io/v1`` AdmissionReview
    with a request (``admission.k8s.io/v1beta1`` is refused: the generated configuration
    asks for ``v1`` only).
    """
    if not isinstance(body, dict):
        raise BadReview("Send an AdmissionReview JSON object.")
    if body.get("apiVersion") != API_VERSION or body.get("kind") != KIND:
        raise BadReview(
            f"Only apiVersion {API_VERSION!r}, kind {KIND!r} is understood "
            f"(got apiVersion {str(body.get('apiVersion'))[:40]!r}, "
            f"kind {str(body.get('kind'))[:40]!r}); set admissionReviewVersions to ['v1']."
        )
    request = body.get("request")
    if not isinstance(request, dict):
        raise BadReview("The AdmissionReview has no 'request' object.")
    uid = _text(request, "uid", required=True)
    operation = _text(request, "operation", required=True)
    kind_block = request.get("kind")
    if not isinstance(kind_block, dict) or not isinstance(kind_block.get("kind"), str):
        raise BadReview("request.kind must be an object with a 'kind' string.")
    kind = kind_block["kind"]
    user = request.get("userInfo") or {}
    if not isinstance(user, dict):
        raise BadReview("request.userInfo must be an object.")
    username = user.get("username") or ""
    if not isinstance(username, str):
        raise BadReview("request.userInfo.username must be a string.")
    dry_run = request.get("dryRun", False)
    if dry_run is None:
        dry_run = False
    if not isinstance(dry_run, bool):
        raise BadReview("request.dryRun must be true or false.")
    images: tuple[str, ...] = ()
    if operation == "CREATE" and username in CONTROLLER_USERS:
        pass  # a copy of a judged template (see CONTROLLER_USERS)
    elif operation in JUDGED_OPERATIONS:
        added = images_of(kind, request.get("object"))
        if operation == "UPDATE":
            before = set(images_of(kind, request.get("oldObject"), "request.oldObject"))
            added = [image for image in added if image not in before]
        images = _unique(added)
    return Review(
        uid=uid,
        kind=kind,
        operation=operation,
        namespace=_text(request, "namespace"),
        name=_text(request, "name"),
        username=username,
        dry_run=dry_run,
        subresource=_text(request, "subResource"),
        images=images,
    )


def answer(
    uid: str,
    *,
    allowed: bool,
    message: str = "",
    warnings: Iterable[str] = (),
    code: int | None = None,
) -> dict[str, Any]:
    """The AdmissionReview response the API server reads (``uid`` is the request's)."""
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed:
        response["status"] = {"code": code or 403, "reason": "Forbidden", "message": message}
    elif message:
        response["status"] = {"code": code or 200, "message": message}
    warnings = list(warnings)
    if warnings:
        response["warnings"] = warnings
    return {"apiVersion": API_VERSION, "kind": KIND, "response": response}
