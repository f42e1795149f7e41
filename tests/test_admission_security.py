"""Who may call the admission webhook, and what it does with reviews it cannot answer.

Only the cluster's bearer token authenticates: a console session (even the platform Admin's,
with a CSRF token) gets the same 401 as an unknown cluster or a wrong token. Anything that is
not an ``admission.k8s.io/v1`` review is a 400 with a sentence, never a 500: generated
bodies (hypothesis) check that for the shapes the examples do not think of.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirror_plugin.services import rulecache

from .admission_objects import review, workload
from .conftest import Api
from .test_admission_webhook import BOUND, Webhook, counts, register
from .test_db_faults import _Clock
from .test_rule import platform as platform  # noqa: F401 (fixture)

UNAUTHORIZED = {"error": {"status": 401, "message": "Unauthorized."}}


def test_only_the_cluster_s_token_gets_in(platform: Flask, api: Api) -> None:  # noqa: F811
    hook = Webhook(platform, "prod", register(platform, "prod"))
    other = register(platform, "dev")
    body = review(workload("Pod", [BOUND]), namespace="b-api")
    refusals = [
        hook.post(body, token="wrong"),
        hook.post(body, token=other),  # another cluster's token
        hook.post(body, cluster="nope"),  # no such cluster, any token
        hook.post(body, cluster="Not_A_Label"),
        hook.client.post("/mirror/admission/prod/validate", json=body),  # no header
        hook.client.post(
            "/mirror/admission/prod/validate",
            json=body,
            headers={"Authorization": f"Basic {hook.token}"},
        ),
    ]
    api.as_user("root")  # a signed-in platform Admin with the CSRF token: still not a cluster
    refusals.append(api.post("/admission/prod/validate", json=body))
    for response in refusals:
        assert response.status_code == 401
        assert response.get_json() == UNAUTHORIZED
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Location" not in response.headers
    assert counts("prod") == (0, 0, 0)
    assert hook.post(body).status_code == 200  # no CSRF token needed with the bearer token


def test_a_rotated_token_replaces_the_old_one(platform: Flask) -> None:  # noqa: F811
    hook = Webhook(platform, "prod", register(platform, "prod"))
    result = platform.test_cli_runner().invoke(args=["mirror", "cluster", "rotate", "prod"])
    assert result.exit_code == 0, result.output
    new = result.stdout.split('token: "', 1)[1].split('"', 1)[0]
    body = review(workload("Pod", [BOUND]))
    assert hook.post(body).status_code == 401
    assert hook.post(body, token=new).status_code == 200
    platform.test_cli_runner().invoke(args=["mirror", "cluster", "remove", "prod"])
    assert hook.post(body, token=new).status_code == 401


def _raw(hook: Webhook, data: bytes | str, **headers: str) -> Any:
    return hook.client.post(
        "/mirror/admission/prod/validate",
        data=data,
        content_type="application/json",
        headers={"Authorization": f"Bearer {hook.token}", **headers},
    )


def test_reviews_it_cannot_answer_are_400_with_a_reason(platform: Flask) -> None:  # noqa: F811
    hook = Webhook(platform, "prod", register(platform, "prod"))
    good = review(workload("Deployment", [BOUND]))
    v1beta1 = {**good, "apiVersion": "admission.k8s.io/v1beta1"}
    no_request = {k: v for k, v in good.items() if k != "request"}
    bad_containers = json.loads(json.dumps(good))
    bad_containers["request"]["object"]["spec"]["template"]["spec"]["containers"] = "nginx"
    bad_image = json.loads(json.dumps(good))
    bad_image["request"]["object"]["spec"]["template"]["spec"]["containers"][0]["image"] = 7
    no_uid = json.loads(json.dumps(good))
    del no_uid["request"]["uid"]
    cases = {
        "not JSON": _raw(hook, "{nope"),
        "admissionReviewVersions": hook.post(v1beta1),
        "no 'request'": hook.post(no_request),
        "containers must be a list": hook.post(bad_containers),
        "image must be a str": hook.post(bad_image),
        "request.uid": hook.post(no_uid),
        "AdmissionReview JSON object": hook.post([good]),
        "deeply": _raw(hook, "[" * 100000 + "]" * 100000),
    }
    for expected, response in cases.items():
        assert response.status_code == 400, (expected, response.get_data(as_text=True))
        message = response.get_json()["error"]["message"]
        if expected != "deeply":
            assert expected in message, (expected, message)
    platform.config["MIRROR_ADMISSION_MAX_REQUEST_BYTES"] = 1000
    big = review(workload("Pod", [BOUND + "x" * 2000]))
    response = hook.post(big)
    assert response.status_code == 400
    assert "larger than the 1000 bytes" in response.get_json()["error"]["message"]
    assert counts("prod") == (0, 0, 0)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
PATHS = [
    ("request",),
    ("request", "object"),
    ("request", "object", "spec"),
    ("request", "object", "spec", "template", "spec"),
    ("request", "object", "spec", "template", "spec", "containers"),
    ("request", "object", "spec", "template", "spec", "containers", 0),
    ("request", "object", "spec", "template", "spec", "containers", 0, "image"),
    ("request", "oldObject"),
    ("request", "kind"),
    ("request", "operation"),
    ("request", "userInfo"),
    ("request", "dryRun"),
    ("request", "namespace"),
]


def test_generated_reviews_get_an_answer_or_a_400(platform: Flask) -> None:  # noqa: F811
    hook = Webhook(platform, "prod", register(platform, "prod"))
    base = review(workload("Deployment", [BOUND]), namespace="b-api")

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(PATHS), value=JSON, operation=st.sampled_from(["CREATE", "UPDATE"]))
    def check(path: tuple[Any, ...], value: Any, operation: str) -> None:
        body = json.loads(json.dumps(base))
        body["request"]["operation"] = operation
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        response = hook.post(body)
        assert response.status_code in (200, 400), response.get_data(as_text=True)
        if response.status_code == 200:
            assert response.get_json()["response"]["uid"] == body["request"]["uid"]
        else:
            assert response.get_json()["error"]["message"].endswith((".", "'].", ")."))

    check()


def test_only_a_hash_of_the_token_is_stored(platform: Flask) -> None:  # noqa: F811
    from mirror_plugin.models import Cluster

    from .factories import session

    token = register(platform, "prod")
    row = session().query(Cluster).filter_by(name="prod").one()
    stored = " ".join(str(getattr(row, c.key)) for c in Cluster.__table__.columns)
    assert token not in stored and len(row.token_hash) == 64


def test_reviews_may_be_larger_than_the_json_api_s_limit(platform: Flask) -> None:  # noqa: F811
    """A Deployment and its old version exceed MIRROR_MAX_REQUEST_BYTES (1 MiB) long before
    they reach etcd's 1.5 MiB per object: the webhook has its own limit."""
    hook = Webhook(platform, "prod", register(platform, "prod"))
    before = workload("Deployment", [BOUND])
    before["metadata"]["annotations"] = {"note": "x" * 900_000}
    after = workload("Deployment", [BOUND])
    after["metadata"]["annotations"] = {"note": "y" * 900_000}
    body = review(after, operation="UPDATE", old=before, namespace="b-api")
    assert len(json.dumps(body)) > platform.config["MIRROR_MAX_REQUEST_BYTES"]
    response = hook.post(body)
    assert response.status_code == 200 and response.get_json()["response"]["allowed"] is True


@pytest.mark.parametrize("change", ["rotate", "remove"])
def test_a_token_rotated_or_removed_by_another_process_stops_working_within_the_bound(
    platform: Flask,  # noqa: F811
    change: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another worker, or ``cluster rotate|remove`` run elsewhere, writes through a connection
    of its own (this worker sees no commit): the old token stops working once this worker's
    rule generation check is due, ``MIRROR_RULE_REFRESH_SECONDS`` at the most (the README's
    bound), though between changes no review reads the clusters table."""
    from mirror_plugin.admission.clusters import hash_token
    from mirror_plugin.models import Cluster

    clock = _Clock()
    monkeypatch.setattr(rulecache, "time", clock)
    hook = Webhook(platform, "prod", register(platform, "prod"))
    body = review(workload("Pod", [BOUND]))
    assert hook.post(body).status_code == 200
    other_process = sa.create_engine(platform.config["SQLALCHEMY_DATABASE_URI"])
    with other_process.begin() as connection:
        row = sa.select(Cluster.id).where(Cluster.name == "prod").scalar_subquery()
        if change == "rotate":
            new = {"token_hash": hash_token("the-new-token")}
            connection.execute(sa.update(Cluster).where(Cluster.id == row).values(new))
        else:
            connection.execute(sa.delete(Cluster).where(Cluster.id == row))
    other_process.dispose()
    clock.offset += float(platform.config["MIRROR_RULE_REFRESH_SECONDS"])
    refused = hook.post(body)
    assert refused.status_code == 401 and refused.get_json() == UNAUTHORIZED
    if change == "rotate":
        assert hook.post(body, token="the-new-token").status_code == 200


def test_commands_on_a_missing_cluster_say_so(platform: Flask) -> None:  # noqa: F811
    missing = platform.test_cli_runner().invoke(args=["mirror", "cluster", "mode", "x", "warn"])
    assert missing.exit_code == 1 and "No cluster 'x'" in missing.output
