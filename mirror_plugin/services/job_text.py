"""What a finished job says, in the reader's language.

A job runs outside any request, in no user's language: it stores msgids and counts, and the
page, the JSON API and the CLI turn them into sentences when someone reads them.
"""

from __future__ import annotations

from mirror_plugin.i18n import _, ngettext
from mirror_plugin.models.jobs import Job
from mirror_plugin.services.reworded import reworded
from mirror_plugin.services.sync import SyncReport


def job_error_text(job: Job) -> str:
    """The job's failure in full, in the reader's language: the job's own failures are msgids
    (jobs.UNEXPECTED, ...), stored untranslated because the job ran in no user's language; a
    registry's sentence was written in the job's (English) and is reworded when shown."""
    if job.error_category is None and job.error:
        return _(job.error, num=job.attempts)
    return reworded(job.error or "")


def result_summary(job: Job) -> str | None:
    """A finished job's summary in the reader's language: made again from the stored counts,
    since the job wrote its own summary in no user's language (it ran outside any request)."""
    if not job.result:
        return None
    if job.kind == "refresh":
        return ngettext(
            "Listed %(num)s repository in %(space)s.",
            "Listed %(num)s repositories in %(space)s.",
            int(job.result.get("repositories") or 0),
            space=str(job.result.get("space", "")),
        )
    names = SyncReport.__dataclass_fields__
    return SyncReport(**{k: v for k, v in job.result.items() if k in names}).summary
