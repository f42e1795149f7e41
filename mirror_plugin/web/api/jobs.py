"""Job status in the JSON API, and what the API and pages show of a job.

A job is visible to whoever may see its integration (``integration_or_404``: others get the
same 404 as for a job that does not exist), and its failure is shown through
:mod:`mirror_plugin.web.disclosure`, in full to the platform Admin only, as for a sync in
the request. A picker's refresh is a member's job, of a registry she may not manage: its
status is also visible to whoever may start it (:func:`may_follow_refresh`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for
from flask.typing import ResponseReturnValue

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
from mirror_plugin.web.disclosure import shown_error
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


def may_follow_refresh(job: Job) -> bool:
    """May the current user follow this refresh job without seeing its registry? Who started
    it may, and so may whoever may start it: a user who may see its space through the
    namespace named by ``?namespace=`` (the picker sends it), since a second refresh of a space
    gets the first one's job, whoever started that."""
    if job.kind != "refresh" or job.space_id is None:
        return False
    principal = require_principal()
    if job.actor == principal.id:
        return True
    namespace = request.args.get("namespace", "").strip()
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


def job_json(job: Job) -> dict[str, Any]:
    error = shown_job_error(job)
    return {
        "id": job.id,
        "kind": job.kind,
        "integration_id": job.integration_id,
        "space_id": job.space_id,
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
    return accepted(job)


def accepted(job: Job) -> ResponseReturnValue:
    """The job as it is: 200 once it succeeded, else 202; ``Location`` is its status URL."""
    data = job_json(job)
    status = 200 if job.status == JobStatus.SUCCEEDED.value else 202
    return jsonify(data), status, {"Location": data["status_url"]}


def api_job(job_id: int) -> ResponseReturnValue:
    job = _job(job_id)
    if not may_follow_refresh(job):
        integration_or_404(job.integration_id)
    return jsonify(job_json(job))


def register(bp: Blueprint) -> None:
    """Job status in the JSON API."""
    bp.add_url_rule("/api/jobs/<mirror_id:job_id>", view_func=api_job, methods=["GET"])
