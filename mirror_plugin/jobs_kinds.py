"""The kinds of background job: each calls the code that does the work, unchanged.

Importing this module registers them (the extension does, before any route or command runs).
"""

from __future__ import annotations

from typing import Any

from .jobs import Progress, kind
from .jobs_models import Job
from .models import Integration
from .sync import sync


@kind("sync")
def sync_job(job: Job, row: Integration, progress: Progress) -> dict[str, Any]:
    """Bring the integration's spaces in (``mirror_plugin.sync``); the report is the result."""
    report = sync(row, actor=job.actor, progress=progress)
    return {**report.to_dict(), "summary": report.summary}
