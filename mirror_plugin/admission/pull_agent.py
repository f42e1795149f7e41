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

from flask import abort, make_response, request
from werkzeug.wrappers import Response

from mirror_plugin.adapter import UnknownNamespace
from mirror_plugin.admission import clusters
from mirror_plugin.admission.webhook import _unauthorized, kubernetes_namespace
from mirror_plugin.services import pull_changes
from mirror_plugin.services.pull_secret import pull_secret
from mirror_plugin.state import host_adapter
from mirror_plugin.web.api.declare import declared
from mirror_plugin.web.schemas.pull import ClusterPullSecrets, PullSecretsQuery, SkippedNamespace
from mirror_plugin.web.views import _json_error

log = logging.getLogger(__name__)
ENDPOINT = "mirror_plugin.cluster_pull_secrets"


def _namespaces(workspaces: list[str]) -> list[str]:
    found: set[str] = set()
    for workspace in workspaces:
        found.update(host_adapter().namespaces_of_workspace(workspace))
    return sorted(found)


def secrets_of(
    cluster: str, workspaces: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
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


def _cluster_token() -> None:
    """The cluster's bearer token, checked before anything else is read: one 401 for an
    unknown cluster, a missing and a wrong token."""
    cluster = str((request.view_args or {}).get("cluster", ""))
    if clusters.authenticate(cluster, request.headers.get("Authorization")) is None:
        abort(make_response(_unauthorized()))


@declared(
    "clusterPullSecrets",
    summary="A cluster agent's pull Secrets: those that changed since a cursor",
    tag="Cluster agent",
    gate=_cluster_token,
    security="clusterToken",
    query=PullSecretsQuery,
    ok=ClusterPullSecrets,
    errors=(503,),
    description="Authenticated with the cluster's bearer token (flask mirror cluster add), "
    "never a session: 401 for any other caller. Without since, every namespace of the cluster.",
    path={"cluster": "Registered cluster."},
    path_schemas={"cluster": {"type": "string", "pattern": f"^{clusters.DNS_LABEL.pattern}$"}},
    headers={"Cache-Control": "no-store: the answer carries pull credentials."},
)
def cluster_pull_secrets(
    cluster: str, query: PullSecretsQuery
) -> tuple[ClusterPullSecrets, int, dict[str, str]] | tuple[Response, int]:
    """The changed pull Secrets of ``cluster``'s namespaces (bearer token of that cluster)."""
    since = query.since
    cursor = pull_changes.current()
    # A cursor from the future (a restored database): start over with everything.
    full = since is None or since > cursor
    try:
        if full:
            workspaces = [workspace.id for workspace in host_adapter().list_workspaces()]
        else:
            workspaces = pull_changes.changed_between(since or 0, cursor)
        manifests, skipped = secrets_of(cluster, workspaces)
    except Exception:  # noqa: BLE001 - the host adapter failed; the agent retries
        log.exception("mirror_plugin: listing the pull secrets of cluster %s failed", cluster)
        return _json_error(503, "The console could not list its namespaces; retry later.")
    answer = ClusterPullSecrets(
        cursor=cursor,
        full=full,
        secrets=manifests,
        skipped=[SkippedNamespace(**entry) for entry in skipped],
    )
    return answer, 200, {"Cache-Control": "no-store"}
