"""Pages for Warehouse Integration (platform Admin) and workspace warehouses (Workspace Admin).

The same views serve both: the URL says which scope, :mod:`mirror_plugin.web.scopes` decides who
may see and manage it. Every action works as a plain form post, without JavaScript.

Actions that contact the registry count against the user's registry limit; over it, the page
says so in an error message (a flash) instead of calling the registry. Registry failures are
shown through :mod:`mirror_plugin.web.disclosure` (in full to the platform Admin only).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from mirror_plugin.i18n import _, ngettext
from mirror_plugin.models import Integration
from mirror_plugin.params import parse_int
from mirror_plugin.services import integrations as service
from mirror_plugin.services import spaces
from mirror_plugin.services.errors import Conflict, InvalidInput, ProbeFailed
from mirror_plugin.services.job_text import result_summary
from mirror_plugin.services.jobs import enqueue
from mirror_plugin.state import session
from mirror_plugin.web.access import require_fresh_login, require_principal
from mirror_plugin.web.api.integrations import integration_counts, list_in
from mirror_plugin.web.api.jobs import job_or_404, shown_job_error
from mirror_plugin.web.disclosure import first_sync_shown, shown_last_error, shown_report
from mirror_plugin.web.forms import IntegrationForm
from mirror_plugin.web.ratelimit import RegistryCallsExceeded, limit_registry_call
from mirror_plugin.web.scopes import RegistryScope, integration_or_404, resolve


def _routes(bp: Blueprint, rule: str, endpoint: str, view: Any, methods: list[str]) -> None:
    """Mount a view under the platform prefix and under a workspace's prefix."""
    bp.add_url_rule(f"/integrations{rule}", f"platform_{endpoint}", view, methods=methods)
    bp.add_url_rule(
        f"/workspaces/<workspace_id>/warehouses{rule}",
        f"workspace_{endpoint}",
        view,
        methods=methods,
    )


def scope_url(scope: RegistryScope, endpoint: str, **values: Any) -> str:
    if scope.is_platform:
        return url_for(f"mirror_plugin.platform_{endpoint}", **values)
    return url_for(f"mirror_plugin.workspace_{endpoint}", workspace_id=scope.workspace_id, **values)


def _disclosure_globals() -> dict[str, Any]:
    """``mirror_last_error(row)``: a registry's stored error as the current user may see it."""
    return {"mirror_last_error": lambda row: shown_last_error(row.last_error)}


def _render(template: str, scope: RegistryScope, **context: Any) -> str:
    return render_template(f"mirror_plugin/{template}", scope=scope, scope_url=scope_url, **context)


def list_view(workspace_id: str | None = None) -> ResponseReturnValue:
    scope = resolve(workspace_id)
    search = request.args.get("q", "").strip()
    rows = list_in(scope, search)
    return _render(
        "integrations.html",
        scope,
        rows=rows,
        counts=integration_counts([r.id for r in rows]),
        search=search,
    )


def _form_page(
    scope: RegistryScope,
    form: IntegrationForm,
    row: Integration | None,
    report: Any = None,
    status: int = 200,
) -> ResponseReturnValue:
    return _render("integration_form.html", scope, form=form, row=row, report=report), status


def _submit(scope: RegistryScope, row: Integration | None) -> ResponseReturnValue:
    principal = require_principal()
    require_fresh_login()
    form = IntegrationForm(request.form)
    if not form.validate():
        return _form_page(scope, form, row, status=422)
    data = form.to_input()
    testing = request.form.get("action") == "test"
    try:
        limit_registry_call(test_connection=testing)
    except RegistryCallsExceeded as exc:
        flash(str(exc.description), "error")
        return _form_page(scope, form, row, status=429)
    if testing:
        try:
            report = service.test_connection(data, platform=scope.is_platform, existing=row)
        except InvalidInput as exc:
            _attach(form, exc.errors)
            return _form_page(scope, form, row, status=422)
        report = shown_report(report)
        return _form_page(scope, form, row, report=report, status=200 if report.ok else 422)
    try:
        saved = service.save(
            data, actor=principal.id, workspace_id=scope.workspace_id, existing=row
        )
    except ProbeFailed as exc:
        _attach(form, {exc.field: shown_report(exc.report).message})
        return _form_page(scope, form, row, status=422)
    except InvalidInput as exc:
        _attach(form, exc.errors)
        return _form_page(scope, form, row, status=422)
    except Conflict as exc:
        getattr(form, exc.field, form.name).errors = [str(exc)]
        return _form_page(scope, form, row, status=409)
    flash(_("Saved %(name)s.", name=saved.name), "success")
    if row is None:
        ok, sentence = first_sync_shown(saved, actor=principal.id)
        flash(sentence, "success" if ok else "error")
    return redirect(scope_url(scope, "detail", integration_id=saved.id))


def _attach(form: IntegrationForm, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None) or form.url
        field.errors = [*field.errors, message]


def new_view(workspace_id: str | None = None) -> ResponseReturnValue:
    scope = resolve(workspace_id, manage=True)
    if request.method == "POST":
        return _submit(scope, None)
    return _form_page(scope, IntegrationForm(), None)


def _scoped(
    integration_id: int, workspace_id: str | None, *, manage: bool
) -> tuple[Integration, RegistryScope]:
    row, scope = integration_or_404(integration_id, manage=manage)
    if (workspace_id or "") != scope.workspace_id:
        from flask import abort

        abort(404, description=_("No such registry here."))
    return row, scope


def edit_view(integration_id: int, workspace_id: str | None = None) -> ResponseReturnValue:
    row, scope = _scoped(integration_id, workspace_id, manage=True)
    if request.method == "POST":
        return _submit(scope, row)
    form = IntegrationForm(MultiDict(), obj=row)
    form.aliases.data = "\n".join(row.aliases)
    return _form_page(scope, form, row)


def detail_view(integration_id: int, workspace_id: str | None = None) -> ResponseReturnValue:
    row, scope = _scoped(integration_id, workspace_id, manage=False)
    spaces, repositories = integration_counts([row.id]).get(row.id, (0, 0))
    return _render(
        "integration_detail.html",
        scope,
        row=row,
        spaces=spaces,
        repositories=repositories,
        bindings=service.binding_count(row),
    )


def delete_view(integration_id: int, workspace_id: str | None = None) -> ResponseReturnValue:
    row, scope = _scoped(integration_id, workspace_id, manage=True)
    if request.method == "POST":
        require_fresh_login()
        name = row.name
        removed = service.delete(row, actor=require_principal().id)
        flash(
            ngettext(
                "Deleted %(name)s and its binding.",
                "Deleted %(name)s and its %(num)s bindings.",
                removed.bindings,
                name=name,
            )
            if removed.bindings
            else _("Deleted %(name)s.", name=name),
            "success",
        )
        if removed.robots.warning:
            flash(removed.robots.warning, "error")
        return redirect(scope_url(scope, "list"))
    return _render("integration_delete.html", scope, row=row, bindings=service.binding_count(row))


def test_view(integration_id: int, workspace_id: str | None = None) -> ResponseReturnValue:
    row, scope = _scoped(integration_id, workspace_id, manage=True)
    try:
        limit_registry_call(test_connection=True)
    except RegistryCallsExceeded as exc:
        flash(str(exc.description), "error")
        return redirect(scope_url(scope, "detail", integration_id=row.id))
    report = shown_report(service.test_saved(row))
    session().commit()
    flash(report.message, "success" if report.ok else "error")
    return redirect(scope_url(scope, "detail", integration_id=row.id))


def sync_view(integration_id: int, workspace_id: str | None = None) -> ResponseReturnValue:
    """Queue a sync and show its job page at once (a running one is shown, not doubled)."""
    row, scope = _scoped(integration_id, workspace_id, manage=True)
    try:
        limit_registry_call()
    except RegistryCallsExceeded as exc:
        flash(str(exc.description), "error")
        return redirect(scope_url(scope, "detail", integration_id=row.id))
    job, created = enqueue("sync", row, actor=require_principal().id)
    if not created:
        flash(_("A sync of this registry is already under way; here is its progress."), "info")
    return redirect(scope_url(scope, "job", integration_id=row.id, job_id=job.id))


def job_view(
    integration_id: int, job_id: int, workspace_id: str | None = None
) -> ResponseReturnValue:
    """A job's progress and result; reloads itself (no script needed) until it finished."""
    row, scope = _scoped(integration_id, workspace_id, manage=False)
    job, _owner, _scope = job_or_404(job_id, row.id)
    return _render(
        "job.html", scope, row=row, job=job, error=shown_job_error(job), summary=result_summary(job)
    )


def warehouse_spaces_view(integration_id: int, workspace_id: str) -> ResponseReturnValue:
    """The spaces a workspace warehouse's last sync found, for the workspace's members: all of
    them serve the workspace, so there is nothing to bind, only to look up."""
    row, scope = _scoped(integration_id, workspace_id, manage=False)
    search = request.args.get("q", "").strip()
    page = parse_int(request.args.get("page", "1"), high=10**6) or 1
    return _render(
        "warehouse_spaces.html",
        scope,
        row=row,
        page=spaces.list_spaces(row, search=search, page=page),
        search=search,
    )


def register(bp: Blueprint) -> None:
    """Warehouse Integration (platform Admin) and workspace warehouses (Workspace Admin): the
    same views under two prefixes."""
    bp.context_processor(_disclosure_globals)
    _routes(bp, "/", "list", list_view, ["GET"])
    _routes(bp, "/new", "new", new_view, ["GET", "POST"])
    _routes(bp, "/<mirror_id:integration_id>", "detail", detail_view, ["GET"])
    _routes(bp, "/<mirror_id:integration_id>/edit", "edit", edit_view, ["GET", "POST"])
    _routes(bp, "/<mirror_id:integration_id>/delete", "delete", delete_view, ["GET", "POST"])
    _routes(bp, "/<mirror_id:integration_id>/test", "test", test_view, ["POST"])
    _routes(bp, "/<mirror_id:integration_id>/sync", "sync", sync_view, ["POST"])
    _routes(bp, "/<mirror_id:integration_id>/jobs/<mirror_id:job_id>", "job", job_view, ["GET"])
    bp.add_url_rule(
        "/workspaces/<workspace_id>/warehouses/<mirror_id:integration_id>/spaces",
        "workspace_spaces",
        warehouse_spaces_view,
        methods=["GET"],
    )
