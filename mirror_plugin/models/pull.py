"""Tables of pull access: one Harbor robot per (platform Harbor, workspace), and the outbox.

A bind or unbind never talks to Harbor: it adds a :class:`PullOutbox` row in its own
transaction, and the reconciler (:mod:`mirror_plugin.services.pull`) applies it later with
retries,
so a
slow or absent Harbor never fails or delays a binding and nothing is lost across a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mirror_plugin.models import MirrorBase, utcnow


class PullRobot(MirrorBase):
    """The Harbor robot account that lets one workspace's namespaces pull its bound private
    projects of one platform Harbor integration (and nothing else)."""

    __tablename__ = "mirror_pull_robots"
    __table_args__ = (UniqueConstraint("integration_id", "workspace_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("mirror_integrations.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[str] = mapped_column(String(255), index=True)
    #: Harbor's robot id; None until the robot exists in Harbor.
    robot_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The full login name, ``robot$...``.
    robot_name: Mapped[str] = mapped_column(String(300), default="")
    #: Fernet token of the robot's secret; never rendered, returned or logged except in the
    #: pull-secret outputs.
    secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    #: The projects the robot may pull, as last applied in Harbor.
    projects: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: None: the robot never expires.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class PullCounter(MirrorBase):
    """The one change counter of pull credentials (a single row, ``id`` 1).

    Bumped with ``UPDATE ... SET value = value + 1``, whose row lock is held until commit, so
    changes commit in counter order and a cluster agent's cursor never skips one that was
    still uncommitted when it polled."""

    __tablename__ = "mirror_pull_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class PullChange(MirrorBase):
    """The counter value of a workspace's last pull-credential change: what
    ``GET /api/clusters/<cluster>/pull-secrets?since=CURSOR`` compares the cursor with."""

    __tablename__ = "mirror_pull_changes"

    workspace_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PullOutbox(MirrorBase):
    """A robot change still to apply: "make (integration, workspace)'s robot match the
    bindings". Rows are written with the binding change and deleted once applied, so the
    table holds only what is still to do."""

    __tablename__ = "mirror_pull_outbox"
    __table_args__ = (Index("ix_mirror_pull_outbox_pending", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("mirror_integrations.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[str] = mapped_column(String(255), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Set by the first version of pull access, which kept applied rows; pending rows have
    #: None, and rows with a value are ignored and deleted with their pair's next success.
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace_id,
            "reason": self.reason,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "last_error": self.last_error,
        }


__all__ = ["PullChange", "PullCounter", "PullOutbox", "PullRobot"]
