"""Cluster enforcement: a Kubernetes validating admission webhook applying the plugin's rule.

``review`` parses AdmissionReviews and finds a workload's images (pure), ``clusters`` keeps the
registered clusters and their hashed tokens, ``manifests`` writes the configuration the
cluster needs, ``webhook`` is the validating route, ``mutate`` the optional mutating one,
``pull_agent`` the cluster agent's pull-secret feed and ``cli`` the ``flask mirror cluster``
commands. :func:`register` adds the routes to the plugin's blueprint, and
:func:`mirror_plugin.admission.cli.register` the commands to the ``flask mirror`` group.
"""

from __future__ import annotations

from flask import Blueprint

from mirror_plugin.admission.mutate import admission_mutate
from mirror_plugin.admission.pull_agent import cluster_pull_secrets
from mirror_plugin.admission.webhook import admission_validate


def register(bp: Blueprint) -> None:
    """The cluster-facing routes: the two webhooks and the pull-secret agent's feed."""
    bp.add_url_rule("/admission/<cluster>/validate", view_func=admission_validate, methods=["POST"])
    bp.add_url_rule("/admission/<cluster>/mutate", view_func=admission_mutate, methods=["POST"])
    bp.add_url_rule(
        "/api/clusters/<cluster>/pull-secrets", view_func=cluster_pull_secrets, methods=["GET"]
    )
