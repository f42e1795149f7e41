"""Talking to registries: the guarded HTTP layer, Harbor's and the Docker Registry's APIs, and a
driver per kind. May import ``policy`` and the foundation (``i18n``, ``models``), never
``services``, ``web`` or ``cli``."""

from __future__ import annotations

from mirror_plugin.registry.errors import RegistryError

__all__ = ["RegistryError"]
