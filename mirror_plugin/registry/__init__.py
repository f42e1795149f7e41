"""Registry clients: one guarded HTTP layer, Harbor's REST API and the Docker Registry v2 API."""

from __future__ import annotations

from mirror_plugin.registry.errors import RegistryError

__all__ = ["RegistryError"]
