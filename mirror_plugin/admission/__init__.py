"""Cluster enforcement: a Kubernetes validating admission webhook applying the plugin's rule.

``review`` parses AdmissionReviews and finds a workload's images (pure), ``clusters`` keeps the
registered clusters and their hashed tokens, ``manifests`` writes the configuration the
cluster needs, ``webhook`` is the route and ``cli`` the ``flask mirror cluster`` commands.
Importing the package registers the route and the commands.
"""

from __future__ import annotations

from . import cli, webhook  # noqa: F401  (registers the commands and the route)
