"""The kinds of background job: each calls the code that does the work, unchanged.

Importing this module registers them (the extension does, before any route or command runs).
"""

from __future__ import annotations

from typing import Any

from mirror_plugin.i18n import N_
from mirror_plugin.models import Integration, Space
from mirror_plugin.models.jobs import Job
from mirror_plugin.services.catalogue import refresh_repositories
from mirror_plugin.services.jobs import JobFailed, Progress, kind
from mirror_plugin.services.sync import sync
from mirror_plugin.state import session

SPACE_GONE = N_("The space was removed before its repositories could be listed again.")


@kind("sync")
def sync_job(job: Job, row: Integration, progress: Progress) -> dict[str, Any]:
    """Bring the integration's spaces in (``mirror_plugin.services.sync``); the report is the
    result."""
    report = sync(row, actor=job.actor, progress=progress)
    return {**report.to_dict(), "summary": report.summary}


@kind("refresh")
def refresh_job(job: Job, row: Integration, progress: Progress) -> dict[str, Any]:
    """List one space's repositories again (the picker's Refresh,
    :func:`mirror_plugin.services.catalogue.start_refresh`); the result says how many."""
    space = session().get(Space, job.space_id) if job.space_id is not None else None
    if space is None or space.integration_id != row.id:
        raise JobFailed(SPACE_GONE)
    found = refresh_repositories(space, row)
    progress(found, 0)
    return {"space_id": space.id, "space": space.name, "repositories": found}
