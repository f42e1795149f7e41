"""Every plugin route, called as every kind of principal, gets the answer it should.

The matrix is built from ``app.url_map``: a new route fails ``test_every_route_is_classified``
until someone adds probes for it here. Allowed principals may still get a validation error or a
registry error (the probes do not always send good input); what is asserted is that nobody
gets past the gate who should not, and that denied calls change nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from mirror_plugin import dbmigrate
from mirror_plugin.admission import clusters
from mirror_plugin.models import AuditEvent, Binding, Integration, Space
from mirror_plugin.services import jobs

from .conftest import Api, make_app, world
from .factories import integration, session, space

PRINCIPALS = ("anonymous", "eddie", "vera", "alice", "bob", "root")
OK = "ok"


def outcome(
    anonymous: Any = 401,
    eddie: Any = OK,
    vera: Any = OK,
    alice: Any = OK,
    bob: Any = OK,
    root: Any = OK,
) -> dict[str, Any]:
    return {
        "anonymous": anonymous,
        "eddie": eddie,
        "vera": vera,
        "alice": alice,
        "bob": bob,
        "root": root,
    }


ADMIN_ONLY = outcome(eddie=403, vera=403, alice=403, bob=403)
PLATFORM_ROW = outcome(eddie=404, vera=404, alice=404, bob=404)  # ids do not leak
ANY_USER = outcome()
A_READ = outcome(bob=404)
A_MANAGE = outcome(eddie=403, vera=403, bob=404)
PUBLIC = outcome(anonymous=OK)
NOBODY = outcome(eddie=401, vera=401, alice=401, bob=401, root=401)  # token-only routes


@dataclass(frozen=True)
class Probe:
    endpoint: str
    method: str
    path: str  # {P}, {WA}, {WB}, {S} (a space of P) are filled in per test
    expected: dict[str, Any]
    body: Any = None
    form: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


PROBES = [
    Probe("index", "GET", "/", ANY_USER),
    Probe("api_openapi", "GET", "/api/openapi.json", ANY_USER),
    Probe("explain_page", "GET", "/explain?namespace=prod/a-web&image=nginx", A_READ),
    Probe("static", "GET", "/static/mirror_plugin/mirror.css", PUBLIC),
    # Warehouse Integration (platform Admin)
    Probe("platform_list", "GET", "/integrations/", ADMIN_ONLY),
    Probe("platform_new", "GET", "/integrations/new", ADMIN_ONLY),
    Probe("platform_new", "POST", "/integrations/new", ADMIN_ONLY, {"name": ""}, form=True),
    Probe("platform_detail", "GET", "/integrations/{P}", PLATFORM_ROW),
    Probe(
        "platform_detail",
        "GET",
        "/integrations/{WA}",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),
    Probe("platform_edit", "GET", "/integrations/{P}/edit", PLATFORM_ROW),
    Probe("platform_edit", "POST", "/integrations/{P}/edit", PLATFORM_ROW, {"name": ""}, form=True),
    Probe("platform_delete", "GET", "/integrations/{P}/delete", PLATFORM_ROW),
    Probe("platform_delete", "POST", "/integrations/{P}/delete", PLATFORM_ROW, {}, form=True),
    Probe("platform_test", "POST", "/integrations/{P}/test", PLATFORM_ROW, {}, form=True),
    Probe("platform_sync", "POST", "/integrations/{P}/sync", PLATFORM_ROW, {}, form=True),
    # Workspace warehouses
    Probe("workspace_list", "GET", "/workspaces/ws-a/warehouses/", A_READ),
    Probe(
        "workspace_list",
        "GET",
        "/workspaces/ws-nope/warehouses/",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),
    Probe("workspace_new", "GET", "/workspaces/ws-a/warehouses/new", A_MANAGE),
    Probe(
        "workspace_new",
        "POST",
        "/workspaces/ws-a/warehouses/new",
        A_MANAGE,
        {"name": ""},
        form=True,
    ),
    Probe("workspace_detail", "GET", "/workspaces/ws-a/warehouses/{WA}", A_READ),
    Probe("workspace_spaces", "GET", "/workspaces/ws-a/warehouses/{WA}/spaces", A_READ),
    # Image List: a workspace's members (and the platform Admin), like its warehouses
    Probe("images_page", "GET", "/workspaces/ws-a/images", A_READ),
    Probe("images_page", "GET", "/workspaces/ws-a/images?tab=private&q=x", A_READ),
    Probe("images_page", "GET", "/workspaces/ws-b/images", outcome(eddie=404, vera=404, alice=404)),
    Probe(
        "images_page",
        "GET",
        "/workspaces/ws-nope/images",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),
    Probe(
        "image_tags_page",
        "GET",
        "/workspaces/ws-a/images/{S}/tags?repository=x",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),  # no such repository
    Probe(
        "image_tags_page",
        "GET",
        "/workspaces/ws-b/images/{S}/tags?repository=x",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),  # S is not bound to B, and only bob may open B's list
    Probe(
        "workspace_detail",
        "GET",
        "/workspaces/ws-a/warehouses/{WB}",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),
    Probe("workspace_edit", "GET", "/workspaces/ws-a/warehouses/{WA}/edit", A_MANAGE),
    Probe(
        "workspace_edit",
        "POST",
        "/workspaces/ws-a/warehouses/{WA}/edit",
        A_MANAGE,
        {"name": ""},
        form=True,
    ),
    Probe("workspace_delete", "GET", "/workspaces/ws-a/warehouses/{WA}/delete", A_MANAGE),
    Probe(
        "workspace_delete",
        "POST",
        "/workspaces/ws-a/warehouses/{WA}/delete",
        A_MANAGE,
        {},
        form=True,
    ),
    Probe(
        "workspace_test", "POST", "/workspaces/ws-a/warehouses/{WA}/test", A_MANAGE, {}, form=True
    ),
    Probe(
        "workspace_sync", "POST", "/workspaces/ws-a/warehouses/{WA}/sync", A_MANAGE, {}, form=True
    ),
    # Warehouse Space and audit (platform Admin)
    Probe("spaces_page", "GET", "/integrations/{P}/spaces", ADMIN_ONLY),
    Probe(
        "spaces_page", "POST", "/integrations/{P}/spaces", ADMIN_ONLY, {"name": "Bad!"}, form=True
    ),
    Probe(
        "batch_action",
        "POST",
        "/integrations/{P}/spaces/batch",
        ADMIN_ONLY,
        {"spaces": "{S}", "workspaces": "ws-c", "operation": "bind"},
        form=True,
    ),
    Probe("bind_page", "GET", "/spaces/{S}/bind", ADMIN_ONLY),
    Probe("bind_page", "POST", "/spaces/{S}/bind", ADMIN_ONLY, {"workspaces": "ws-c"}, form=True),
    Probe(
        "visibility_action",
        "POST",
        "/spaces/{S}/visibility",
        ADMIN_ONLY,
        {"public": "true"},
        form=True,
    ),
    Probe("visibility_action", "GET", "/spaces/{S}/visibility", ADMIN_ONLY),
    Probe("delete_space_page", "GET", "/spaces/{S}/delete", ADMIN_ONLY),
    Probe("delete_space_page", "POST", "/spaces/{S}/delete", ADMIN_ONLY, {}, form=True),
    Probe("audit_page", "GET", "/audit", ADMIN_ONLY),
    # JSON API: integrations
    Probe("api_platform_integrations", "GET", "/api/integrations", ADMIN_ONLY),
    Probe("api_create_platform_integration", "POST", "/api/integrations", ADMIN_ONLY, {}),
    Probe("api_platform_test", "POST", "/api/integrations/test", ADMIN_ONLY, {}),
    Probe("api_workspace_integrations", "GET", "/api/workspaces/ws-a/integrations", A_READ),
    Probe(
        "api_create_workspace_integration",
        "POST",
        "/api/workspaces/ws-a/integrations",
        A_MANAGE,
        {},
    ),
    Probe("api_workspace_test", "POST", "/api/workspaces/ws-a/integrations/test", A_MANAGE, {}),
    Probe("api_integration", "GET", "/api/integrations/{P}", PLATFORM_ROW),
    Probe("api_integration", "GET", "/api/integrations/{WA}", A_READ),
    Probe(
        "api_integration", "GET", "/api/integrations/{WB}", outcome(eddie=404, vera=404, alice=404)
    ),
    Probe("api_update_integration", "PATCH", "/api/integrations/{WA}", A_MANAGE, {"name": "Bad!"}),
    Probe(
        "api_update_integration", "PATCH", "/api/integrations/{P}", PLATFORM_ROW, {"name": "Bad!"}
    ),
    Probe("api_delete_integration", "DELETE", "/api/integrations/{WA}", A_MANAGE),
    Probe("api_delete_integration", "DELETE", "/api/integrations/{P}", PLATFORM_ROW),
    Probe("api_integration_test", "POST", "/api/integrations/{WA}/test", A_MANAGE),
    Probe("api_integration_sync", "POST", "/api/integrations/{P}/sync", PLATFORM_ROW),
    Probe("api_integration_sync", "POST", "/api/integrations/{WA}/sync", A_MANAGE),
    # Background jobs: whoever sees the registry sees its jobs
    Probe("api_job", "GET", "/api/jobs/{JP}", PLATFORM_ROW),
    Probe("api_job", "GET", "/api/jobs/{JA}", A_READ),
    Probe("platform_job", "GET", "/integrations/{P}/jobs/{JP}", PLATFORM_ROW),
    Probe("workspace_job", "GET", "/workspaces/ws-a/warehouses/{WA}/jobs/{JA}", A_READ),
    Probe(
        "workspace_job",
        "GET",
        "/workspaces/ws-a/warehouses/{WA}/jobs/{JP}",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),  # a job of another registry
    # A picker's refresh (by eddie, of the private space S bound to ws-a): its member follows
    # it, and so does whoever may refresh S through a namespace they name; the job pages
    # show syncs only.
    Probe("api_job", "GET", "/api/jobs/{JR}", outcome(vera=404, alice=404, bob=404)),
    Probe("api_job", "GET", "/api/jobs/{JR}?namespace=prod/a-web", A_READ),
    Probe(
        "api_job",
        "GET",
        "/api/jobs/{JR}?namespace=prod/b-api",
        outcome(vera=404, alice=404, bob=404),
    ),
    Probe(
        "platform_job",
        "GET",
        "/integrations/{P}/jobs/{JR}",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),
    # JSON API: spaces, bindings, audit
    Probe("api_spaces", "GET", "/api/integrations/{P}/spaces", ADMIN_ONLY),
    Probe("api_create_space", "POST", "/api/integrations/{P}/spaces", ADMIN_ONLY, {"name": 1}),
    Probe("api_space", "GET", "/api/spaces/{S}", ADMIN_ONLY),
    Probe("api_set_space_visibility", "PATCH", "/api/spaces/{S}", ADMIN_ONLY, {"public": "yes"}),
    Probe("api_delete_space", "DELETE", "/api/spaces/{S}", ADMIN_ONLY),
    Probe(
        "api_space_workspaces",
        "PUT",
        "/api/spaces/{S}/workspaces",
        ADMIN_ONLY,
        {"workspaces": ["ws-c"]},
    ),
    Probe(
        "api_batch_bindings",
        "POST",
        "/api/bindings",
        ADMIN_ONLY,
        {"spaces": ["{S}"], "workspaces": ["ws-c"]},
    ),
    Probe("api_workspaces", "GET", "/api/workspaces", ADMIN_ONLY),
    Probe("api_audit", "GET", "/api/audit", ADMIN_ONLY),
    # The deploy hook and the picker: scoped by namespace
    Probe("api_check", "GET", "/api/check?namespace=prod/a-web&image=nginx", A_READ),
    Probe("api_check", "GET", "/api/check?namespace=dev/sandbox&image=nginx", ANY_USER),
    Probe(
        "api_explain",
        "GET",
        "/api/explain?namespace=prod/b-api&image=nginx",
        outcome(eddie=404, vera=404, alice=404),
    ),
    Probe(
        "api_filter",
        "POST",
        "/api/filter",
        A_READ,
        {"namespace": "prod/a-web", "images": ["nginx"]},
    ),
    Probe("picker_context", "GET", "/api/picker/context?namespace=prod/a-web", A_READ),
    Probe("picker_context", "GET", "/api/picker/context?namespace=dev/sandbox", ANY_USER),
    Probe(
        "picker_spaces",
        "GET",
        "/api/picker/spaces?namespace=prod/b-api",
        outcome(eddie=404, vera=404, alice=404),
    ),
    Probe(
        "picker_repositories",
        "GET",
        "/api/picker/repositories?namespace=prod/a-web&space={S}",
        A_READ,
    ),
    Probe(
        "picker_repositories",
        "GET",
        "/api/picker/repositories?namespace=prod/b-api&space={S}",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),  # S is not bound to B
    Probe(
        "picker_tags",
        "GET",
        "/api/picker/tags?namespace=prod/a-web&space={S}&repository=x",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),  # no such repository
    Probe(
        "picker_refresh_repositories",
        "POST",
        "/api/picker/repositories?namespace=prod/a-web&space={S}",
        A_READ,
    ),
    Probe(
        "picker_refresh_repositories",
        "POST",
        "/api/picker/repositories?namespace=prod/b-api&space={S}",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),  # S is not bound to B
    Probe(
        "picker_refresh_tags",
        "POST",
        "/api/picker/tags?namespace=prod/a-web&space={S}&repository=x",
        outcome(eddie=404, vera=404, alice=404, bob=404, root=404),
    ),  # no such repository
    Probe("picker_faq", "GET", "/api/picker/faq?namespace=prod/a-web", A_READ),
    # The admission webhook: the cluster's bearer token only, never a console session
    Probe(
        "admission_validate",
        "POST",
        "/admission/prod/validate",
        NOBODY,
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "0df28fbd-5f5f-4a2e-9e6b-5d1c0b5f0a11",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "operation": "CREATE",
                "namespace": "b-api",
                "object": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}},
            },
        },
    ),
    Probe(
        "admission_mutate",
        "POST",
        "/admission/prod/mutate",
        NOBODY,
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "5b0c7a52-1f0e-4a55-a0c3-2d7f3c1a9e21",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "operation": "CREATE",
                "namespace": "a-web",
                "object": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}},
            },
        },
    ),
    # A cluster agent's pull Secrets: the cluster's bearer token only
    Probe("cluster_pull_secrets", "GET", "/api/clusters/prod/pull-secrets", NOBODY),
    Probe("cluster_pull_secrets", "GET", "/api/clusters/prod/pull-secrets?since=0", NOBODY),
    Probe("cluster_pull_secrets", "GET", "/api/clusters/nowhere/pull-secrets", NOBODY),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One migrated, seeded SQLite file; each test gets a copy (migrating 400 times is slow)."""
    path = tmp_path_factory.mktemp("matrix") / "template.db"
    app = make_app(f"sqlite:///{path}", world())
    with app.app_context():
        dbmigrate.upgrade()
        platform = integration("platform", "http://127.0.0.1:9", kind="docker")
        secret = space(platform, "secret", bound=("ws-a",))
        space(platform, "library", public=True)
        warehouse_a = integration(
            "alpha-own", "http://127.0.0.1:9", kind="docker", workspace_id="ws-a"
        )
        space(warehouse_a, "own")
        warehouse_b = integration(
            "beta-own", "http://127.0.0.1:9", kind="docker", workspace_id="ws-b"
        )
        clusters.add("prod", "https://console.example")  # commits
        platform_job, _ = jobs.enqueue("sync", platform, actor="root")
        warehouse_job, _ = jobs.enqueue("sync", warehouse_a, actor="alice")
        refresh_job, _ = jobs.enqueue("refresh", platform, actor="eddie", space_id=secret.id)
        ids = {
            "{JP}": str(platform_job.id),
            "{JA}": str(warehouse_job.id),
            "{JR}": str(refresh_job.id),
            "{P}": str(platform.id),
            "{WA}": str(warehouse_a.id),
            "{WB}": str(warehouse_b.id),
            "{S}": str(secret.id),
        }
        session().remove()
        session().get_bind().dispose()
    return path, ids


@pytest.fixture
def seeded(
    template: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[tuple[Flask, Api, dict[str, str]]]:
    source, ids = template
    copy = tmp_path / "matrix.db"
    shutil.copyfile(source, copy)
    adapter = world()
    app = make_app(f"sqlite:///{copy}", adapter)
    with app.app_context():
        yield app, Api(app.test_client(), adapter), ids
        session().remove()
        session().get_bind().dispose()


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, real in ids.items():
            value = value.replace(key, real)
        return int(value) if value.isdigit() and value in ids.values() else value
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def state() -> tuple[Any, ...]:
    return tuple(
        tuple(session().execute(sa.select(*table.columns).order_by(*table.primary_key)).all())
        for table in (Integration.__table__, Space.__table__, Binding.__table__)
    ) + (session().query(AuditEvent).count(),)


CASES = [(probe, who) for probe in PROBES for who in PRINCIPALS]


@pytest.mark.parametrize(("probe", "who"), CASES, ids=[f"{p.id}-{w}" for p, w in CASES])
def test_route_answers_each_principal(
    seeded: tuple[Flask, Api, dict[str, str]], probe: Probe, who: str
) -> None:
    app, api, ids = seeded
    api.as_user(None if who == "anonymous" else who)
    path = fill(probe.path, ids)
    with app.app_context():
        before = state()
    if probe.form:
        data = {**fill(probe.body or {}, ids), "mirror_csrf_token": Api.TOKEN}
        response = api.client.open("/mirror" + path, method=probe.method, data=data)
    else:
        response = api.call(
            probe.method, path, fill(probe.body, ids) if probe.method != "GET" else None
        )
    response.close()  # static files are streamed from an open file
    expected = probe.expected[who]
    if expected == OK:
        assert response.status_code not in (401, 403, 404), (
            response.status_code,
            response.get_data(as_text=True),
        )
        assert response.status_code != 500, response.get_data(as_text=True)
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]
        with app.app_context():
            assert state() == before, "a refused call changed data"


def test_every_route_is_classified() -> None:
    app = make_app("sqlite://", world())
    probed = {(p.endpoint, p.method) for p in PROBES}
    missing = sorted(
        f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("mirror_plugin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if (rule.endpoint.split(".", 1)[1], method) not in probed
    )
    assert not missing, "unclassified routes:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/integrations/abc", 404),
        ("GET", "/api/no-such-thing", 404),
        ("DELETE", "/api/check", 405),
        ("PUT", "/api/audit", 405),
    ],
)
@pytest.mark.parametrize("who", PRINCIPALS)
def test_paths_no_api_route_serves_answer_in_json(
    seeded: tuple[Flask, Api, dict[str, str]], who: str, method: str, path: str, status: int
) -> None:
    _, api, _ = seeded
    api.as_user(None if who == "anonymous" else who)
    answer = api.call(method, path)
    assert answer.status_code == status and answer.is_json
    assert answer.get_json()["error"]["status"] == status


def test_matrix_size() -> None:
    print(
        f"authorization matrix: {len(PROBES)} probes x {len(PRINCIPALS)} principals "
        f"= {len(CASES)} calls"
    )
    assert len(CASES) >= 6 * 60
