"""Job status in the JSON API, and what the API and pages show of a job.

A job is visible to whoever may see its integration (``integration_or_404``: others get the
same 404 as for a job that does not exist), and its failure is shown through
:mod:`mirror_plugin.disclosure`, in full to the platform Admin only, as for a sync in the request.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from .disclosure import shown_error
from .i18n import N_, _
from .integrations import session
from .jobs import run_or_wait, wait_timeout
from .jobs_models import Job, JobStatus
from .models import Integration
from .params import is_id, iso
from .registry.errors import Category, RegistryError
from .reworded import reworded
from .scopes import RegistryScope, integration_or_404
from .sync import SyncReport
from .views import blueprint

NOT_FOUND = N_("No such job here.")


def job_or_404(
    job_id: int, integration_id: int | None = None
) -> tuple[Job, Integration, RegistryScope]:
    """A job the current user may see (through its integration), or 404."""
    job = session().get(Job, job_id) if is_id(job_id) else None
    if job is None or (integration_id is not None and job.integration_id != integration_id):
        abort(404, description=_(NOT_FOUND))
    row, scope = integration_or_404(job.integration_id)
    return job, row, scope


def job_error_text(job: Job) -> str:
    """The job's failure in full, in the reader's language: the job's own failures are msgids
    (jobs.UNEXPECTED, ...), stored untranslated because the job ran in no user's language; a
    registry's sentence was written in the job's (English) and is reworded when shown."""
    if job.error_category is None and job.error:
        return _(job.error, num=job.attempts)
    return reworded(job.error or "")


def shown_job_error(job: Job) -> RegistryError | None:
    """The job's failure as the current user may see it."""
    if job.status != JobStatus.FAILED.value or not job.error:
        return None
    if job.error_category is None:  # not a registry failure: a sentence of ours
        return RegistryError(Category.SERVER_ERROR, job_error_text(job))
    try:
        category = Category(job.error_category)
    except ValueError:
        category = Category.UNREACHABLE
    return shown_error(RegistryError(category, job.error))


def result_summary(job: Job) -> str | None:
    """A finished sync's summary in the reader's language: made again from the stored counts,
    since the job wrote its own summary in no user's language (it ran outside any request)."""
    if not job.result:
        return None
    names = SyncReport.__dataclass_fields__
    return SyncReport(**{k: v for k, v in job.result.items() if k in names}).summary


def job_json(job: Job) -> dict[str, Any]:
    error = shown_job_error(job)
    return {
        "id": job.id,
        "kind": job.kind,
        "integration_id": job.integration_id,
        "status": job.status,
        "progress": job.progress or {},
        "result": {**job.result, "summary": result_summary(job)} if job.result else job.result,
        "error": {"category": error.category.value, "message": error.message} if error else None,
        "attempts": job.attempts,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "status_url": url_for("mirror_plugin.api_job", job_id=job.id),
    }


def wants_wait() -> bool:
    """``?wait=true``: the caller (a script that used to get the report) waits for the job."""
    value = request.args.get("wait", "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        abort(422, description=_("wait must be true or false."))
    return value in ("true", "1")


def job_response(job: Job) -> ResponseReturnValue:
    """202 with the job (its status URL in ``Location``); with ``?wait=true``, the job run here
    or awaited: 200 once it succeeded, its registry error's status once it failed."""
    if wants_wait():
        job = run_or_wait(job.id, timeout=wait_timeout()) or job
        error = shown_job_error(job)
        if error is not None:
            raise error
    data = job_json(job)
    status = 200 if job.status == JobStatus.SUCCEEDED.value else 202
    return jsonify(data), status, {"Location": data["status_url"]}


@blueprint.get("/api/jobs/<mirror_id:job_id>")
def api_job(job_id: int) -> ResponseReturnValue:
    job, _, _ = job_or_404(job_id)
    return jsonify(job_json(job))
