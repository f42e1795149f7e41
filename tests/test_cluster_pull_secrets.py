"""A cluster agent polls ``/api/clusters/<cluster>/pull-secrets`` with its cluster's token.

The credentials come from the real pull-access path: bindings through the JSON API, robots made
in the Harbor emulator by ``flask mirror pull reconcile`` (which sends the change signal the
cursor counts). The cluster is registered with ``flask mirror cluster add``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Flask

from mirror_plugin.testing.harbor import HarborEmulator

from . import leakcheck
from .conftest import Api
from .test_admission_webhook import register
from .test_pull_access import bind, reconcile
from .test_pull_access import harbor as harbor  # noqa: F401 (fixture)
from .test_pull_access import spaces as spaces  # noqa: F401 (fixture)

BAD_CURSOR = (
    "since must be the cursor a previous answer gave (a whole number, 0 or more); "
    "leave it out to get every namespace's Secret."
)


def poll(app: Flask, token: str | None, since: Any = None, cluster: str = "prod") -> Any:
    query = "" if since is None else f"?since={since}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().get(
        f"/mirror/api/clusters/{cluster}/pull-secrets{query}", headers=headers
    )


def answer(app: Flask, token: str, since: Any = None, cluster: str = "prod") -> dict[str, Any]:
    response = poll(app, token, since, cluster)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()  # type: ignore[no-any-return]


def auths(manifest: dict[str, Any]) -> dict[str, Any]:
    assert manifest["type"] == "kubernetes.io/dockerconfigjson"
    raw = base64.b64decode(manifest["data"][".dockerconfigjson"])
    return json.loads(raw)["auths"]  # type: ignore[no-any-return]


def by_namespace(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["namespace"]: m for m in data["secrets"]}


def test_first_poll_returns_every_namespace_then_only_what_changed(
    app: Flask,
    api: Api,
    harbor: HarborEmulator,
    spaces: dict[str, int],  # noqa: F811
) -> None:
    token = register(app, "prod")
    first = answer(app, token)
    assert first["full"] is True
    # the cluster's namespaces ("prod/..." by default), not dev/sandbox of cluster "dev"
    assert sorted(by_namespace(first)) == ["a-jobs", "a-web", "b-api"]
    assert all(m["metadata"]["name"] == "mirror-pull" for m in first["secrets"])
    assert all(auths(m) == {} for m in first["secrets"])
    assert answer(app, token, first["cursor"])["secrets"] == []

    bind(api, spaces["team-a"], "ws-a")
    reconcile(app)  # the robot is created: ws-a's namespaces changed
    changed = answer(app, token, first["cursor"])
    assert changed["full"] is False and changed["cursor"] > first["cursor"]
    assert sorted(by_namespace(changed)) == ["a-jobs", "a-web"]
    host = harbor.url.removeprefix("http://")
    entry = auths(by_namespace(changed)["a-web"])[host]
    assert entry["username"].startswith("robot$mirror-")
    with app.app_context():
        expected = app.extensions["mirror_plugin"].plugin.pull_secret("prod/a-web")
        assert by_namespace(changed)["a-web"] == expected.manifest("a-web")
    assert answer(app, token, changed["cursor"]) == {
        "cursor": changed["cursor"],
        "full": False,
        "secrets": [],
        "skipped": [],
    }

    bind(api, spaces["team-a"], "ws-a", action="unbind")
    reconcile(app)  # the last private space is gone: the Secret is emptied, not forgotten
    emptied = answer(app, token, changed["cursor"])
    assert sorted(by_namespace(emptied)) == ["a-jobs", "a-web"]
    assert all(auths(m) == {} for m in emptied["secrets"])


def test_only_the_clusters_token_is_accepted(app: Flask, api: Api) -> None:
    token = register(app, "prod")
    other = register(app, "staging")
    refusals = [
        poll(app, None),
        poll(app, "not-the-token"),
        poll(app, other),  # another cluster's token
        poll(app, token, cluster="nowhere"),
        poll(app, "not-the-token", since="abc"),  # the token is checked before the cursor
        api.as_user("root").get("/api/clusters/prod/pull-secrets"),  # a console session
    ]
    for response in refusals:
        assert response.status_code == 401
        assert response.get_json() == {"error": {"message": "Unauthorized.", "status": 401}}
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer(app, other, cluster="staging")["secrets"] == []  # no namespaces there


def test_a_bad_cursor_is_a_400_and_a_future_one_starts_over(app: Flask) -> None:
    token = register(app, "prod")
    for bad in ("abc", "-1", "1.5", "", "9" * 30):
        response = poll(app, token, bad)
        assert response.status_code == 400, bad
        assert response.get_json() == {"error": {"status": 400, "message": BAD_CURSOR}}
    assert answer(app, token, 10**12)["full"] is True


def test_the_host_maps_console_namespaces_back_to_kubernetes_ones(app: Flask) -> None:
    token = register(app, "prod")
    host = app.extensions["mirror_plugin"].host
    names = {"prod/a-web": "team-a-web", "prod/a-jobs": "Not_A_Label"}
    host.kubernetes_namespace = lambda cluster, namespace: names.get(namespace)
    data = answer(app, token)
    assert sorted(by_namespace(data)) == ["team-a-web"]
    assert data["skipped"] == [
        {
            "namespace": "prod/a-jobs",
            "error": "'Not_A_Label' is not a Kubernetes namespace name (a DNS-1123 label); "
            "give the namespace the Secret goes into.",
        }
    ]


def test_robot_secrets_reach_no_other_route(
    app: Flask,
    api: Api,
    harbor: HarborEmulator,
    spaces: dict[str, int],  # noqa: F811
) -> None:
    """The leak scan (which reads base64 too) sees these responses; only the agent's
    Secret data is exempt."""
    token = register(app, "prod")
    bind(api, spaces["team-a"], "ws-a")
    reconcile(app)
    seen = len(leakcheck.HITS)
    secret = answer(app, token)  # exempt: the one place
    password = auths(by_namespace(secret)["a-web"])[harbor.url.removeprefix("http://")]["password"]
    assert password in leakcheck.SECRETS
    api.as_user("root")
    for path in (
        "/api/integrations",
        f"/api/integrations/{1}/spaces",
        "/api/picker/faq?namespace=prod/a-web",
        "/explain?namespace=prod/a-web&image=" + harbor.url.removeprefix("http://") + "/team-a/x",
    ):
        api.get(path)
    assert leakcheck.HITS[seen:] == []
