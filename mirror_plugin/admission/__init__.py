"""Cluster enforcement: a Kubernetes validating admission webhook applying the plugin's rule.

``review`` parses AdmissionReviews and finds a workload's images (pure), ``clusters`` keeps the
registered clusters and their hashed tokens, ``manifests`` writes the configuration the
cluster needs, ``webhook`` is the validating route, ``mutate`` the optional mutating one,
``pull_agent`` the cluster agent's pull-secret feed and ``cli`` the ``flask mirror cluster``
commands. Importing the package registers the routes and the commands.
"""

from __future__ import annotations

from mirror_plugin.admission import cli, mutate, pull_agent, webhook  # noqa: F401  (registers commands and routes)
