"""Builders for plugin rows, so tests state the platform they need in one line each."""

from __future__ import annotations

from typing import Any

from flask import current_app

from mirror_plugin.models import Binding, Integration, Space
from mirror_plugin.policy.hostkey import registry_key
from mirror_plugin.services.registry_hosts import record_addresses


def session() -> Any:
    return current_app.extensions["mirror_plugin"].db.session


def integration(
    name: str, url: str, *, kind: str = "harbor", workspace_id: str = ""
) -> Integration:
    from urllib.parse import urlsplit

    netloc = urlsplit(url).netloc
    row = Integration(
        name=name,
        kind=kind,
        scope="workspace" if workspace_id else "platform",
        workspace_id=workspace_id,
        url=url,
        registry_host=registry_key(netloc),
    )
    record_addresses(row)
    session().add(row)
    session().flush()
    return row


def space(
    owner: Integration, name: str, *, public: bool = False, bound: tuple[str, ...] = ()
) -> Space:
    row = Space(integration=owner, name=name, public=public)
    session().add(row)
    session().flush()
    for workspace_id in bound:
        session().add(Binding(space=row, workspace_id=workspace_id))
    session().flush()
    return row
