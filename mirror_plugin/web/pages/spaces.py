"""The Warehouse Space page (platform Admin): spaces, visibility, Bind Workspace, batch, audit.

Every action is a plain form post; ``static/mirror_plugin/spaces.js`` turns Bind Workspace
into a dialog with a searchable multi-select when JavaScript runs.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mirror_plugin.i18n import _, ngettext
from mirror_plugin.models import Space
from mirror_plugin.params import parse_int
from mirror_plugin.registry.errors import RegistryError
from mirror_plugin.services import bindings, spaces
from mirror_plugin.services.audit_log import query_events
from mirror_plugin.services.errors import Conflict, InvalidInput
from mirror_plugin.services.labels import AUDIT_ACTIONS
from mirror_plugin.services.pull_reconcile import pending_by_workspace
from mirror_plugin.services.tenancy import known_workspaces
from mirror_plugin.web.access import require_principal
from mirror_plugin.web.api.spaces import (
    limit_harbor_call,
    platform_integration_or_404,
    space_or_404,
)
from mirror_plugin.web.forms import (
    AuditFilterForm,
    BatchForm,
    BindForm,
    CreateSpaceForm,
    DeleteSpaceForm,
    VisibilityForm,
    errors_text,
)
from mirror_plugin.web.ratelimit import RegistryCallsExceeded
from mirror_plugin.web.redirects import redirect_next, safe_next


def _page_number(name: str = "page") -> int:
    raw = request.args.get(name, "1")
    return parse_int(raw, high=10**6) or 1


def _back(space: Space) -> ResponseReturnValue:
    return redirect_next(url_for("mirror_plugin.spaces_page", integration_id=space.integration_id))


def spaces_page(integration_id: int) -> ResponseReturnValue:
    integration = platform_integration_or_404(integration_id)
    if request.method == "POST":  # Create space
        form = CreateSpaceForm(request.form)
        if not form.validate():
            flash(errors_text(form), "error")
            return redirect(url_for("mirror_plugin.spaces_page", integration_id=integration_id))
        try:
            limit_harbor_call(integration)
            space = spaces.create_space(
                integration,
                form.name.data or "",
                public=bool(form.public.data),
                actor=require_principal().id,
            )
            flash(_("Created space %(name)s.", name=space.name), "success")
        except InvalidInput as exc:
            flash(" ".join(exc.errors.values()), "error")
        except RegistryCallsExceeded as exc:
            flash(str(exc.description), "error")
        except (Conflict, RegistryError) as exc:
            flash(str(exc), "error")
        return redirect(url_for("mirror_plugin.spaces_page", integration_id=integration_id))
    tab = request.args.get("tab", "all")
    tab = tab if tab in spaces.TABS else "all"
    sort = request.args.get("sort", "name")
    sort = sort if sort in spaces.SORTS else "name"
    search = request.args.get("q", "").strip()
    page = spaces.list_spaces(integration, tab=tab, search=search, sort=sort, page=_page_number())
    return render_template(
        "mirror_plugin/spaces.html",
        integration=integration,
        page=page,
        via=spaces.reached_through_warehouses(integration, [s.name for s in page.items]),
        tab=tab,
        sort=sort,
        search=search,
        workspaces=known_workspaces(),
        pull_pending=pending_by_workspace(integration.id),
    )


def bind_page(space_id: int) -> ResponseReturnValue:
    """Bind Workspace without JavaScript: the same choice as the dialog, as a page."""
    space = space_or_404(space_id)
    names = known_workspaces()
    if request.method == "POST":
        form = BindForm(request.form)
        if not form.validate():
            flash(errors_text(form), "error")
            return redirect(url_for("mirror_plugin.bind_page", space_id=space_id))
        try:
            change = bindings.set_workspaces(
                space_id, form.workspaces.data or [], actor=require_principal().id
            )
        except InvalidInput as exc:
            flash(" ".join(exc.errors.values()), "error")
            return redirect(url_for("mirror_plugin.bind_page", space_id=space_id))
        flash(describe(change, names), "success")
        return _back(space)
    search = request.args.get("q", "").strip().lower()
    current = set(spaces.bindings_of([space_id])[space_id])
    shown = {
        k: v
        for k, v in names.items()
        if not search or search in v.lower() or search in k.lower() or k in current
    }
    return render_template(
        "mirror_plugin/bind.html", space=space, workspaces=shown, current=current, search=search
    )


def describe(change: bindings.BindingChange, names: dict[str, str]) -> str:
    """The "Bound / unbound workspaces" sentence the dialog and the page report."""

    def label(ids: list[str]) -> str:
        return ", ".join(names.get(i, i) for i in ids)

    parts = []
    if change.bound:
        parts.append(
            _("Bound %(space)s to %(names)s.", space=change.space, names=label(change.bound))
        )
    if change.unbound:
        parts.append(
            _("Unbound %(space)s from %(names)s.", space=change.space, names=label(change.unbound))
        )
    return " ".join(parts) or _("No change: %(space)s keeps its bindings.", space=change.space)


def visibility_action(space_id: int) -> ResponseReturnValue:
    """Make a space public or private. Making one public opens it to every namespace of the
    platform, so the row's button leads to a confirmation (GET) naming the workspaces bound
    today; making one private narrows access and happens at once."""
    space = space_or_404(space_id)
    if request.method == "GET":
        names = known_workspaces()
        bound = spaces.bindings_of([space_id])[space_id]
        return render_template(
            "mirror_plugin/space_public.html",
            space=space,
            bound=[names.get(w, w) for w in bound],
            back=safe_next(
                request.args.get("next"),
                url_for("mirror_plugin.spaces_page", integration_id=space.integration_id),
            ),
        )
    form = VisibilityForm(request.form)
    if not form.validate():
        flash(
            _("%(name)s was not changed: %(error)s", name=space.name, error=errors_text(form)),
            "error",
        )
        return _back(space)
    public = form.public.data == "true"
    try:
        if public != space.public:
            limit_harbor_call(space.integration)
        spaces.set_public(space, public, actor=require_principal().id)
        flash(
            _("%(name)s is now public.", name=space.name)
            if public
            else _("%(name)s is now private.", name=space.name),
            "success",
        )
    except RegistryCallsExceeded as exc:
        flash(
            _("%(name)s was not changed: %(error)s", name=space.name, error=exc.description),
            "error",
        )
    except RegistryError as exc:
        flash(_("%(name)s was not changed: %(error)s", name=space.name, error=exc.message), "error")
    return _back(space)


def delete_space_page(space_id: int) -> ResponseReturnValue:
    space = space_or_404(space_id)
    integration_id = space.integration_id
    if request.method == "POST" and DeleteSpaceForm(request.form).validate():
        name = space.name
        try:
            limit_harbor_call(space.integration)
            unbound = spaces.delete_space(space, actor=require_principal().id)
        except RegistryCallsExceeded as exc:
            flash(str(exc.description), "error")
        except (Conflict, RegistryError) as exc:
            flash(str(exc), "error")
            return redirect(url_for("mirror_plugin.spaces_page", integration_id=integration_id))
        flash(
            (
                ngettext(
                    "Deleted %(name)s and its binding to %(num)s workspace.",
                    "Deleted %(name)s and its bindings to %(num)s workspaces.",
                    len(unbound),
                    name=name,
                )
                if unbound
                else _("Deleted %(name)s.", name=name)
            ),
            "success",
        )
        return redirect(url_for("mirror_plugin.spaces_page", integration_id=integration_id))
    return render_template(
        "mirror_plugin/space_delete.html",
        space=space,
        bound=spaces.bindings_of([space_id])[space_id],
    )


def batch_action(integration_id: int) -> ResponseReturnValue:
    platform_integration_or_404(integration_id)
    form = BatchForm(request.form)
    back = url_for("mirror_plugin.spaces_page", integration_id=integration_id)
    if not form.validate():
        flash(errors_text(form), "error")
        return redirect_next(back)
    space_ids: list[int] = form.spaces.data or []
    for space_id in space_ids:
        if space_or_404(space_id).integration_id != integration_id:
            abort(404, description=_("No such space."))
    try:
        changes = (bindings.bind if form.operation.data == "bind" else bindings.unbind)(
            space_ids, form.workspaces.data or [], actor=require_principal().id
        )
    except InvalidInput as exc:
        flash(" ".join(exc.errors.values()), "error")
    else:
        names = known_workspaces()
        flash(" ".join(describe(c, names) for c in changes), "success")
    return redirect_next(back)


def audit_page() -> ResponseReturnValue:
    if not require_principal().is_platform_admin:
        abort(
            403,
            description=_(
                "The audit log is the platform Admin's page; your account cannot open it."
            ),
        )
    form = AuditFilterForm(request.args)
    if not form.validate():
        abort(400, description=errors_text(form))
    page = query_events(form.filters(), page=_page_number())
    return render_template(
        "mirror_plugin/audit.html",
        page=page,
        args=request.args,
        workspaces=known_workspaces(),
        actions=AUDIT_ACTIONS,
    )


def register(bp: Blueprint) -> None:
    """The Warehouse Space pages and the audit log page."""
    bp.add_url_rule(
        "/integrations/<mirror_id:integration_id>/spaces",
        methods=["GET", "POST"],
        view_func=spaces_page,
    )
    bp.add_url_rule(
        "/spaces/<mirror_id:space_id>/bind", methods=["GET", "POST"], view_func=bind_page
    )
    bp.add_url_rule(
        "/spaces/<mirror_id:space_id>/visibility",
        methods=["GET", "POST"],
        view_func=visibility_action,
    )
    bp.add_url_rule(
        "/spaces/<mirror_id:space_id>/delete", methods=["GET", "POST"], view_func=delete_space_page
    )
    bp.add_url_rule(
        "/integrations/<mirror_id:integration_id>/spaces/batch",
        view_func=batch_action,
        methods=["POST"],
    )
    bp.add_url_rule("/audit", view_func=audit_page, methods=["GET"])
