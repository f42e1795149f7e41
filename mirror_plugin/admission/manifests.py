"""What ``flask mirror cluster add|config`` prints: the webhook configuration for the cluster
and the API server's files that send the cluster's token.

The YAML is written by a small block-style emitter (every string JSON-quoted, which YAML
reads as-is) so the plugin needs no YAML library at run time; the tests read it back with
PyYAML, kubectl and the official Kubernetes client's models.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from mirror_plugin.i18n import _
from mirror_plugin.models import Cluster

#: The workload kinds the webhook judges, as admission rules (API group, resources).
RULES: list[tuple[str, list[str]]] = [
    ("", ["pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"]),
    ("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
    ("batch", ["jobs", "cronjobs"]),
]
TOKEN_PLACEHOLDER = "<the token printed by `flask mirror cluster add` or `cluster rotate`>"
KUBECONFIG_PATH = "/etc/kubernetes/mirror-plugin/kubeconfig.yaml"
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists and JSON scalars."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        out = []
        for key, item in value.items():
            name = key if _PLAIN_KEY.fullmatch(key) else json.dumps(key)
            if isinstance(item, dict | list) and item:
                out.append(f"{pad}{name}:\n{to_yaml(item, indent + 2)}")
            else:
                out.append(f"{pad}{name}: {_scalar(item)}\n")
        return "".join(out)
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        out = []
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = to_yaml(item, indent + 2)
                out.append(f"{pad}- {nested[indent + 2 :]}")
            else:
                out.append(f"{pad}- {_scalar(item)}\n")
        return "".join(out)
    return pad + _scalar(value) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(value)


def ca_bundle_from_pem(pem: bytes) -> str:
    """``caBundle``: the PEM file base64-encoded, after checking it holds certificates."""
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError(_("The --ca-bundle file holds no PEM certificate (BEGIN CERTIFICATE)."))
    return base64.b64encode(pem).decode("ascii")


def endpoint(cluster: Cluster, action: str = "validate") -> str:
    """The webhook URL the API server calls for ``cluster`` (``validate`` or ``mutate``)."""
    prefix = current_app.config["MIRROR_URL_PREFIX"].rstrip("/")
    return f"{cluster.url}{prefix}/admission/{cluster.name}/{action}"


def _webhook(cluster: Cluster, action: str, name: str, rules: list[Any]) -> dict[str, Any]:
    client: dict[str, Any] = {"url": endpoint(cluster, action)}
    if cluster.ca_bundle:
        client["caBundle"] = cluster.ca_bundle
    webhook: dict[str, Any] = {
        "name": f"{cluster.name}.{name}.mirror-plugin",
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "timeoutSeconds": cluster.timeout_seconds,
        "failurePolicy": cluster.failure_policy,
        "matchPolicy": "Equivalent",
        "clientConfig": client,
        "rules": rules,
    }
    if cluster.exempt_namespaces:
        webhook["namespaceSelector"] = {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/metadata.name",
                    "operator": "NotIn",
                    "values": list(cluster.exempt_namespaces),
                }
            ]
        }
    return webhook


def webhook_configuration(cluster: Cluster) -> dict[str, Any]:
    """The ``ValidatingWebhookConfiguration`` (admissionregistration.k8s.io/v1)."""
    rules = [
        {
            "apiGroups": [group],
            "apiVersions": ["*"],
            "operations": ["CREATE", "UPDATE"],
            "resources": resources,
            "scope": "Namespaced",
        }
        for group, resources in RULES
    ]
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": f"mirror-plugin-{cluster.name}"},
        "webhooks": [_webhook(cluster, "validate", "images", rules)],
    }


def mutating_configuration(cluster: Cluster) -> dict[str, Any]:
    """The ``MutatingWebhookConfiguration`` adding the pull secret to new Pods (Pods only:
    a Pod's ``imagePullSecrets`` cannot change after creation, and every workload's Pods
    pass here). ``reinvocationPolicy: IfNeeded``: another mutating webhook that changes the
    Pod's images after this one ran gets this one asked again."""
    rules = [
        {
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "operations": ["CREATE"],
            "resources": ["pods"],
            "scope": "Namespaced",
        }
    ]
    webhook = _webhook(cluster, "mutate", "pull-secrets", rules)
    webhook["reinvocationPolicy"] = "IfNeeded"
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": f"mirror-plugin-{cluster.name}"},
        "webhooks": [webhook],
    }


def admission_configuration(mutate: bool = False) -> dict[str, Any]:
    """The file named by kube-apiserver's ``--admission-control-config-file`` (each admission
    plugin reads its own kubeconfig entry: the mutating one too when it is on)."""
    names = ["ValidatingAdmissionWebhook"] + (["MutatingAdmissionWebhook"] if mutate else [])
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": name,
                "configuration": {
                    "apiVersion": "apiserver.config.k8s.io/v1",
                    "kind": "WebhookAdmissionConfiguration",
                    "kubeConfigFile": KUBECONFIG_PATH,
                },
            }
            for name in names
        ],
    }


def kubeconfig(cluster: Cluster, token: str | None) -> dict[str, Any]:
    """The kubeconfig the API server reads: a user named after the webhook's host[:port]."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "users": [
            {"name": urlsplit(cluster.url).netloc, "user": {"token": token or TOKEN_PLACEHOLDER}}
        ],
    }


def render(cluster: Cluster, token: str | None) -> str:
    """All the documents with comments saying where each goes (the mutating webhook's
    configuration only when it is on for the cluster)."""
    mutating = (
        "---\n# 1b. The mutating webhook (pull secrets), also: kubectl apply -f -\n"
        + to_yaml(mutating_configuration(cluster))
        if cluster.mutate
        else ""
    )
    return (
        "# 1. Apply to the cluster: kubectl apply -f -\n---\n"
        + to_yaml(webhook_configuration(cluster))
        + mutating
        + "---\n# 2. kube-apiserver --admission-control-config-file=<this file>\n"
        + to_yaml(admission_configuration(bool(cluster.mutate)))
        + f"---\n# 3. {KUBECONFIG_PATH} on every control-plane node (keep it secret)\n"
        + to_yaml(kubeconfig(cluster, token))
    )
