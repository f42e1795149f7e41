"""The demo's cluster: ``cluster-1`` registered for the admission webhook, and a page of its
recent admission decisions (platform Admin only).

At seed time the cluster's token exists only in memory: the seed sends a few reviews
through the real endpoint (in-process) so the page has decisions to show, then forgets it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template
from flask_login import login_required
from sqlalchemy import select

from mirror_plugin.admission import clusters
from mirror_plugin.models import AuditEvent, Cluster
from mirror_plugin.testing.admission import admission_review, deployment

from .identity import account

CLUSTER = "cluster-1"
bp = Blueprint("console_admission", __name__)


def register_cluster(harbor_url: str | None) -> None:
    """Register ``cluster-1`` once; with the sandbox, send sample reviews through the webhook."""
    if clusters.get(CLUSTER) is not None:
        return
    issued = clusters.add(CLUSTER, "https://console.demo.example", mode="enforce")
    if not harbor_url:
        return
    host = urlsplit(harbor_url).netloc
    samples = [
        ("alpha-web", f"{host}/alpha-private/web:1.0", "alice"),
        ("beta-api", f"{host}/alpha-private/web:1.0", "bob"),
        ("beta-api", f"{host}/library/nginx:1.25", "bob"),
        ("sandbox", f"{host}/beta-private/api:2.1", "system:serviceaccount:ci:deployer"),
    ]
    client = current_app.test_client()
    prefix = current_app.config["MIRROR_URL_PREFIX"]
    for n, (namespace, image, user) in enumerate(samples):
        client.post(
            f"{prefix}/admission/{CLUSTER}/validate",
            json=admission_review(
                deployment(f"web-{n}", [image]), namespace=namespace, username=user
            ),
            headers={"Authorization": f"Bearer {issued.token}"},
        )


@bp.route("/admission")
@login_required
def admission_page() -> str:
    user = account()
    if user is None or not user.is_platform_admin:
        abort(404)
    db = current_app.extensions["mirror_plugin"].db
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(["admission.denied", "admission.warned"]))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(50)
    ).all()
    rows = db.session.scalars(select(Cluster).order_by(Cluster.name)).all()
    return render_template("console/admission.html", clusters=rows, events=events)
