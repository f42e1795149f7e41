"""Registry clients: one guarded HTTP layer, Harbor's REST API and the Docker Registry v2 API."""

from __future__ import annotations

from .errors import RegistryError

__all__ = ["RegistryError"]
