"""The job table: long registry work (a sync, a refresh) done outside the request.

A row is the whole state of a job, so any process can show it: the page and the JSON API read
it, a runner in any worker or replica claims it. ``active_key`` is what keeps two jobs of one
kind from running at once for the same integration (or, for a job of one space such as the
picker's refresh, the same space), whichever replica starts them: it holds
``"<kind>:<integration id>"`` (``"<kind>:<space id>"``) while the job is queued or running and
NULL once it finished,
under a unique constraint (NULLs are distinct on PostgreSQL and SQLite alike), so the database
itself refuses a second active job and the caller returns the first one instead.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mirror_plugin.models import MirrorBase, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINISHED = (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value)


class Job(MirrorBase):
    """One piece of background work, its progress and its outcome."""

    __tablename__ = "mirror_jobs"
    __table_args__ = (UniqueConstraint("active_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: No foreign key: deleting an integration deletes its jobs (on the ``integration_changed``
    #: signal, :mod:`mirror_plugin.services.jobs`) in the plugin's own code, as it does for spaces.
    integration_id: Mapped[int] = mapped_column(Integer, index=True)
    #: The space a job of one space works on (the picker's refresh), NULL for a job of the
    #: whole integration (a sync). No foreign key either (migration 0012).
    space_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    #: {"done": n, "total": m, "unit": "spaces" | "repositories"}: what the work reported last.
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: A registry error's category and its sentence (shown through mirror_plugin.web.disclosure).
    error_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Who holds the job while it runs (host:pid:random); a retaken job gets a new one, so
    #: a worker that was presumed dead cannot overwrite its successor's outcome.
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Written every few seconds by the worker running it; an old one means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
