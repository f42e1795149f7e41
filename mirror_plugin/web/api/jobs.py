"""Job status in the JSON API, and what the API and pages show of a job.

A job is visible to whoever may see its integration (``integration_or_404``: others get the
same 404 as for a job that does not exist), and its failure is shown through
:mod:`mirror_plugin.web.disclosure`, in full to the platform Admin only, as for a sync in
the request. A picker's refresh is a member's job, of a registry she may not manage: its
status is also visible to whoever may start it (:func:`may_follow_refresh`).
"""

from __future__ import annotations

from flask import Blueprint, abort, url_for

from mirror_plugin.adapter import UnknownNamespace
from mirror_plugin.i18n import N_, _
from mirror_plugin.models import Integration
from mirror_plugin.models.jobs import Job, JobStatus
from mirror_plugin.params import is_id, iso
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.services.catalogue import visible_space
from mirror_plugin.services.job_text import job_error_text, result_summary
from mirror_plugin.services.jobs import run_or_wait, wait_timeout
from mirror_plugin.services.tenancy import namespace_workspace
from mirror_plugin.state import session
from mirror_plugin.web.access import may_use_namespace, require_principal
from mirror_plugin.web.api.declare import declared
from mirror_plugin.web.disclosure import shown_error
from mirror_plugin.web.schemas import shared as answers
from mirror_plugin.web.scopes import RegistryScope, integration_or_404

NOT_FOUND = N_("No such job here.")


def _job(job_id: int, integration_id: int | None = None, kind: str | None = None) -> Job:
    job = session().get(Job, job_id) if is_id(job_id) else None
    if (
        job is None
        or (integration_id is not None and job.integration_id != integration_id)
        or (kind is not None and job.kind != kind)
    ):
        abort(404, description=_(NOT_FOUND))
    return job


def job_or_404(
    job_id: int, integration_id: int | None = None
) -> tuple[Job, Integration, RegistryScope]:
    """A sync the current user may see (through its integration), or 404: what the job pages
    show (a picker's refresh is followed through the JSON API only)."""
    job = _job(job_id, integration_id, kind="sync")
    row, scope = integration_or_404(job.integration_id)
    return job, row, scope


def may_follow_refresh(job: Job, namespace: str) -> bool:
    """May the current user follow this refresh job without seeing its registry? Who started
    it may, and so may whoever may start it: a user who may see its space through the
    ``namespace`` (the picker sends it as ``?namespace=``), since a second refresh of a space
    gets the first one's job, whoever started that."""
    if job.kind != "refresh" or job.space_id is None:
        return False
    principal = require_principal()
    if job.actor == principal.id:
        return True
    if not namespace or not may_use_namespace(principal, namespace):
        return False
    try:
        workspace_id = namespace_workspace(namespace)
    except UnknownNamespace:
        return False
    return visible_space(workspace_id, job.space_id) is not None


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


def job_answer(job: Job) -> answers.Job:
    """The job as the API answers it: its failure as the current user may see it."""
    error = shown_job_error(job)
    return answers.Job(
        id=job.id,
        kind=job.kind,
        integration_id=job.integration_id,
        space_id=job.space_id,
        status=JobStatus(job.status),
        progress=job.progress or {},
        result={**job.result, "summary": result_summary(job)} if job.result else job.result,
        error=answers.JobError(category=error.category, message=error.message) if error else None,
        attempts=job.attempts,
        created_at=iso(job.created_at),
        started_at=iso(job.started_at),
        finished_at=iso(job.finished_at),
        status_url=url_for("mirror_plugin.api_job", job_id=job.id),
    )


def job_response(job: Job, *, wait: bool) -> tuple[answers.Job, int, dict[str, str]]:
    """202 with the job (its status URL in ``Location``); with ``wait`` (the route's
    :class:`~mirror_plugin.web.schemas.shared.WaitQuery`), the job run here or awaited: 200
    once it succeeded, its registry error's status once it failed."""
    if wait:
        job = run_or_wait(job.id, timeout=wait_timeout()) or job
        error = shown_job_error(job)
        if error is not None:
            raise error
    return accepted(job)


def accepted(job: Job) -> tuple[answers.Job, int, dict[str, str]]:
    """The job as it is: 200 once it succeeded, else 202; ``Location`` is its status URL."""
    answer = job_answer(job)
    status = 200 if job.status == JobStatus.SUCCEEDED.value else 202
    return answer, status, {"Location": answer.status_url}


@declared(
    "getJob",
    summary="A background job's status, progress and result",
    tag="Registries",
    gate=require_principal,
    query=answers.JobQuery,
    ok=answers.Job,
    errors=(404,),
    path={"job_id": "Background job id."},
    description="Visible to whoever may see the job's registry; a picker's refresh also to "
    "whoever started it or may start it (through the namespace given). Others: 404.",
)
def api_job(job_id: int, query: answers.JobQuery) -> answers.Job:
    job = _job(job_id)
    if not may_follow_refresh(job, query.namespace):
        integration_or_404(job.integration_id)
    return job_answer(job)


def register(bp: Blueprint) -> None:
    """Job status in the JSON API."""
    bp.add_url_rule("/api/jobs/<mirror_id:job_id>", view_func=api_job, methods=["GET"])
