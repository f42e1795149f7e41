"""The kinds of background job: each calls the code that does the work, unchanged.

Importing this module registers them (the extension does, before any route or command runs).
"""

from __future__ import annotations

from typing import Any

from mirror_plugin.models import Integration
from mirror_plugin.models.jobs import Job
from mirror_plugin.services.jobs import Progress, kind
from mirror_plugin.services.sync import sync


@kind("sync")
def sync_job(job: Job, row: Integration, progress: Progress) -> dict[str, Any]:
    """Bring the integration's spaces in (``mirror_plugin.services.sync``); the report is the
    result."""
    report = sync(row, actor=job.actor, progress=progress)
    return {**report.to_dict(), "summary": report.summary}
