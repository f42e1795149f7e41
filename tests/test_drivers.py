"""One driver per registry kind: a kind added to the enum without a driver, or offered by
the CLI and the forms without one, fails here rather than as a KeyError in a sync."""

from __future__ import annotations

import pytest
from flask import Flask

from mirror_plugin.models import RegistryKind
from mirror_plugin.registry.drivers import driver_for
from mirror_plugin.services.integrations import KINDS


def test_every_kind_has_its_driver() -> None:
    for kind in RegistryKind:
        assert driver_for(kind.value).kind is kind
    with pytest.raises(ValueError):
        driver_for("quay")


def test_cli_and_forms_offer_every_kind(app: Flask) -> None:
    helped = app.test_cli_runner().invoke(args=["mirror", "registry", "add", "--help"])
    assert "[" + "|".join(kind.value for kind in RegistryKind) + "]" in helped.output
    assert KINDS == {"harbor": "Harbor", "docker": "Docker Registry"}
