"""The JSON API for registries: the same actions as the pages, for scripts and the widget.

Errors are ``{"error": {"status": 422, "message": "...", "fields": {...}}}``. Passwords are
write-only: requests may carry one, responses only say ``has_password``.

Every route that contacts the registry (test, create, edit, sync) first counts against the
caller's registry limit (429 beyond it), and shows registry failures through
:mod:`mirror_plugin.web.disclosure`: in full to the platform Admin, as a category to tenants.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select

from mirror_plugin.i18n import gettext
from mirror_plugin.models import Integration, Space
from mirror_plugin.params import iso
from mirror_plugin.services import integrations as service
from mirror_plugin.services.errors import InvalidInput, ProbeFailed
from mirror_plugin.services.jobs import enqueue
from mirror_plugin.state import session
from mirror_plugin.web.access import require_fresh_login, require_principal
from mirror_plugin.web.api.declare import serialised
from mirror_plugin.web.api.jobs import job_response
from mirror_plugin.web.disclosure import first_sync_shown, shown_last_error, shown_report
from mirror_plugin.web.ratelimit import limit_registry_call
from mirror_plugin.web.scopes import RegistryScope, integration_or_404, resolve

FIELDS = (
    "name",
    "kind",
    "url",
    "username",
    "password",
    "verify_tls",
    "ca_bundle",
    "description",
    "share_pull_credentials",
    "aliases",
)


def integration_json(row: Integration, counts: tuple[int, int] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "scope": row.scope,
        "workspace_id": row.workspace_id or None,
        "url": row.url,
        "registry_host": row.registry_host,
        "aliases": row.aliases,
        "addresses": row.addresses,
        "username": row.username,
        "has_password": row.password_encrypted is not None,
        "verify_tls": row.verify_tls,
        "has_ca_bundle": bool(row.ca_bundle),
        "description": row.description,
        "share_pull_credentials": row.share_pull_credentials,
        "health": row.health,
        "last_error": shown_last_error(row.last_error),
        "last_checked_at": iso(row.last_checked_at),
        "last_synced_at": iso(row.last_synced_at),
    }
    if counts is not None:
        data["spaces"], data["repositories"] = counts
    return data


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=gettext("Send a JSON object (Content-Type: application/json)."))
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        abort(422, description=gettext("Unknown fields: %(fields)s.", fields=", ".join(unknown)))
    aliases = body.get("aliases")
    if aliases is not None and not (
        isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)
    ):
        abort(422, description=gettext("aliases must be a list of strings (host[:port])."))
    for key in FIELDS[:-1]:
        value = body.get(key)
        expected = bool if key in ("verify_tls", "share_pull_credentials") else str
        if value is not None and not isinstance(value, expected):
            abort(
                422,
                description=gettext("%(key)s must be a %(type)s.", key=key, type=expected.__name__),
            )
    return body


def input_from(
    body: dict[str, Any], existing: Integration | None = None
) -> service.IntegrationInput:
    def pick(key: str, default: Any) -> Any:
        if key in body and body[key] is not None:
            return body[key]
        return getattr(existing, key) if existing is not None else default

    missing = [k for k in ("name", "kind", "url") if existing is None and not body.get(k)]
    if missing:
        raise InvalidInput({k: "This field is required." for k in missing})
    return service.IntegrationInput(
        name=pick("name", ""),
        kind=pick("kind", ""),
        url=pick("url", ""),
        username=pick("username", ""),
        password=body.get("password") or None,
        verify_tls=pick("verify_tls", True),
        ca_bundle=pick("ca_bundle", "") or "",
        description=pick("description", ""),
        aliases=body.get("aliases"),
        share_pull_credentials=body.get("share_pull_credentials"),
    )


def integration_counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        session()
        .execute(
            select(
                Space.integration_id,
                func.count(Space.id),
                func.coalesce(func.sum(Space.repo_count), 0),
            )
            .where(Space.integration_id.in_(ids))
            .group_by(Space.integration_id)
        )
        .all()
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def list_in(scope: RegistryScope, search: str = "") -> list[Integration]:
    query = select(Integration).where(Integration.workspace_id == scope.workspace_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(Integration.name).like(pattern),
                func.lower(Integration.url).like(pattern),
            )
        )
    return list(session().scalars(query.order_by(Integration.name)))


def _list(scope: RegistryScope) -> ResponseReturnValue:
    rows = list_in(scope, request.args.get("q", "").strip())
    counts = integration_counts([r.id for r in rows])
    return jsonify({"items": [integration_json(r, counts.get(r.id, (0, 0))) for r in rows]})


def _create(scope: RegistryScope) -> ResponseReturnValue:
    principal = require_principal()
    require_fresh_login()
    data = input_from(_body())
    limit_registry_call()
    row = _saved(data, actor=principal.id, workspace_id=scope.workspace_id)
    ok, sentence = first_sync_shown(row, actor=principal.id)
    shown = integration_json(row, integration_counts([row.id]).get(row.id, (0, 0)))
    return jsonify({**shown, "sync": {"ok": ok, "message": sentence}}), 201


def _saved(data: service.IntegrationInput, **keywords: Any) -> Integration:
    """``service.save``, with a refused connection check shown as the caller may see it."""
    try:
        return service.save(data, **keywords)
    except ProbeFailed as exc:
        raise InvalidInput({exc.field: shown_report(exc.report).message}) from None


def _test_unsaved(scope: RegistryScope) -> ResponseReturnValue:
    data = input_from(_body())
    limit_registry_call(test_connection=True)
    report = service.test_connection(data, platform=scope.is_platform)
    return jsonify(shown_report(report).to_dict())


def api_platform_integrations() -> ResponseReturnValue:
    scope = resolve(None)
    return _create(scope) if request.method == "POST" else _list(scope)


def api_workspace_integrations(workspace_id: str) -> ResponseReturnValue:
    scope = resolve(workspace_id, manage=request.method == "POST")
    return _create(scope) if request.method == "POST" else _list(scope)


def api_platform_test() -> ResponseReturnValue:
    return _test_unsaved(resolve(None))


def api_workspace_test(workspace_id: str) -> ResponseReturnValue:
    return _test_unsaved(resolve(workspace_id, manage=True))


def api_integration(integration_id: int) -> ResponseReturnValue:
    principal = require_principal()
    row, _ = integration_or_404(integration_id, manage=request.method != "GET")
    if request.method == "GET":
        return jsonify(integration_json(row, integration_counts([row.id]).get(row.id, (0, 0))))
    require_fresh_login()
    if request.method == "DELETE":
        removed = service.delete(row, actor=principal.id)
        answer: dict[str, Any] = {"deleted": integration_id, "bindings_removed": removed.bindings}
        if removed.robots:
            answer["pull_robots"] = removed.robots.to_dict()
        return jsonify(answer)
    data = input_from(_body(), row)
    limit_registry_call()
    row = _saved(data, actor=principal.id, existing=row)
    return jsonify(integration_json(row, integration_counts([row.id]).get(row.id, (0, 0))))


def api_integration_test(integration_id: int) -> ResponseReturnValue:
    row, _ = integration_or_404(integration_id, manage=True)
    limit_registry_call(test_connection=True)
    report = service.test_saved(row)
    session().commit()
    return jsonify(shown_report(report).to_dict())


def api_integration_sync(integration_id: int) -> ResponseReturnValue:
    """Queue a sync (or return the one queued or running): 202 with the job at once."""
    principal = require_principal()
    row, _ = integration_or_404(integration_id, manage=True)
    limit_registry_call()
    job, _ = enqueue("sync", row, actor=principal.id)
    return serialised(job_response(job), 202)  # until this route is @declared (helper I)


__all__ = ["integration_json", "input_from", "list_in"]


def register(bp: Blueprint) -> None:
    """The registries' JSON API: platform integrations and workspace warehouses."""
    bp.add_url_rule(
        "/api/integrations", methods=["GET", "POST"], view_func=api_platform_integrations
    )
    bp.add_url_rule(
        "/api/workspaces/<workspace_id>/integrations",
        methods=["GET", "POST"],
        view_func=api_workspace_integrations,
    )
    bp.add_url_rule("/api/integrations/test", view_func=api_platform_test, methods=["POST"])
    bp.add_url_rule(
        "/api/workspaces/<workspace_id>/integrations/test",
        view_func=api_workspace_test,
        methods=["POST"],
    )
    bp.add_url_rule(
        "/api/integrations/<mirror_id:integration_id>",
        methods=["GET", "PATCH", "DELETE"],
        view_func=api_integration,
    )
    bp.add_url_rule(
        "/api/integrations/<mirror_id:integration_id>/test",
        view_func=api_integration_test,
        methods=["POST"],
    )
    bp.add_url_rule(
        "/api/integrations/<mirror_id:integration_id>/sync",
        view_func=api_integration_sync,
        methods=["POST"],
    )
