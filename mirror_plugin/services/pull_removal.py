"""Deleting a platform Harbor's pull robots when its integration is removed.

The robots must go while the plugin still holds that Harbor's admin credentials: once the
integration is removed nothing (not even reconcile) can reach them, and a robot left behind
keeps pulling the projects it was given. The removal must not depend on Harbor answering,
though, so this is best effort: ``MIRROR_PULL_CONCURRENCY`` deletions at a time, all within one
``MIRROR_REGISTRY_DEADLINE``, and the first failure stops the rest (a Harbor that is down fails
them all alike). Robots Harbor did not confirm gone are named in the removal's audit event and
in what the page, the JSON API and the CLI answer, so an Admin can delete them by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app
from sqlalchemy import select

from mirror_plugin.i18n import ngettext
from mirror_plugin.models import Integration
from mirror_plugin.models.pull import PullRobot
from mirror_plugin.registry.budget import bounded_map
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.registry.harbor import HarborClient
from mirror_plugin.registry.harbor_robots import RobotClient
from mirror_plugin.services.pull import needs_robot
from mirror_plugin.services.registry_client import http_for_row
from mirror_plugin.state import session


@dataclass
class RobotRemoval:
    """What removing an integration did to its pull robots in Harbor (names only)."""

    deleted: list[str] = field(default_factory=list)
    #: Robots still in Harbor as far as the plugin knows: to delete by hand.
    left: list[str] = field(default_factory=list)
    error: str | None = None

    def __bool__(self) -> bool:
        return bool(self.deleted or self.left)

    @property
    def warning(self) -> str | None:
        """The sentence for the page and the CLI when robots are left, else None."""
        if not self.left:
            return None
        return ngettext(
            "Harbor did not confirm that %(num)s pull robot account was deleted (%(error)s); "
            "delete it by hand in Harbor: %(robots)s.",
            "Harbor did not confirm that %(num)s pull robot accounts were deleted (%(error)s); "
            "delete them by hand in Harbor: %(robots)s.",
            len(self.left),
            error=self.error,
            robots=", ".join(self.left),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "left": self.left, "error": self.error}


def delete_robots(row: Integration) -> RobotRemoval:
    """Delete ``row``'s pull robots from its Harbor; call before its credentials are gone.
    Never raises for Harbor errors: what could not be deleted is reported instead."""
    removal = RobotRemoval()
    if not needs_robot(row):
        return removal
    robots = cast(
        "Sequence[tuple[int, str]]",  # robot_id is never NULL here: the WHERE says so
        session()
        .execute(
            select(PullRobot.robot_id, PullRobot.robot_name)
            .where(PullRobot.integration_id == row.id, PullRobot.robot_id.is_not(None))
            .order_by(PullRobot.robot_name)
        )
        .all(),
    )
    if not robots:
        return removal
    client = RobotClient(HarborClient(http_for_row(row)))  # one budget for every deletion
    failed = threading.Event()

    def delete(robot: tuple[int, str]) -> str | None:
        """None when deleted, else why not (the error, or the failure that stopped it)."""
        if failed.is_set():
            return ""
        try:
            client.delete(robot[0])
            return None
        except RegistryError as exc:
            failed.set()
            return exc.message

    workers = max(1, int(current_app.config["MIRROR_PULL_CONCURRENCY"]))
    for (_, name), error in zip(robots, bounded_map(delete, robots, workers), strict=True):
        if error is None:
            removal.deleted.append(name)
        else:
            removal.left.append(name)
            removal.error = removal.error or error or None
    return removal
