"""Workload objects and AdmissionReview envelopes for the admission webhook's tests.

Deployments, Jobs and CronJobs come from ``kubectl create ... --dry-run=client -o json`` (a
real client, offline); the kinds kubectl cannot make without a server (Pod, ReplicaSet,
StatefulSet, DaemonSet, ReplicationController, PodTemplate) are written from the Kubernetes
API reference, with the fields a real API server would hold. Envelopes follow the
``admission.k8s.io/v1`` AdmissionReview reference.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from typing import Any

from mirror_plugin.testing.admission import RESOURCES, admission_review

from .conftest import require_tool

__all__ = ["RESOURCES", "created", "kubectl", "review", "workload"]

KUBECTL = "/usr/bin/kubectl"


def kubectl_available() -> bool:
    return shutil.which("kubectl") is not None or shutil.which(KUBECTL) is not None


def kubectl(*args: str, stdin: str | None = None) -> str:
    require_tool(kubectl_available(), "kubectl")
    result = subprocess.run(
        [shutil.which("kubectl") or KUBECTL, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


PLACEHOLDER = "registry.example/placeholder:1"


@cache
def _created(kind: str) -> str:
    extra = ["--schedule=*/5 * * * *"] if kind == "cronjob" else []
    return kubectl(
        "create", kind, "web", f"--image={PLACEHOLDER}", *extra, "--dry-run=client", "-o", "json"
    )


def created(kind: str) -> dict[str, Any]:
    """``kubectl create deployment|job|cronjob web --image=... --dry-run=client -o json``."""
    return json.loads(_created(kind))  # type: ignore[no-any-return]


def _container(name: str, image: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def pod_spec(images: list[str], init: list[str] = (), ephemeral: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    spec: dict[str, Any] = {
        "containers": [_container(f"c{i}", image) for i, image in enumerate(images)],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
        "securityContext": {},
    }
    if init:
        spec["initContainers"] = [_container(f"init{i}", image) for i, image in enumerate(init)]
    if ephemeral:
        spec["ephemeralContainers"] = [
            {**_container(f"debugger-{i}", image), "targetContainerName": "c0"}
            for i, image in enumerate(ephemeral)
        ]
    return spec


def _template(spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "web"}}, "spec": spec}


def workload(kind: str, images: list[str], init: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """A ``kind`` object running ``images`` (and ``init`` containers)."""
    if kind in ("Deployment", "Job", "CronJob"):
        obj = created(kind.lower())
        spec = _spec_of(kind, obj)
        made = spec["containers"][0]
        spec["containers"] = [
            {**made, "name": f"c{i}", "image": image} for i, image in enumerate(images)
        ]
        if init:
            spec["initContainers"] = [
                {**made, "name": f"init{i}", "image": image} for i, image in enumerate(init)
            ]
        return obj
    group, version, _ = RESOURCES[kind]
    meta = {"name": "web", "namespace": "a-web", "labels": {"app": "web"}}
    head = {
        "apiVersion": f"{group}/{version}" if group else version,
        "kind": kind,
        "metadata": meta,
    }
    spec = pod_spec(images, init)
    selector = {"matchLabels": {"app": "web"}}
    if kind == "Pod":
        return {**head, "spec": spec}
    if kind == "PodTemplate":
        return {**head, "template": _template(spec)}
    if kind == "ReplicationController":
        return {
            **head,
            "spec": {"replicas": 1, "selector": {"app": "web"}, "template": _template(spec)},
        }
    body: dict[str, Any] = {"selector": selector, "template": _template(spec)}
    if kind == "StatefulSet":
        body |= {"serviceName": "web", "replicas": 1}
    if kind == "ReplicaSet":
        body |= {"replicas": 1}
    return {**head, "spec": body}


def _spec_of(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return obj["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def review(
    obj: dict[str, Any] | None,
    *,
    namespace: str = "a-web",
    username: str = "alice@example.com",
    **options: Any,
) -> dict[str, Any]:
    """An ``admission.k8s.io/v1`` AdmissionReview as the API server sends it (the plugin's
    own builder, with the tests' usual namespace and user)."""
    return admission_review(obj, namespace=namespace, username=username, **options)
