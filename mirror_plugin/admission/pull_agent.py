"""``GET <MIRROR_URL_PREFIX>/api/clusters/<cluster>/pull-secrets?since=CURSOR``: what a
cluster agent applies so that each namespace holds its pull Secret.

The caller is the cluster's agent, authenticated with the same bearer token as the cluster's
admission webhook and nothing else (no console session: the same 401 for an unknown cluster, a
missing or a wrong token). The answer holds the ``kubernetes.io/dockerconfigjson`` Secrets
(named ``MIRROR_PULL_SECRET_NAME``) of the cluster's namespaces whose pull credentials changed
after ``since`` (every namespace of the cluster without it), and the ``cursor`` to send next
time. It is the one response of the plugin that carries robot secrets and warehouse passwords.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from mirror_plugin.adapter import UnknownNamespace
from mirror_plugin.admission import clusters
from mirror_plugin.admission.webhook import _unauthorized, kubernetes_namespace
from mirror_plugin.params import parse_int
from mirror_plugin.services import pull_changes
from mirror_plugin.services.pull_secret import pull_secret
from mirror_plugin.state import host_adapter
from mirror_plugin.web.views import _json_error

log = logging.getLogger(__name__)
ENDPOINT = "mirror_plugin.cluster_pull_secrets"
_MAX_CURSOR = 2**63 - 1


def _namespaces(workspaces: list[str]) -> list[str]:
    found: set[str] = set()
    for workspace in workspaces:
        found.update(host_adapter().namespaces_of_workspace(workspace))
    return sorted(found)


def secrets_of(cluster: str, workspaces: list[str]) -> tuple[list[dict[str, Any]], list[Any]]:
    """The Secrets of ``workspaces``' namespaces in ``cluster``, and those that cannot be one
    (a host namespace whose Kubernetes name is not a DNS label), each with the reason."""
    manifests: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for namespace in _namespaces(workspaces):
        k8s = kubernetes_namespace(cluster, namespace)
        if k8s is None:
            continue  # another cluster's namespace
        try:
            manifests.append(pull_secret(namespace).manifest(k8s))
        except UnknownNamespace:
            continue  # removed by the host meanwhile
        except ValueError as exc:
            skipped.append({"namespace": namespace, "error": str(exc)})
    return manifests, skipped


def cluster_pull_secrets(cluster: str) -> ResponseReturnValue:
    """The changed pull Secrets of ``cluster``'s namespaces (bearer token of that cluster)."""
    found = clusters.authenticate(cluster, request.headers.get("Authorization"))
    if found is None:
        return _unauthorized()
    raw = request.args.get("since")
    since = None if raw is None else parse_int(raw, low=0, high=_MAX_CURSOR)
    if raw is not None and since is None:
        return _json_error(
            400,
            "since must be the cursor a previous answer gave (a whole number, 0 or more); "
            "leave it out to get every namespace's Secret.",
        )
    cursor = pull_changes.current()
    # A cursor from the future (a restored database): start over with everything.
    full = since is None or since > cursor
    try:
        if full:
            workspaces = [workspace.id for workspace in host_adapter().list_workspaces()]
        else:
            workspaces = pull_changes.changed_between(since or 0, cursor)
        manifests, skipped = secrets_of(found.name, workspaces)
    except Exception:  # noqa: BLE001 - the host adapter failed; the agent retries
        log.exception("mirror_plugin: listing the pull secrets of cluster %s failed", found.name)
        return _json_error(503, "The console could not list its namespaces; retry later.")
    response = jsonify({"cursor": cursor, "full": full, "secrets": manifests, "skipped": skipped})
    response.headers["Cache-Control"] = "no-store"
    return response
