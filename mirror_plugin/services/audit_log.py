"""Reading the audit log: filters by action, actor, space, workspace and time range."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import abort
from sqlalchemy import Text, cast, select

from mirror_plugin.i18n import _
from mirror_plugin.models import AuditEvent
from mirror_plugin.params import aware
from mirror_plugin.services.labels import action_codes
from mirror_plugin.services.paging import Page, paginate


def _time(args: Mapping[str, str], key: str) -> datetime | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        abort(
            400,
            description=_(
                "'%(key)s' must be a date or time like 2026-11-27 or 2026-11-27T10:00:00.",
                key=key,
            ),
        )
    return aware(value)


def query_events(args: Mapping[str, str], *, page: int = 1, per_page: int = 50) -> Page[AuditEvent]:
    query = select(AuditEvent)
    action = (args.get("action") or "").strip()
    if action:
        query = query.where(AuditEvent.action.in_(action_codes(action)))
    for key, column in (
        ("actor", AuditEvent.actor),
        ("space", AuditEvent.space_name),
        ("integration", AuditEvent.integration_name),
    ):
        value = (args.get(key) or "").strip()
        if value:
            query = query.where(column == value)
    workspace = (args.get("workspace") or "").strip()
    since, until = _time(args, "since"), _time(args, "until")
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at <= until)
    if workspace:
        # workspace_ids is a JSON list; its text holds the id quoted, on every database.
        needle = '"' + workspace.replace("\\", "\\\\").replace('"', '\\"') + '"'
        as_text = cast(AuditEvent.workspace_ids, Text)
        query = query.where(as_text.contains(needle, autoescape=True))
    return paginate(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), page, per_page)
